import { useState } from "react";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { Badge, Card, Table, TableBody, TableCell, TableHeader, TableHeaderCell, TableRow, makeStyles, tokens } from "@fluentui/react-components";
import { api, unwrap } from "../../api/client";
import { keys } from "../../api/keys";
import { useTimeZone } from "../../app/gates";
import { PageHeader } from "../../components/PageHeader";
import { Pager } from "../../components/Pager";
import { Empty, QueryView } from "../../components/states";
import { formatDateTime } from "../../lib/time";

const PAGE_SIZE = 50;

const useStyles = makeStyles({
  card: { padding: tokens.spacingHorizontalM, gap: tokens.spacingVerticalM },
  scroll: { overflowX: "auto" },
  table: { minWidth: "760px" },
  mono: { fontFamily: tokens.fontFamilyMonospace, fontSize: tokens.fontSizeBase200, wordBreak: "break-all" },
});

function useAudit(page: number) {
  const query = { page, page_size: PAGE_SIZE };
  return useQuery({
    queryKey: keys.audit(query),
    queryFn: ({ signal }) => unwrap(api.GET("/api/v1/audit", { params: { query }, signal })),
    placeholderData: keepPreviousData,
  });
}

function details(d: unknown): string {
  if (d === null || d === undefined) return "";
  if (typeof d === "object" && Object.keys(d).length === 0) return "";
  return JSON.stringify(d);
}

/** Who changed what, when, from where, with what result: every change made through bangui. */
export function AuditPage() {
  const s = useStyles();
  const tz = useTimeZone();
  const [page, setPage] = useState(1);
  const audit = useAudit(page);
  return (
    <>
      <PageHeader title="Audit" />
      <Card className={s.card}>
        <QueryView query={audit} loading="Loading the audit trail…">
          {(p) =>
            p.total === 0 ? (
              <Empty title="Nothing changed yet" />
            ) : (
              <>
                <div className={s.scroll}>
                  <Table className={s.table} size="small" aria-label="Audit trail">
                    <TableHeader>
                      <TableRow>
                        <TableHeaderCell>When</TableHeaderCell>
                        <TableHeaderCell>Who</TableHeaderCell>
                        <TableHeaderCell>From</TableHeaderCell>
                        <TableHeaderCell>What</TableHeaderCell>
                        <TableHeaderCell>Result</TableHeaderCell>
                        <TableHeaderCell>Details</TableHeaderCell>
                      </TableRow>
                    </TableHeader>
                    <TableBody>
                      {p.items.map((a) => {
                        const ok = a.status < 400;
                        return (
                          <TableRow key={a.id}>
                            <TableCell>{formatDateTime(a.at, tz)}</TableCell>
                            <TableCell className={s.mono}>{a.actor}</TableCell>
                            <TableCell className={s.mono}>{a.client ?? "—"}</TableCell>
                            <TableCell className={s.mono}>
                              {a.method} {a.path}
                            </TableCell>
                            <TableCell>
                              <Badge appearance="tint" color={ok ? "success" : "danger"}>
                                {a.status}
                                {a.error_code ? ` ${a.error_code}` : ""}
                              </Badge>
                            </TableCell>
                            <TableCell className={s.mono}>{details(a.details)}</TableCell>
                          </TableRow>
                        );
                      })}
                    </TableBody>
                  </Table>
                </div>
                <Pager page={p.page} pageSize={p.page_size} total={p.total} label="Audit" onPage={setPage} />
              </>
            )
          }
        </QueryView>
      </Card>
    </>
  );
}
