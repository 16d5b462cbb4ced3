// Bar charts as plain SVG, laid out with d3-scale (the scales recharts and visx are built on).
// The whole module is ~10 KB compressed where recharts was ~95 KB: the dashboard's first load
// has to fit its JavaScript budget. Screen readers get the chart's summary as its label and
// every figure in a data table under it; pointer users get each bar's figure on hover.
import { useLayoutEffect, useRef, useState } from "react";
import { scaleBand, scaleLinear } from "d3-scale";
import { Table, TableBody, TableCell, TableHeader, TableHeaderCell, TableRow, makeStyles, tokens } from "@fluentui/react-components";
import { formatCount } from "../lib/time";

export interface Series {
  key: string;
  name: string;
  color: string;
}

export interface Datum {
  label: string;
  values: Record<string, number>;
}

export interface BarChartProps {
  /** What the chart shows, for its accessible name and its data table's caption. */
  title: string;
  summary: string;
  /** The heading of the categories' column in the data table ("Day", "Country", …). */
  categoryName: string;
  data: Datum[];
  series: Series[];
  /** Categories down the left side, bars to the right (long names such as countries). */
  horizontal?: boolean;
  height?: number;
  axisColor: string;
  gridColor: string;
}

const FONT = 11;
/** A rough width of one character at FONT px: enough to keep tick labels from overlapping. */
const CHAR = 6.4;
const CATEGORY_WIDTH = 110;
/** Bars stay bars when there are only one or two of them. */
const MAX_THICKNESS = 36;

const useStyles = makeStyles({
  frame: { width: "100%", position: "relative" },
  bar: { ":hover": { opacity: 0.75 } },
  legend: {
    display: "flex",
    flexWrap: "wrap",
    gap: tokens.spacingHorizontalM,
    margin: 0,
    padding: 0,
    listStyleType: "none",
    fontSize: tokens.fontSizeBase200,
    justifyContent: "center",
  },
  swatch: { display: "inline-block", width: "10px", height: "10px", marginRight: "4px", borderRadius: "2px" },
  details: { marginTop: tokens.spacingVerticalXS, fontSize: tokens.fontSizeBase200 },
  summary: { cursor: "pointer", width: "fit-content" },
  table: { maxHeight: "240px", overflowY: "auto" },
});

/** The element's width, followed as it resizes (0 until laid out). */
function useWidth() {
  const ref = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(0);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    setWidth(el.clientWidth);
    if (typeof ResizeObserver === "undefined") return;
    const observer = new ResizeObserver(([entry]) => setWidth(Math.floor(entry?.contentRect.width ?? 0)));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  return [ref, width] as const;
}

function truncate(label: string, chars: number): string {
  return label.length <= chars ? label : label.slice(0, Math.max(1, chars - 1)).trimEnd() + "…";
}

/** Whole-number ticks only: bans are counted. */
function countTicks(scale: ReturnType<typeof scaleLinear<number>>, count: number): number[] {
  return scale.ticks(count).filter(Number.isInteger);
}

interface Bar {
  key: string;
  x: number;
  y: number;
  w: number;
  h: number;
  color: string;
  title: string;
}

/** Stacks each datum's series values into rectangles. */
export function layoutBars(props: BarChartProps, width: number, height: number) {
  const { data, series, horizontal } = props;
  const totals = data.map((d) => series.reduce((n, s) => n + (d.values[s.key] ?? 0), 0));
  const max = Math.max(1, ...totals);
  const labels = data.map((d) => d.label);
  // Bands by position: two periods may share a label (the same day of two years).
  const index = data.map((_, i) => i);
  const bars: Bar[] = [];
  const stack = (i: number, at: (from: number, to: number) => Omit<Bar, "key" | "color" | "title">) => {
    const d = data[i]!;
    let sum = 0;
    for (const s of series) {
      const v = d.values[s.key] ?? 0;
      if (v <= 0) continue;
      const title = series.length > 1 ? `${d.label} · ${s.name}: ${formatCount(v)}` : `${d.label}: ${formatCount(v)}`;
      bars.push({ key: `${i}/${s.key}`, color: s.color, title, ...at(sum, sum + v) });
      sum += v;
    }
  };

  if (horizontal) {
    const m = { top: 4, right: 12, bottom: 20, left: CATEGORY_WIDTH };
    const y = scaleBand<number>().domain(index).range([m.top, height - m.bottom]).paddingInner(0.2).paddingOuter(0.1);
    const x = scaleLinear().domain([0, max]).nice().range([m.left, width - m.right]);
    const h = Math.min(y.bandwidth(), MAX_THICKNESS);
    const top = (i: number) => (y(i) ?? 0) + (y.bandwidth() - h) / 2;
    for (const i of index) stack(i, (a, b) => ({ x: x(a), y: top(i), w: x(b) - x(a), h }));
    const ticks = countTicks(x, Math.max(2, Math.floor((width - m.left) / 60)));
    return {
      bars,
      grid: ticks.map((t) => ({ x1: x(t), x2: x(t), y1: m.top, y2: height - m.bottom })),
      valueTicks: ticks.map((t) => ({ text: formatCount(t), x: x(t), y: height - m.bottom + FONT + 3, anchor: "middle" as const })),
      categoryTicks: labels.map((l, i) => ({
        i,
        text: truncate(l, Math.floor((m.left - 8) / CHAR)),
        full: l,
        x: m.left - 6,
        y: (y(i) ?? 0) + y.bandwidth() / 2 + FONT / 3,
        anchor: "end" as const,
      })),
      axis: { x1: m.left, x2: m.left, y1: m.top, y2: height - m.bottom },
    };
  }

  const longest = Math.max(...totals.map((t) => formatCount(t).length), 1);
  const m = { top: 8, right: 8, bottom: 22, left: Math.max(28, longest * CHAR + 10) };
  const x = scaleBand<number>().domain(index).range([m.left, width - m.right]).paddingInner(0.2).paddingOuter(0.1);
  const y = scaleLinear().domain([0, max]).nice().range([height - m.bottom, m.top]);
  const w = Math.min(x.bandwidth(), MAX_THICKNESS * 1.5);
  const left = (i: number) => (x(i) ?? 0) + (x.bandwidth() - w) / 2;
  for (const i of index) stack(i, (a, b) => ({ x: left(i), y: y(b), w, h: y(a) - y(b) }));
  const ticks = countTicks(y, 5);
  // Label every n-th category so that the labels keep a gap between them.
  const widest = Math.max(...labels.map((l) => l.length), 1) * CHAR + 12;
  const every = Math.max(1, Math.ceil(widest / Math.max(1, x.step())));
  return {
    bars,
    grid: ticks.map((t) => ({ x1: m.left, x2: width - m.right, y1: y(t), y2: y(t) })),
    valueTicks: ticks.map((t) => ({ text: formatCount(t), x: m.left - 6, y: y(t) + FONT / 3, anchor: "end" as const })),
    categoryTicks: labels
      .map((l, i) => ({ i, text: l, full: l, x: (x(i) ?? 0) + x.bandwidth() / 2, y: height - m.bottom + FONT + 4, anchor: "middle" as const }))
      .filter(({ i }) => i % every === 0),
    axis: { x1: m.left, x2: width - m.right, y1: height - m.bottom, y2: height - m.bottom },
  };
}

export function BarChart(props: BarChartProps) {
  const { title, summary, data, series, height = 240, axisColor, gridColor } = props;
  const s = useStyles();
  const [ref, width] = useWidth();
  const layout = width > 0 ? layoutBars(props, width, height) : null;
  return (
    <div>
      <div ref={ref} className={s.frame} style={{ height }}>
        {layout && (
          <svg width={width} height={height} role="img" aria-label={`${title}: ${summary}`} data-chart={title}>
            {layout.grid.map((g, i) => (
              <line key={i} {...g} stroke={gridColor} />
            ))}
            <line {...layout.axis} stroke={axisColor} />
            <g fontSize={FONT} fill={axisColor}>
              {layout.valueTicks.map((t) => (
                <text key={t.text} x={t.x} y={t.y} textAnchor={t.anchor}>
                  {t.text}
                </text>
              ))}
              {layout.categoryTicks.map((t) => (
                <text key={t.i} x={t.x} y={t.y} textAnchor={t.anchor}>
                  {t.text !== t.full && <title>{t.full}</title>}
                  {t.text}
                </text>
              ))}
            </g>
            {layout.bars.map((b) => (
              <rect key={b.key} className={s.bar} x={b.x} y={b.y} width={Math.max(0, b.w)} height={Math.max(0, b.h)} fill={b.color}>
                <title>{b.title}</title>
              </rect>
            ))}
          </svg>
        )}
      </div>
      {series.length > 1 && (
        <ul className={s.legend}>
          {series.map((x) => (
            <li key={x.key}>
              <span className={s.swatch} style={{ background: x.color }} />
              {x.name}
            </li>
          ))}
        </ul>
      )}
      <details className={s.details}>
        <summary className={s.summary}>Show the figures</summary>
        <div className={s.table}>
          <Table size="extra-small" aria-label={title}>
            <TableHeader>
              <TableRow>
                <TableHeaderCell>{props.categoryName}</TableHeaderCell>
                {series.map((x) => (
                  <TableHeaderCell key={x.key}>{x.name}</TableHeaderCell>
                ))}
              </TableRow>
            </TableHeader>
            <TableBody>
              {data.map((d, i) => (
                <TableRow key={i}>
                  <TableCell>{d.label}</TableCell>
                  {series.map((x) => (
                    <TableCell key={x.key}>{formatCount(d.values[x.key] ?? 0)}</TableCell>
                  ))}
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </div>
      </details>
    </div>
  );
}
