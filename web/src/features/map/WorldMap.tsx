// The world map, in its own chunk: Natural Earth 1:110m countries (npm world-atlas), drawn
// with d3-geo. Offline by construction: no tiles, no requests.
import { useMemo } from "react";
import { geoNaturalEarth1, geoPath } from "d3-geo";
import { feature } from "topojson-client";
import type { FeatureCollection, Geometry } from "geojson";
import type { GeometryCollection, Topology } from "topojson-specification";
import atlas from "world-atlas/countries-110m.json";
import { makeStyles, mergeClasses, tokens } from "@fluentui/react-components";
import type { Schemas } from "../../api/client";
import { useTheme } from "../../app/theme";
import { formatCount } from "../../lib/time";
import { NUMERIC } from "./iso-numeric";

const WIDTH = 960;
const HEIGHT = 500;

type Countries = FeatureCollection<Geometry, { name: string }>;

const countries = feature(atlas as unknown as Topology<{ countries: GeometryCollection<{ name: string }> }>, "countries") as unknown as Countries;
const projection = geoNaturalEarth1().fitSize([WIDTH, HEIGHT], countries);
const path = geoPath(projection);
const shapes = countries.features.map((f) => ({ id: String(f.id ?? ""), name: f.properties.name, d: path(f) ?? "" }));

/** Five classes on a log scale: a few countries usually have most bans. */
export function bucketOf(count: number, max: number): number {
  if (count <= 0 || max <= 0) return -1;
  if (max === 1) return 4;
  return Math.min(4, Math.floor((Math.log(count) / Math.log(max)) * 4.999));
}

const LIGHT = ["#cfe4fa", "#96c6fa", "#479ef5", "#0f6cbd", "#0a3c6b"];
const DARK = ["#1f3a57", "#2a5c8a", "#3c84c4", "#62abf5", "#a9d3ff"];

const useStyles = makeStyles({
  svg: { width: "100%", height: "auto", display: "block" },
  land: { stroke: tokens.colorNeutralStroke1, strokeWidth: 0.5 },
  banned: {
    cursor: "pointer",
    ":hover": { stroke: tokens.colorNeutralForeground1, strokeWidth: 1.5 },
    ":focus-visible": { outline: "none", stroke: tokens.colorStrokeFocus2, strokeWidth: 2.5 },
  },
  selected: { stroke: tokens.colorNeutralForeground1, strokeWidth: 2 },
  legend: { display: "flex", gap: tokens.spacingHorizontalS, alignItems: "center", flexWrap: "wrap", fontSize: tokens.fontSizeBase200 },
  swatch: { display: "inline-block", width: "14px", height: "14px", borderRadius: "2px", verticalAlign: "middle", marginRight: "4px" },
});

export default function WorldMap({
  counts,
  selected,
  onSelect,
}: {
  counts: Schemas["CountryBans"][];
  selected: string | null;
  onSelect: (code: string) => void;
}) {
  const s = useStyles();
  const { dark } = useTheme();
  const palette = dark ? DARK : LIGHT;
  const empty = dark ? "#3a3a3a" : "#e6e6e6";
  const byNumeric = useMemo(() => {
    const m = new Map<string, { code: string; name: string; bans: number }>();
    for (const c of counts) {
      if (!c.country) continue;
      const numeric = NUMERIC[c.country.code];
      if (numeric) m.set(numeric, { code: c.country.code, name: c.country.name ?? c.country.code, bans: c.bans });
    }
    return m;
  }, [counts]);
  const max = Math.max(0, ...counts.filter((c) => c.country).map((c) => c.bans));

  return (
    <figure style={{ margin: 0 }}>
      <svg className={s.svg} viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="group" aria-label="World map of bans by country">
        {shapes.map((shape) => {
          const hit = byNumeric.get(shape.id);
          if (!hit) return <path key={shape.id + shape.name} d={shape.d} fill={empty} className={s.land} aria-hidden="true" />;
          const label = `${hit.name}: ${formatCount(hit.bans)} bans`;
          return (
            <path
              key={shape.id}
              d={shape.d}
              fill={palette[bucketOf(hit.bans, max)]}
              className={mergeClasses(s.land, s.banned, selected === hit.code && s.selected)}
              role="button"
              tabIndex={0}
              aria-label={label}
              aria-pressed={selected === hit.code}
              data-country={hit.code}
              onClick={() => onSelect(hit.code)}
              onKeyDown={(e) => {
                if (e.key === "Enter" || e.key === " ") {
                  e.preventDefault();
                  onSelect(hit.code);
                }
              }}
            >
              <title>{label}</title>
            </path>
          );
        })}
      </svg>
      <figcaption className={s.legend}>
        <span>Bans:</span>
        {palette.map((color, i) => (
          <span key={color}>
            <span className={s.swatch} style={{ backgroundColor: color }} />
            {i === 0 ? "fewest" : i === 4 ? "most" : ""}
          </span>
        ))}
        <span>
          <span className={s.swatch} style={{ backgroundColor: empty }} />
          none
        </span>
      </figcaption>
    </figure>
  );
}
