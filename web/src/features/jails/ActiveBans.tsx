import { useDeferredValue, useState } from "react";
import { Button, Card, Field, SearchBox, Table, TableBody, TableCell, TableHeader, TableHeaderCell, TableRow, makeStyles, tokens } from "@fluentui/react-components";
import type { Schemas } from "../../api/client";
import { useTimeZone } from "../../app/gates";
import { useNotify } from "../../components/notify";
import { Pager } from "../../components/Pager";
import { Empty, QueryView } from "../../components/states";
import { formatDateTime, formatDuration } from "../../lib/time";
import { useActiveBans, useJailBans, useUnban } from "./api";

const PAGE_SIZE = 50;

const useStyles = makeStyles({
  card: { padding: tokens.spacingHorizontalM, gap: tokens.spacingVerticalM },
  title: { margin: 0, fontSize: tokens.fontSizeBase500, fontWeight: tokens.fontWeightSemibold },
  scroll: { overflowX: "auto" },
  table: { minWidth: "760px" },
  // An IPv6 address is wider than its column: it wraps instead of running into the next one.
  mono: { fontFamily: tokens.fontFamilyMonospace, overflowWrap: "anywhere" },
  // Wide enough for any IPv4 address on one line.
  address: { width: "160px" },
  when: { width: "150px" },
  search: { maxWidth: "320px" },
});

function BanRows({ bans, showJail }: { bans: Schemas["BanItem"][]; showJail: boolean }) {
  const s = useStyles();
  const tz = useTimeZone();
  const unban = useUnban();
  const notify = useNotify();
  return (
    <div className={s.scroll}>
      <Table className={s.table} size="small" aria-label="Active bans">
        <TableHeader>
          <TableRow>
            <TableHeaderCell className={s.address}>Address</TableHeaderCell>
            {showJail && <TableHeaderCell>Jail</TableHeaderCell>}
            <TableHeaderCell className={s.when}>Banned at</TableHeaderCell>
            <TableHeaderCell className={s.when}>Until</TableHeaderCell>
            <TableHeaderCell>Duration</TableHeaderCell>
            <TableHeaderCell>
              <span className="visually-hidden">Actions</span>
            </TableHeaderCell>
          </TableRow>
        </TableHeader>
        <TableBody>
          {bans.map((b) => (
            <TableRow key={`${b.jail ?? ""}/${b.ip}`} data-ban={b.ip}>
              <TableCell className={s.mono}>{b.ip}</TableCell>
              {showJail && <TableCell>{b.jail ?? "—"}</TableCell>}
              <TableCell>{formatDateTime(b.start_ms, tz)}</TableCell>
              <TableCell>{b.expiry_ms ? formatDateTime(b.expiry_ms, tz) : "never"}</TableCell>
              <TableCell>{formatDuration(b.duration_secs)}</TableCell>
              <TableCell>
                <Button
                  size="small"
                  disabled={unban.isPending}
                  aria-label={`Unban ${b.ip}${b.jail ? ` in ${b.jail}` : ""}`}
                  onClick={() =>
                    unban.mutate(b.jail ? { ip: b.ip, jail: b.jail } : { ip: b.ip }, {
                      onSuccess: () => notify.success(`${b.ip} unbanned`),
                      onError: (e) => notify.failure(`Could not unban ${b.ip}`, e),
                    })
                  }
                >
                  Unban
                </Button>
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </div>
  );
}

/** Every jail's active bans (or one jail's), searched and paged on the server. */
export function ActiveBans({ jail }: { jail?: string }) {
  const s = useStyles();
  const [search, setSearch] = useState("");
  const [page, setPage] = useState(1);
  const q = useDeferredValue(search.trim());
  const query = { page, page_size: PAGE_SIZE, ...(q ? { q } : {}) };
  const all = useActiveBans(query, !jail);
  const one = useJailBans(jail ?? "", query);
  const bans = jail ? one : all;
  return (
    <Card className={s.card}>
      <h2 className={s.title}>Active bans</h2>
      <Field label="Search addresses" className={s.search}>
        <SearchBox
          value={search}
          onChange={(_, d) => {
            setSearch(d.value);
            setPage(1);
          }}
          placeholder="192.0.2"
        />
      </Field>
      <QueryView query={bans} loading="Loading bans…">
        {(p) =>
          p.total === 0 ? (
            <Empty title={q ? "No active ban matches" : "No active bans"} />
          ) : (
            <>
              <BanRows bans={p.items} showJail={!jail} />
              <Pager page={p.page} pageSize={p.page_size} total={p.total} label="Active bans" onPage={setPage} />
            </>
          )
        }
      </QueryView>
    </Card>
  );
}
