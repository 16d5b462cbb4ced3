// A file's history: every change bangui made to it (who, when, what), each with its diff, and
// a revert that puts back the content before a change (as a change of its own).
import { useState } from "react";
import { Button, Table, TableBody, TableCell, TableHeader, TableHeaderCell, TableRow, Text, makeStyles, tokens } from "@fluentui/react-components";
import { ConfirmButton } from "../../components/ConfirmButton";
import { useNotify } from "../../components/notify";
import { Empty, QueryView } from "../../components/states";
import { lineDiff } from "../../lib/lineDiff";
import { useRevert, useRevision, useRevisions } from "./api";

const useStyles = makeStyles({
  section: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalS, marginTop: tokens.spacingVerticalL, minWidth: 0 },
  scroll: { overflowX: "auto" },
  actions: { display: "flex", gap: tokens.spacingHorizontalS, flexWrap: "wrap", minWidth: "200px" },
  who: { overflowWrap: "anywhere" },
  diff: { fontFamily: tokens.fontFamilyMonospace, fontSize: tokens.fontSizeBase200, margin: 0, maxHeight: "320px", overflow: "auto", whiteSpace: "pre" },
  added: { backgroundColor: tokens.colorPaletteGreenBackground2, color: tokens.colorNeutralForeground1 },
  removed: { backgroundColor: tokens.colorPaletteRedBackground2, color: tokens.colorNeutralForeground1 },
});

export function Revisions({ path, onReverted }: { path: string; onReverted: () => void }) {
  const s = useStyles();
  const revisions = useRevisions(path);
  const revert = useRevert();
  const notify = useNotify();
  const [open, setOpen] = useState<number | null>(null);
  return (
    <section className={s.section} aria-label={`History of ${path}`}>
      <Text weight="semibold">History</Text>
      <QueryView query={revisions}>
        {(list) =>
          list.items.length === 0 ? (
            <Empty title="No changes through bangui yet">Every change bangui makes to this file is kept here, and can be reverted.</Empty>
          ) : (
            <div className={s.scroll}>
              <Table size="small" aria-label={`Changes to ${path}`}>
                <TableHeader>
                  <TableRow>
                    <TableHeaderCell>When</TableHeaderCell>
                    <TableHeaderCell>Change</TableHeaderCell>
                    <TableHeaderCell>Who</TableHeaderCell>
                    <TableHeaderCell>
                      <span className="visually-hidden">Actions</span>
                    </TableHeaderCell>
                  </TableRow>
                </TableHeader>
                <TableBody>
                  {list.items.map((r) => (
                    <TableRow key={r.id} data-revision={r.id}>
                      <TableCell>{new Date(r.at).toLocaleString()}</TableCell>
                      <TableCell>{r.action}</TableCell>
                      <TableCell className={s.who}>{r.actor}</TableCell>
                      <TableCell>
                        <div className={s.actions}>
                          <Button size="small" aria-expanded={open === r.id} onClick={() => setOpen(open === r.id ? null : r.id)}>
                            {open === r.id ? "Hide changes" : "Show changes"}
                          </Button>
                          {r.action !== "create" && (
                            <ConfirmButton
                              label="Revert"
                              size="small"
                              title="Revert this change?"
                              message={`${path} gets back the content it had before this ${r.action}. fail2ban reads it at its next reload.`}
                              confirmLabel="Revert"
                              disabled={revert.isPending}
                              onConfirm={() =>
                                revert.mutate(r.id, {
                                  onSuccess: () => {
                                    notify.success("Reverted", path);
                                    onReverted();
                                  },
                                  onError: (e) => notify.failure("Not reverted", e),
                                })
                              }
                            />
                          )}
                        </div>
                      </TableCell>
                    </TableRow>
                  ))}
                </TableBody>
              </Table>
            </div>
          )
        }
      </QueryView>
      {open !== null && <RevisionDiff id={open} />}
    </section>
  );
}

function RevisionDiff({ id }: { id: number }) {
  const s = useStyles();
  const revision = useRevision(id);
  return (
    <QueryView query={revision}>
      {(r) => (
        <pre className={s.diff} aria-label={`Changes of revision ${id}`} tabIndex={0} data-testid="revision-diff">
          {lineDiff(r.before ?? "", r.after ?? "").map((line, i) => (
            <div key={i} className={line.kind === "added" ? s.added : line.kind === "removed" ? s.removed : undefined}>
              {line.kind === "added" ? "+ " : line.kind === "removed" ? "- " : "  "}
              {line.text}
            </div>
          ))}
        </pre>
      )}
    </QueryView>
  );
}
