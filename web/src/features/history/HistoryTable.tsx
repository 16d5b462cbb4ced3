import { Badge, Table, TableBody, TableCell, TableHeader, TableHeaderCell, TableRow, makeStyles, tokens } from "@fluentui/react-components";
import { Link } from "react-router";
import type { Schemas } from "../../api/client";
import { useTimeZone } from "../../app/gates";
import { formatDateTime, formatDuration } from "../../lib/time";

type ArchivedBan = Schemas["ArchivedBan"];

const useStyles = makeStyles({
  scroll: { overflowX: "auto" },
  table: { minWidth: "960px" },
  repeat: { backgroundColor: tokens.colorPaletteYellowBackground1 },
  // An IPv6 address is wider than its column: it wraps instead of running into the next one.
  mono: { fontFamily: tokens.fontFamilyMonospace, overflowWrap: "anywhere" },
  // Wide enough for any IPv4 address on one line.
  address: { width: "160px" },
  when: { width: "150px" },
  matches: { fontFamily: tokens.fontFamilyMonospace, fontSize: tokens.fontSizeBase100, margin: 0, whiteSpace: "pre-wrap", wordBreak: "break-all" },
});

const ORIGIN: Record<Schemas["Origin"], string> = { auto: "fail2ban", manual: "manual", blocklist: "blocklist" };

/** Archived bans; fail2ban's repeat offenders (its ban count above one) highlighted. */
export function HistoryTable({ bans, showAddress = true, showMatches = false }: { bans: ArchivedBan[]; showAddress?: boolean; showMatches?: boolean }) {
  const s = useStyles();
  const tz = useTimeZone();
  return (
    <div className={s.scroll}>
      <Table className={s.table} size="small" aria-label="Archived bans">
        <TableHeader>
          <TableRow>
            <TableHeaderCell className={s.when}>Banned at</TableHeaderCell>
            {showAddress && <TableHeaderCell className={s.address}>Address</TableHeaderCell>}
            <TableHeaderCell>Jail</TableHeaderCell>
            <TableHeaderCell>Origin</TableHeaderCell>
            <TableHeaderCell>Duration</TableHeaderCell>
            <TableHeaderCell>Failures</TableHeaderCell>
            <TableHeaderCell>fail2ban's ban count</TableHeaderCell>
            <TableHeaderCell>Lifted</TableHeaderCell>
            {showMatches && <TableHeaderCell>Log lines</TableHeaderCell>}
          </TableRow>
        </TableHeader>
        <TableBody>
          {bans.map((b) => {
            const repeat = b.ban_count > 1;
            return (
              <TableRow key={b.id} className={repeat ? s.repeat : undefined} data-history-ip={b.ip}>
                <TableCell>{formatDateTime(b.started_at, tz)}</TableCell>
                {showAddress && (
                  <TableCell className={s.mono}>
                    <Link to={`/history/${encodeURIComponent(b.ip)}`}>{b.ip}</Link>
                  </TableCell>
                )}
                <TableCell>{b.jail}</TableCell>
                <TableCell>{ORIGIN[b.origin]}</TableCell>
                <TableCell>{formatDuration(b.duration_secs)}</TableCell>
                <TableCell>{b.failures}</TableCell>
                <TableCell>
                  {repeat ? (
                    <Badge appearance="filled" color="warning" aria-label={`Repeat offender: banned ${b.ban_count} times`}>
                      {b.ban_count}× repeat
                    </Badge>
                  ) : (
                    b.ban_count
                  )}
                </TableCell>
                <TableCell>{b.unbanned_at ? `${formatDateTime(b.unbanned_at, tz)}${b.unbanned_by ? ` by ${b.unbanned_by}` : ""}` : "—"}</TableCell>
                {showMatches && (
                  <TableCell>
                    <pre className={s.matches}>{b.matches.join("\n") || "—"}</pre>
                  </TableCell>
                )}
              </TableRow>
            );
          })}
        </TableBody>
      </Table>
    </div>
  );
}
