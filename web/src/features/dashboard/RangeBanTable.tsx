import { Badge, Table, TableBody, TableCell, TableHeader, TableHeaderCell, TableRow, makeStyles, tokens } from "@fluentui/react-components";
import { Link } from "react-router";
import type { Schemas } from "../../api/client";
import { useTimeZone } from "../../app/gates";
import { Country } from "../../components/Country";
import { formatDateTime, formatDuration } from "../../lib/time";

const useStyles = makeStyles({
  scroll: { overflowX: "auto" },
  table: { minWidth: "880px" },
  repeat: { backgroundColor: tokens.colorPaletteYellowBackground1 },
  // An IPv6 address is wider than its column: it wraps instead of running into the next one.
  mono: { fontFamily: tokens.fontFamilyMonospace, overflowWrap: "anywhere" },
  // Wide enough for any IPv4 address on one line.
  address: { width: "160px" },
  when: { width: "150px" },
});

const ORIGIN_LABEL: Record<Schemas["Origin"], string> = { auto: "fail2ban", manual: "manual", blocklist: "blocklist" };

/** Archived bans of a range: repeat offenders marked, countries resolved or explained. */
export function RangeBanTable({ bans, caption }: { bans: Schemas["RangeBan"][]; caption: string }) {
  const s = useStyles();
  const tz = useTimeZone();
  return (
    <div className={s.scroll}>
      <Table className={s.table} size="small" aria-label={caption}>
        <TableHeader>
          <TableRow>
            <TableHeaderCell className={s.when}>Banned at</TableHeaderCell>
            <TableHeaderCell className={s.address}>Address</TableHeaderCell>
            <TableHeaderCell>Jail</TableHeaderCell>
            <TableHeaderCell>Origin</TableHeaderCell>
            <TableHeaderCell>Country</TableHeaderCell>
            <TableHeaderCell>Duration</TableHeaderCell>
            <TableHeaderCell>Bans of this address</TableHeaderCell>
          </TableRow>
        </TableHeader>
        <TableBody>
          {bans.map((b) => {
            const repeat = b.address_bans > 1;
            return (
              <TableRow key={b.id} className={repeat ? s.repeat : undefined} data-ip={b.ip}>
                <TableCell>{formatDateTime(b.started_at, tz)}</TableCell>
                <TableCell className={s.mono}>
                  <Link to={`/history/${encodeURIComponent(b.ip)}`}>{b.ip}</Link>
                </TableCell>
                <TableCell>{b.jail}</TableCell>
                <TableCell>{ORIGIN_LABEL[b.origin]}</TableCell>
                <TableCell>
                  <Country country={b.country} />
                </TableCell>
                <TableCell>{formatDuration(b.duration_secs)}</TableCell>
                <TableCell>
                  {repeat ? (
                    <Badge appearance="filled" color="warning" aria-label={`Repeat offender: ${b.address_bans} bans`}>
                      {b.address_bans}× repeat
                    </Badge>
                  ) : (
                    "1"
                  )}
                </TableCell>
              </TableRow>
            );
          })}
        </TableBody>
      </Table>
    </div>
  );
}
