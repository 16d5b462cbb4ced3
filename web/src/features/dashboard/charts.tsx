// The dashboard's three charts, in their own chunk (recharts is the heaviest dependency).
import { Card, Text, makeStyles, tokens } from "@fluentui/react-components";
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { useTimeZone } from "../../app/gates";
import { useTheme } from "../../app/theme";
import { Empty, QueryView } from "../../components/states";
import { formatCount, formatDateTime } from "../../lib/time";
import { useByCountry, useByJail, useTrend, type RangeQuery } from "./api";

const useStyles = makeStyles({
  grid: { display: "grid", gridTemplateColumns: "repeat(auto-fit, minmax(320px, 1fr))", gap: tokens.spacingHorizontalL, marginTop: tokens.spacingVerticalL },
  card: { padding: tokens.spacingHorizontalM, minWidth: 0 },
  title: { margin: 0, fontSize: tokens.fontSizeBase400, fontWeight: tokens.fontWeightSemibold },
  chart: { width: "100%", height: "260px" },
});

/** Colours per origin that keep their contrast on both themes. */
function palette(dark: boolean) {
  return dark
    ? { auto: "#4f9ee8", manual: "#f2b35b", blocklist: "#b78ce6", axis: "#c8c8c8", grid: "#3d3d3d", bar: "#4f9ee8" }
    : { auto: "#0f6cbd", manual: "#a65b00", blocklist: "#7a3fb5", axis: "#424242", grid: "#e0e0e0", bar: "#0f6cbd" };
}

function ChartCard({ title, summary, children }: { title: string; summary: string; children: React.ReactNode }) {
  const s = useStyles();
  return (
    <Card className={s.card}>
      <h2 className={s.title}>{title}</h2>
      <Text size={200}>{summary}</Text>
      <div className={s.chart} role="img" aria-label={`${title}: ${summary}`}>
        {children}
      </div>
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
  return (
    <QueryView query={trend}>
      {(t) => {
        const total = t.buckets.reduce((n, b) => n + b.total, 0);
        const data = t.buckets.map((b) => ({ ...b, label: bucketLabel(b.start, t.width, tz) }));
        return (
          <ChartCard title="Ban trend" summary={`${formatCount(total)} bans, per ${t.width.replace("_", " ")}`}>
            {total === 0 ? (
              <Empty title="No bans in this range" />
            ) : (
              <ResponsiveContainer>
                <BarChart data={data}>
                  <CartesianGrid stroke={c.grid} vertical={false} />
                  <XAxis dataKey="label" stroke={c.axis} fontSize={11} minTickGap={16} />
                  <YAxis stroke={c.axis} fontSize={11} allowDecimals={false} width={40} />
                  <Tooltip />
                  <Legend />
                  <Bar dataKey="auto" name="fail2ban" stackId="o" fill={c.auto} isAnimationActive={false} />
                  <Bar dataKey="manual" name="manual" stackId="o" fill={c.manual} isAnimationActive={false} />
                  <Bar dataKey="blocklist" name="blocklist" stackId="o" fill={c.blocklist} isAnimationActive={false} />
                </BarChart>
              </ResponsiveContainer>
            )}
          </ChartCard>
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
        const top = d.countries.slice(0, 10).map((x) => ({ name: x.country ? (x.country.name ?? x.country.code) : "Unknown", bans: x.bans }));
        return (
          <ChartCard title="Top countries" summary={top.length ? top.slice(0, 3).map((x) => `${x.name} ${formatCount(x.bans)}`).join(", ") : "none"}>
            {top.length === 0 ? (
              <Empty title="No bans in this range" />
            ) : (
              <ResponsiveContainer>
                <BarChart data={top} layout="vertical" margin={{ left: 8 }}>
                  <CartesianGrid stroke={c.grid} horizontal={false} />
                  <XAxis type="number" stroke={c.axis} fontSize={11} allowDecimals={false} />
                  <YAxis type="category" dataKey="name" stroke={c.axis} fontSize={11} width={110} />
                  <Tooltip />
                  <Bar dataKey="bans" fill={c.bar} isAnimationActive={false} />
                </BarChart>
              </ResponsiveContainer>
            )}
          </ChartCard>
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
        <ChartCard title="Bans per jail" summary={d.jails.length ? d.jails.slice(0, 3).map((j) => `${j.jail} ${formatCount(j.bans)}`).join(", ") : "none"}>
          {d.jails.length === 0 ? (
            <Empty title="No bans in this range" />
          ) : (
            <ResponsiveContainer>
              <BarChart data={d.jails.slice(0, 10)}>
                <CartesianGrid stroke={c.grid} vertical={false} />
                <XAxis dataKey="jail" stroke={c.axis} fontSize={11} />
                <YAxis stroke={c.axis} fontSize={11} allowDecimals={false} width={40} />
                <Tooltip />
                <Bar dataKey="bans" fill={c.bar} isAnimationActive={false} />
              </BarChart>
            </ResponsiveContainer>
          )}
        </ChartCard>
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
