import { useState } from "react";
import { Link, useParams } from "react-router";
import { Card, Text, makeStyles, tokens } from "@fluentui/react-components";
import { useTimeZone } from "../../app/gates";
import { Country } from "../../components/Country";
import { PageHeader } from "../../components/PageHeader";
import { Pager } from "../../components/Pager";
import { QueryView } from "../../components/states";
import { formatCount, formatDateTime } from "../../lib/time";
import { useAddressTimeline } from "./api";
import { HistoryTable } from "./HistoryTable";

const PAGE_SIZE = 25;

const useStyles = makeStyles({
  grid: { display: "grid", gridTemplateColumns: "repeat(auto-fit, minmax(160px, 1fr))", gap: tokens.spacingHorizontalM, marginBottom: tokens.spacingVerticalL },
  card: { padding: tokens.spacingHorizontalM },
  value: { fontSize: tokens.fontSizeBase500, fontWeight: tokens.fontWeightSemibold },
  back: { marginBottom: tokens.spacingVerticalS, display: "inline-block" },
});

/** Everything the archive knows about one address, its bans a page at a time. */
export function AddressPage() {
  const s = useStyles();
  const { ip = "" } = useParams();
  const tz = useTimeZone();
  const [page, setPage] = useState(1);
  const timeline = useAddressTimeline(ip, { page, page_size: PAGE_SIZE });
  return (
    <>
      <Link to="/history" className={s.back}>
        ← History
      </Link>
      <PageHeader title={`${ip.includes("/") ? "Network" : "Address"} ${ip}`} />
      <QueryView query={timeline} loading="Loading the timeline…">
        {(t) => (
          <>
            <section className={s.grid} aria-label="Summary">
              <Card className={s.card}>
                <Text size={200}>Country</Text>
                <span className={s.value}>
                  <Country country={t.country} />
                </span>
              </Card>
              <Card className={s.card}>
                <Text size={200}>Bans</Text>
                <span className={s.value} data-testid="timeline-bans">
                  {formatCount(t.totals.bans)}
                </span>
              </Card>
              <Card className={s.card}>
                <Text size={200}>Failures</Text>
                <span className={s.value}>{formatCount(t.totals.failures)}</span>
              </Card>
              <Card className={s.card}>
                <Text size={200}>First seen</Text>
                <span className={s.value}>{formatDateTime(t.first_seen, tz, false)}</span>
              </Card>
              <Card className={s.card}>
                <Text size={200}>Last seen</Text>
                <span className={s.value}>{formatDateTime(t.last_seen, tz, false)}</span>
              </Card>
              <Card className={s.card}>
                <Text size={200}>Banned now in</Text>
                <span className={s.value}>{t.banned_in == null ? "unknown" : t.banned_in.length ? t.banned_in.join(", ") : "no jail"}</span>
              </Card>
            </section>
            <HistoryTable bans={t.bans} showAddress={false} showMatches />
            <Pager page={t.page} pageSize={t.page_size} total={t.totals.bans} label="Timeline" onPage={setPage} />
          </>
        )}
      </QueryView>
    </>
  );
}
