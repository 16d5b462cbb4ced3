// The dashboard's three charts, in their own chunk.
import { Card, Text, makeStyles, tokens } from "@fluentui/react-components";
import { useTimeZone } from "../../app/gates";
import { useTheme } from "../../app/theme";
import { BarChart, type Datum, type Series } from "../../components/BarChart";
import { Empty, QueryView } from "../../components/states";
import { formatCount, formatDateTime } from "../../lib/time";
import { useByCountry, useByJail, useTrend, type RangeQuery } from "./api";

const useStyles = makeStyles({
  grid: { display: "grid", gridTemplateColumns: "repeat(auto-fit, minmax(300px, 1fr))", gap: tokens.spacingHorizontalL, marginTop: tokens.spacingVerticalL },
  card: { padding: tokens.spacingHorizontalM, minWidth: 0 },
  title: { margin: 0, fontSize: tokens.fontSizeBase400, fontWeight: tokens.fontWeightSemibold },
  empty: { height: "240px" },
});

/** Colours per origin that keep their contrast on both themes. */
function palette(dark: boolean) {
  return dark
    ? { auto: "#4f9ee8", manual: "#f2b35b", blocklist: "#b78ce6", axis: "#c8c8c8", grid: "#3d3d3d", bar: "#4f9ee8" }
    : { auto: "#0f6cbd", manual: "#a65b00", blocklist: "#7a3fb5", axis: "#424242", grid: "#e0e0e0", bar: "#0f6cbd" };
}

/** One chart in its card: the title, a one-line summary, the bars (or why there are none). */
function ChartCard({ title, summary, categoryName, data, series, horizontal = false }: {
  title: string;
  summary: string;
  categoryName: string;
  data: Datum[];
  series: Series[];
  horizontal?: boolean;
}) {
  const s = useStyles();
  const c = palette(useTheme().dark);
  return (
    <Card className={s.card}>
      <h2 className={s.title}>{title}</h2>
      <Text size={200}>{summary}</Text>
      {data.length === 0 ? (
        <div className={s.empty}>
          <Empty title="No bans in this range" />
        </div>
      ) : (
        <BarChart
          title={title}
          summary={summary}
          categoryName={categoryName}
          data={data}
          series={series}
          horizontal={horizontal}
          axisColor={c.axis}
          gridColor={c.grid}
        />
      )}
    </Card>
  );
}

function bucketLabel(start: string, width: string, tz: string): string {
  const full = formatDateTime(start, tz, false);
  return width === "hour" || width === "six_hours" ? full.slice(11) : full.slice(5, 10);
}

function TrendChart({ query }: { query: RangeQuery }) {
  const trend = useTrend(query);
  const tz = useTimeZone();
  const c = palette(useTheme().dark);
  const series: Series[] = [
    { key: "auto", name: "fail2ban", color: c.auto },
    { key: "manual", name: "manual", color: c.manual },
    { key: "blocklist", name: "blocklist", color: c.blocklist },
  ];
  return (
    <QueryView query={trend}>
      {(t) => {
        const total = t.buckets.reduce((n, b) => n + b.total, 0);
        const data = t.buckets.map((b) => ({ label: bucketLabel(b.start, t.width, tz), values: { auto: b.auto, manual: b.manual, blocklist: b.blocklist } }));
        const per = t.width.replace("_", " ");
        return (
          <ChartCard
            title="Ban trend"
            summary={`${formatCount(total)} bans, per ${per}`}
            categoryName={per[0]!.toUpperCase() + per.slice(1)}
            data={total === 0 ? [] : data}
            series={series}
          />
        );
      }}
    </QueryView>
  );
}

function CountriesChart({ query }: { query: RangeQuery }) {
  const countries = useByCountry(query);
  const c = palette(useTheme().dark);
  return (
    <QueryView query={countries}>
      {(d) => {
        const top = d.countries.slice(0, 10).map((x) => ({ label: x.country ? (x.country.name ?? x.country.code) : "Unknown", values: { bans: x.bans } }));
        return (
          <ChartCard
            title="Top countries"
            summary={top.length ? top.slice(0, 3).map((x) => `${x.label} ${formatCount(x.values.bans)}`).join(", ") : "none"}
            categoryName="Country"
            data={top}
            series={[{ key: "bans", name: "Bans", color: c.bar }]}
            horizontal
          />
        );
      }}
    </QueryView>
  );
}

function JailsChart({ query }: { query: RangeQuery }) {
  const jails = useByJail(query);
  const c = palette(useTheme().dark);
  return (
    <QueryView query={jails}>
      {(d) => (
        <ChartCard
          title="Bans per jail"
          summary={d.jails.length ? d.jails.slice(0, 3).map((j) => `${j.jail} ${formatCount(j.bans)}`).join(", ") : "none"}
          categoryName="Jail"
          data={d.jails.slice(0, 10).map((j) => ({ label: j.jail, values: { bans: j.bans } }))}
          series={[{ key: "bans", name: "Bans", color: c.bar }]}
        />
      )}
    </QueryView>
  );
}

export default function DashboardCharts({ query }: { query: RangeQuery }) {
  const s = useStyles();
  return (
    <section className={s.grid} aria-label="Charts" data-testid="dashboard-charts">
      <TrendChart query={query} />
      <CountriesChart query={query} />
      <JailsChart query={query} />
    </section>
  );
}
