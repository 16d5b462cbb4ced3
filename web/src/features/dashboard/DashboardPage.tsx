import { lazy, Suspense } from "react";
import { Card, makeStyles, tokens } from "@fluentui/react-components";
import { PageHeader } from "../../components/PageHeader";
import { Pager } from "../../components/Pager";
import { Empty, Loading, QueryView } from "../../components/states";
import { useRangeBans, type OriginFilter, type Range } from "./api";
import { RangeOriginFilter, RANGES } from "./filters";
import { RangeBanTable } from "./RangeBanTable";
import { StatusBar } from "./StatusBar";
import { useUrlParams } from "../../lib/useUrlParams";

const DashboardCharts = lazy(() => import("./charts"));

const PAGE_SIZE = 25;

const useStyles = makeStyles({
  card: { padding: tokens.spacingHorizontalM, gap: tokens.spacingVerticalM },
  title: { margin: 0, fontSize: tokens.fontSizeBase500, fontWeight: tokens.fontWeightSemibold },
});

export function readRange(v: string | null, fallback: Range = "24h"): Range {
  return RANGES.some((r) => r.value === v) || v === "all" ? (v as Range) : fallback;
}

export function readOrigin(v: string | null): OriginFilter | undefined {
  return v === "auto" || v === "manual" || v === "blocklist" ? v : undefined;
}

export function DashboardPage() {
  const s = useStyles();
  const [params, update] = useUrlParams();
  const range = readRange(params.get("range"));
  const origin = readOrigin(params.get("origin"));
  const page = Math.max(1, Number(params.get("page")) || 1);
  const query = origin ? { range, origin } : { range };
  const bans = useRangeBans({ ...query, page, page_size: PAGE_SIZE });

  return (
    <>
      <PageHeader title="Dashboard" />
      <StatusBar />
      <Card className={s.card}>
        <h2 className={s.title}>Bans</h2>
        <RangeOriginFilter range={range} origin={origin} onRange={(r) => update({ range: r, page: undefined })} onOrigin={(o) => update({ origin: o, page: undefined })} />
        <QueryView query={bans} loading="Loading bans…">
          {(p) =>
            p.total === 0 ? (
              <Empty title="No bans in this range">fail2ban has not banned anything {origin ? "of this origin " : ""}in this time.</Empty>
            ) : (
              <>
                <RangeBanTable bans={p.items} caption="Bans in the range" />
                <Pager page={p.page} pageSize={p.page_size} total={p.total} label="Bans" onPage={(n) => update({ page: String(n) })} />
              </>
            )
          }
        </QueryView>
      </Card>
      <Suspense fallback={<Loading label="Loading charts…" />}>
        <DashboardCharts query={query} />
      </Suspense>
    </>
  );
}
