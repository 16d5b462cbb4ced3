import { useEffect, useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { keys } from "../../api/keys";
import {
  Button,
  Card,
  Field,
  ProgressBar,
  Switch,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  Text,
  makeStyles,
  tokens,
} from "@fluentui/react-components";
import { AddRegular, ArrowDownloadRegular } from "@fluentui/react-icons";
import type { Schemas } from "../../api/client";
import { useTimeZone } from "../../app/gates";
import { ConfirmButton } from "../../components/ConfirmButton";
import { useNotify } from "../../components/notify";
import { PageHeader } from "../../components/PageHeader";
import { Pager } from "../../components/Pager";
import { Empty, ErrorState, QueryView } from "../../components/states";
import { formatCount, formatDateTime } from "../../lib/time";
import { useDeleteSource, useEnableSource, useImport, useJob, usePreview, useRuns, useSources } from "./api";
import { ScheduleCard } from "./ScheduleCard";
import { SourceDialog } from "./SourceDialog";

const useStyles = makeStyles({
  stack: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalL },
  card: { padding: tokens.spacingHorizontalM, gap: tokens.spacingVerticalM, minWidth: 0 },
  title: { margin: 0, fontSize: tokens.fontSizeBase500, fontWeight: tokens.fontWeightSemibold },
  scroll: { overflowX: "auto" },
  table: { minWidth: "720px" },
  url: { wordBreak: "break-all", fontFamily: tokens.fontFamilyMonospace, fontSize: tokens.fontSizeBase200 },
  actions: { display: "flex", flexWrap: "wrap", gap: tokens.spacingHorizontalXS },
  lines: { fontFamily: tokens.fontFamilyMonospace, fontSize: tokens.fontSizeBase200, margin: 0, whiteSpace: "pre-wrap" },
});

const STATE_TEXT: Record<Schemas["JobStatus"], string> = {
  queued: "Waiting for a job worker…",
  running: "Importing…",
  retrying: "Failed once; trying again…",
  done: "Done",
  failed: "Failed",
  unknown: "Unknown job",
};

/** The progress of an import job, from `GET /jobs/{id}`. */
function ImportProgress({ jobId, onClose }: { jobId: string; onClose: () => void }) {
  const s = useStyles();
  const job = useJob(jobId);
  const client = useQueryClient();
  const j = job.data;
  const finished = j?.state === "done" || j?.state === "failed";
  // The run's log line, the bans and the counters changed with it.
  useEffect(() => {
    if (finished) {
      for (const queryKey of [keys.blocklists.all, keys.bans.all, keys.jails.all, keys.status]) void client.invalidateQueries({ queryKey });
    }
  }, [finished, client]);
  const progress = j?.progress;
  const value = j?.state === "done" ? 1 : progress && progress.total > 0 ? progress.done / progress.total : undefined;
  return (
    <Card className={s.card} aria-label="Import progress">
      <h2 className={s.title}>Import</h2>
      {job.error ? (
        <ErrorState error={job.error} onRetry={() => void job.refetch()} />
      ) : (
        <Field
          label={j ? STATE_TEXT[j.state] : "Starting…"}
          validationState={j?.state === "failed" ? "error" : j?.state === "done" ? "success" : "none"}
          validationMessage={j?.error ?? (progress ? `${formatCount(progress.done)} of ${formatCount(progress.total)}` : null)}
        >
          <ProgressBar {...(value === undefined ? {} : { value })} max={1} data-testid="import-progress" data-state={j?.state ?? "starting"} aria-label="Import progress" thickness="large" />
        </Field>
      )}
      {j && (j.state === "done" || j.state === "failed") && (
        <Button onClick={onClose} size="small">
          Dismiss
        </Button>
      )}
    </Card>
  );
}

function Sources({ sources, onImport }: { sources: Schemas["BlocklistSource"][]; onImport: (id: number) => void }) {
  const s = useStyles();
  const enable = useEnableSource();
  const remove = useDeleteSource();
  const preview = usePreview();
  const notify = useNotify();
  const [previewOf, setPreviewOf] = useState<number | null>(null);
  return (
    <>
      <div className={s.scroll}>
        <Table className={s.table} size="small" aria-label="Blocklist sources">
          <TableHeader>
            <TableRow>
              <TableHeaderCell>Name</TableHeaderCell>
              <TableHeaderCell>URL</TableHeaderCell>
              <TableHeaderCell>Jail</TableHeaderCell>
              <TableHeaderCell>Enabled</TableHeaderCell>
              <TableHeaderCell>
                <span className="visually-hidden">Actions</span>
              </TableHeaderCell>
            </TableRow>
          </TableHeader>
          <TableBody>
            {sources.map((src) => (
              <TableRow key={src.id} data-source={src.name}>
                <TableCell>{src.name}</TableCell>
                <TableCell className={s.url}>{src.url}</TableCell>
                <TableCell>{src.jail}</TableCell>
                <TableCell>
                  <Switch
                    checked={src.enabled}
                    aria-label={`${src.name} enabled`}
                    disabled={enable.isPending}
                    onChange={(_, d) => enable.mutate({ id: src.id, enabled: d.checked }, { onError: (e) => notify.failure(`Could not change ${src.name}`, e) })}
                  />
                </TableCell>
                <TableCell>
                  <div className={s.actions}>
                    <Button size="small" onClick={() => onImport(src.id)}>
                      Import now
                    </Button>
                    <Button
                      size="small"
                      disabled={preview.isPending}
                      onClick={() => {
                        setPreviewOf(src.id);
                        preview.mutate(src.id);
                      }}
                    >
                      Preview
                    </Button>
                    <SourceDialog source={src} trigger={<Button size="small">Edit</Button>} />
                    <ConfirmButton
                      label="Delete"
                      title={`Delete ${src.name}?`}
                      message="The source goes, and the bans only it made are lifted by a job. The import log keeps its runs."
                      confirmLabel="Delete"
                      onConfirm={() =>
                        remove.mutate(src.id, { onSuccess: () => notify.success(`${src.name} deleted`), onError: (e) => notify.failure(`Could not delete ${src.name}`, e) })
                      }
                    />
                  </div>
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      </div>
      {previewOf !== null && (
        <Card className={s.card} aria-label="Preview">
          <h2 className={s.title}>Preview of {sources.find((x) => x.id === previewOf)?.name}</h2>
          {preview.isPending ? (
            <Text>Downloading…</Text>
          ) : preview.error ? (
            <ErrorState error={preview.error} title="Preview failed" />
          ) : preview.data ? (
            <>
              <Text data-testid="preview-summary">
                {FORMATS[preview.data.format]}: {formatCount(preview.data.valid)} entries, {formatCount(preview.data.distinct)} to ban ({familyCounts(preview.data.counts)}),{" "}
                {formatCount(preview.data.duplicates)} duplicates, {formatCount(preview.data.covered)} inside a listed network,{" "}
                {formatCount(preview.data.refused)} not banned because they would lock someone out, {formatCount(preview.data.invalid)} lines skipped,{" "}
                {formatCount(preview.data.downloaded_bytes)} bytes.
              </Text>
              {preview.data.skipped.length > 0 && (
                <div className={s.scroll}>
                  <Table className={s.table} size="small" aria-label="Skipped lines">
                    <TableHeader>
                      <TableRow>
                        <TableHeaderCell>Line</TableHeaderCell>
                        <TableHeaderCell>Text</TableHeaderCell>
                        <TableHeaderCell>Why it was skipped</TableHeaderCell>
                      </TableRow>
                    </TableHeader>
                    <TableBody>
                      {preview.data.skipped.map((l) => (
                        <TableRow key={l.line}>
                          <TableCell>{l.line}</TableCell>
                          <TableCell>
                            <code>{l.text}</code>
                          </TableCell>
                          <TableCell>
                            {SKIP_REASONS[l.reason]}
                            {l.hint ? ` (did you mean ${l.hint}?)` : ""}
                          </TableCell>
                        </TableRow>
                      ))}
                    </TableBody>
                  </Table>
                </div>
              )}
              <pre className={s.lines}>{preview.data.first_lines.join("\n")}</pre>
            </>
          ) : null}
        </Card>
      )}
    </>
  );
}

type Preview = Schemas["Preview"];

const FORMATS: Record<Preview["format"], string> = {
  plain: "One address per line",
  netset: "Netset (addresses and networks)",
  spamhaus_drop: "Spamhaus DROP",
  dshield: "DShield block list",
  csv: "Comma-separated export",
  ranges: "Address ranges",
};

const SKIP_REASONS: Record<Preview["skipped"][number]["reason"], string> = {
  header: "column names",
  not_an_address: "not an IP address or network",
  host_bits: "host bits set",
  range_mismatch: "start, end and prefix do not describe one network",
  bad_range: "not a usable range",
};

function familyCounts(c: Preview["counts"]): string {
  return [
    `${formatCount(c.ipv4_addresses)} IPv4 addresses`,
    `${formatCount(c.ipv4_networks)} IPv4 networks`,
    `${formatCount(c.ipv6_addresses)} IPv6 addresses`,
    `${formatCount(c.ipv6_networks)} IPv6 networks`,
  ].join(", ");
}

function RunsCard() {
  const s = useStyles();
  const tz = useTimeZone();
  const [page, setPage] = useState(1);
  const runs = useRuns(page);
  return (
    <Card className={s.card}>
      <h2 className={s.title}>Import log</h2>
      <QueryView query={runs}>
        {(p) =>
          p.total === 0 ? (
            <Empty title="No import has run yet" />
          ) : (
            <>
              <div className={s.scroll}>
                <Table className={s.table} size="small" aria-label="Import runs">
                  <TableHeader>
                    <TableRow>
                      <TableHeaderCell>Started</TableHeaderCell>
                      <TableHeaderCell>Source</TableHeaderCell>
                      <TableHeaderCell>Status</TableHeaderCell>
                      <TableHeaderCell>Valid</TableHeaderCell>
                      <TableHeaderCell>New bans</TableHeaderCell>
                      <TableHeaderCell>Already banned</TableHeaderCell>
                      <TableHeaderCell>Removed</TableHeaderCell>
                      <TableHeaderCell>Invalid</TableHeaderCell>
                      <TableHeaderCell>Not banned (lockout)</TableHeaderCell>
                      <TableHeaderCell>Error</TableHeaderCell>
                    </TableRow>
                  </TableHeader>
                  <TableBody>
                    {p.items.map((r) => (
                      <TableRow key={r.id}>
                        <TableCell>{formatDateTime(r.started_at, tz)}</TableCell>
                        <TableCell>{r.source_name}</TableCell>
                        <TableCell>{r.status}</TableCell>
                        <TableCell>{r.valid == null ? "—" : formatCount(r.valid)}</TableCell>
                        <TableCell>{r.newly_banned == null ? "—" : formatCount(r.newly_banned)}</TableCell>
                        <TableCell>{r.already_banned == null ? "—" : formatCount(r.already_banned)}</TableCell>
                        <TableCell>{r.removed == null ? "—" : formatCount(r.removed)}</TableCell>
                        <TableCell>{r.invalid == null ? "—" : formatCount(r.invalid)}</TableCell>
                        <TableCell title={r.refusals.map((x) => `${x.entry}: ${x.message}`).join("\n")}>
                          {r.refused == null ? "—" : formatCount(r.refused)}
                          {r.refusals.length > 0 ? ` (${r.refusals.slice(0, 3).map((x) => x.entry).join(", ")}${r.refusals.length > 3 ? ", …" : ""})` : ""}
                        </TableCell>
                        <TableCell>{r.error ?? ""}</TableCell>
                      </TableRow>
                    ))}
                  </TableBody>
                </Table>
              </div>
              <Pager page={p.page} pageSize={p.page_size} total={p.total} label="Import log" onPage={setPage} />
            </>
          )
        }
      </QueryView>
    </Card>
  );
}

export function BlocklistsPage() {
  const s = useStyles();
  const sources = useSources();
  const start = useImport();
  const notify = useNotify();
  const [jobId, setJobId] = useState<string | null>(null);
  const importNow = (id: number | null) =>
    start.mutate(id, {
      onSuccess: (r) => {
        setJobId(r.job_id);
        if (r.already_queued) notify.success("An import is already queued", "Its progress is shown below.");
      },
      onError: (e) => notify.failure("Could not start the import", e),
    });

  return (
    <>
      <PageHeader title="Blocklists">
        <SourceDialog
          trigger={
            <Button appearance="primary" icon={<AddRegular />}>
              Add a blocklist
            </Button>
          }
        />
        <Button icon={<ArrowDownloadRegular />} disabled={start.isPending} onClick={() => importNow(null)}>
          Import all now
        </Button>
      </PageHeader>
      <div className={s.stack}>
        {jobId && <ImportProgress jobId={jobId} onClose={() => setJobId(null)} />}
        <Card className={s.card}>
          <h2 className={s.title}>Sources</h2>
          <QueryView query={sources} loading="Loading sources…">
            {(p) => (p.items.length === 0 ? <Empty title="No blocklist yet">Add one to ban the addresses it lists.</Empty> : <Sources sources={p.items} onImport={importNow} />)}
          </QueryView>
        </Card>
        <ScheduleCard />
        <RunsCard />
      </div>
    </>
  );
}
