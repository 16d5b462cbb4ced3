import { Dropdown, Option, Tab, TabList, makeStyles, tokens } from "@fluentui/react-components";
import type { OriginFilter, Range } from "./api";

export const RANGES: { value: Range; label: string }[] = [
  { value: "24h", label: "24 hours" },
  { value: "7d", label: "7 days" },
  { value: "30d", label: "30 days" },
  { value: "365d", label: "365 days" },
];

const ORIGINS: { value: OriginFilter | "any"; label: string }[] = [
  { value: "any", label: "All origins" },
  { value: "auto", label: "fail2ban (auto)" },
  { value: "manual", label: "Manual" },
  { value: "blocklist", label: "Blocklists" },
];

const useStyles = makeStyles({
  row: { display: "flex", flexWrap: "wrap", alignItems: "center", gap: tokens.spacingHorizontalM },
  dropdown: { minWidth: "180px" },
});

/** The range tabs and origin selector shared by the dashboard and the map. */
export function RangeOriginFilter({
  range,
  origin,
  onRange,
  onOrigin,
  ranges = RANGES,
}: {
  range: Range;
  origin: OriginFilter | undefined;
  onRange: (r: Range) => void;
  onOrigin: (o: OriginFilter | undefined) => void;
  ranges?: { value: Range; label: string }[];
}) {
  const s = useStyles();
  const current = ORIGINS.find((o) => o.value === (origin ?? "any")) ?? ORIGINS[0]!;
  return (
    <div className={s.row}>
      <TabList selectedValue={range} onTabSelect={(_, d) => onRange(d.value as Range)} aria-label="Time range" size="small">
        {ranges.map((r) => (
          <Tab key={r.value} value={r.value}>
            {r.label}
          </Tab>
        ))}
      </TabList>
      <Dropdown
        className={s.dropdown}
        aria-label="Origin"
        value={current.label}
        selectedOptions={[current.value]}
        onOptionSelect={(_, d) => onOrigin(d.optionValue === "any" ? undefined : (d.optionValue as OriginFilter))}
      >
        {ORIGINS.map((o) => (
          <Option key={o.value} value={o.value}>
            {o.label}
          </Option>
        ))}
      </Dropdown>
    </div>
  );
}
