// fail2ban's configuration: jails (activate the inactive ones), raw files (edit with
// versions: a change made meanwhile elsewhere is never overwritten unknowingly), server
// settings, and fail2ban's own log.
import { Suspense, lazy, useEffect, useState } from "react";
import {
  Badge,
  Button,
  Card,
  Dropdown,
  Field,
  Input,
  MessageBar,
  MessageBarActions,
  MessageBarBody,
  MessageBarTitle,
  Option,
  Switch,
  Tab,
  TabList,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  Text,
  makeStyles,
  mergeClasses,
  tokens,
} from "@fluentui/react-components";
import { ApiError, messageOf, type Schemas } from "../../api/client";
import { PageHeader } from "../../components/PageHeader";
import { Empty, Loading, QueryView } from "../../components/states";
import { useNotify } from "../../components/notify";
import { useUrlParams } from "../../lib/useUrlParams";
import { ConfirmButton } from "../../components/ConfirmButton";
import { ActivateDialog, EditJailDialog } from "./JailDialogs";
import { LibraryTab } from "./LibraryTabs";
import { Revisions } from "./Revisions";

// CodeMirror is the editor's alone: its own chunk, loaded when a file opens.
const CodeEditor = lazy(() => import("../../components/CodeEditor"));
import { useDeactivate, useConfigFile, useConfigFiles, useConfigJails, useFail2banLog, useFlushLogs, useSaveFile, useServerSettings, useSetServer } from "./api";

const useStyles = makeStyles({
  card: { padding: tokens.spacingHorizontalM, gap: tokens.spacingVerticalM, minWidth: 0, marginTop: tokens.spacingVerticalM },
  scroll: { overflowX: "auto" },
  table: { minWidth: "640px", "@media (max-width: 600px)": { minWidth: "0" } },
  mono: { fontFamily: tokens.fontFamilyMonospace, fontSize: tokens.fontSizeBase200, overflowWrap: "anywhere" },
  editorBox: { display: "grid", gridTemplateColumns: "minmax(220px, 1fr) 3fr", gap: tokens.spacingHorizontalL, "@media (max-width: 900px)": { gridTemplateColumns: "1fr" } },
  fileList: { listStyleType: "none", margin: 0, padding: 0, display: "flex", flexDirection: "column", gap: tokens.spacingVerticalXXS, maxHeight: "480px", overflowY: "auto" },
  // At phone width the tabs scroll on their own, and the jails table keeps name, state and
  // actions (filter and log paths are in the edit dialog).
  tabs: { overflowX: "auto", maxWidth: "100%" },
  wide: { "@media (max-width: 600px)": { display: "none" } },
  actions: { display: "flex", gap: tokens.spacingHorizontalS, flexWrap: "wrap" },
  row: { display: "flex", gap: tokens.spacingHorizontalM, flexWrap: "wrap", alignItems: "start" },
  log: { fontFamily: tokens.fontFamilyMonospace, fontSize: tokens.fontSizeBase200, whiteSpace: "pre-wrap", overflowWrap: "anywhere", margin: 0, maxHeight: "560px", overflowY: "auto" },
  error: { color: tokens.colorPaletteRedForeground1 },
  warning: { color: tokens.colorPaletteMarigoldForeground2 },
  notice: { color: tokens.colorPaletteBlueForeground2 },
});

const TABS = ["jails", "filters", "actions", "files", "server", "log"] as const;
type TabName = (typeof TABS)[number];

export function ConfigPage() {
  const s = useStyles();
  const [params, setParams] = useUrlParams();
  const tab: TabName = TABS.find((t) => t === params.get("tab")) ?? "jails";
  return (
    <>
      <PageHeader title="Configuration" />
      <div className={s.tabs}>
        <TabList selectedValue={tab} onTabSelect={(_, d) => setParams({ tab: d.value as string, item: undefined })} aria-label="Configuration sections">
          <Tab value="jails">Jails</Tab>
          <Tab value="filters">Filters</Tab>
          <Tab value="actions">Actions</Tab>
          <Tab value="files">Files</Tab>
          <Tab value="server">Server</Tab>
          <Tab value="log">Log</Tab>
        </TabList>
      </div>
      {tab === "jails" && <JailsTab />}
      {tab === "filters" && <LibraryTab key="filters" kind="filters" />}
      {tab === "actions" && <LibraryTab key="actions" kind="actions" />}
      {tab === "files" && <FilesTab />}
      {tab === "server" && <ServerTab />}
      {tab === "log" && <LogTab />}
    </>
  );
}

function state(j: Schemas["ConfigJail"]): { label: string; color: "success" | "informative" | "warning" | "danger" } {
  if (j.error) return { label: "Broken", color: "danger" };
  if (j.running) return { label: "Running", color: "success" };
  if (j.enabled) return { label: "Enabled, not running", color: "warning" };
  return { label: "Inactive", color: "informative" };
}

function JailsTab() {
  const s = useStyles();
  const jails = useConfigJails();
  const deactivate = useDeactivate();
  const notify = useNotify();
  const [activating, setActivating] = useState<Schemas["ConfigJail"] | null>(null);
  // By name: the dialog shows the jail as the latest answer has it (log paths change under it).
  const [editing, setEditing] = useState<string | null>(null);
  return (
    <Card className={s.card}>
      <QueryView query={jails}>
        {(list) => {
          // Running first, then the inactive ones to activate.
          const items = [...list.items].sort((a, b) => Number(b.running) - Number(a.running) || a.name.localeCompare(b.name));
          if (items.length === 0) return <Empty title="No jails in the configuration">jail.conf and jail.d define none.</Empty>;
          return (
            <div className={s.scroll}>
              <Table className={s.table} size="small" aria-label="Configured jails">
                <TableHeader>
                  <TableRow>
                    <TableHeaderCell>Jail</TableHeaderCell>
                    <TableHeaderCell>State</TableHeaderCell>
                    <TableHeaderCell className={s.wide}>Filter</TableHeaderCell>
                    <TableHeaderCell className={s.wide}>Log paths</TableHeaderCell>
                    <TableHeaderCell>
                      <span className="visually-hidden">Actions</span>
                    </TableHeaderCell>
                  </TableRow>
                </TableHeader>
                <TableBody>
                  {items.map((j) => {
                    const st = state(j);
                    return (
                      <TableRow key={j.name} data-jail={j.name}>
                        <TableCell>{j.name}</TableCell>
                        <TableCell>
                          <Badge appearance="tint" color={st.color}>
                            {st.label}
                          </Badge>
                        </TableCell>
                        <TableCell className={mergeClasses(s.mono, s.wide)}>{j.filter ? (j.filter.name ?? j.filter.error) : "—"}</TableCell>
                        <TableCell className={mergeClasses(s.mono, s.wide)}>{j.logpaths.map((l) => l.pattern).join(", ") || "—"}</TableCell>
                        <TableCell>
                          <div className={s.actions}>
                            {!j.running && !j.error && (
                              <Button size="small" onClick={() => setActivating(j)} aria-label={`Activate ${j.name}`}>
                                Activate
                              </Button>
                            )}
                            {!j.error && (
                              <Button size="small" onClick={() => setEditing(j.name)} aria-label={`Edit ${j.name}`}>
                                Edit
                              </Button>
                            )}
                            {(j.running || j.enabled) && (
                              <ConfirmButton
                                label="Deactivate"
                                size="small"
                                title={`Deactivate ${j.name}?`}
                                message={`fail2ban stops ${j.name} and lifts its bans; enabled = false in jail.d/${j.name}.local keeps it stopped after reloads and restarts.`}
                                confirmLabel="Deactivate"
                                disabled={deactivate.isPending}
                                onConfirm={() =>
                                  deactivate.mutate(j.name, {
                                    onSuccess: (done) => notify.success(`${done.jail} stopped`, `Written to ${done.file}.`),
                                    onError: (e) => notify.failure(`${j.name} not deactivated`, e),
                                  })
                                }
                              />
                            )}
                          </div>
                        </TableCell>
                      </TableRow>
                    );
                  })}
                </TableBody>
              </Table>
              {editing !== null && items.some((j) => j.name === editing) && (
                <EditJailDialog jail={items.find((j) => j.name === editing) as Schemas["ConfigJail"]} onClose={() => setEditing(null)} />
              )}
            </div>
          );
        }}
      </QueryView>
      {activating && <ActivateDialog jail={activating} onClose={() => setActivating(null)} />}
    </Card>
  );
}

function FilesTab() {
  const s = useStyles();
  const files = useConfigFiles();
  const [params, setParams] = useUrlParams();
  const selected = params.get("file");
  return (
    <Card className={s.card}>
      <div className={s.editorBox}>
        <nav aria-label="Files">
          <QueryView query={files}>
            {(list) =>
              list.items.length === 0 ? (
                <Empty title="No files">jail.d, filter.d and action.d hold no .conf or .local file.</Empty>
              ) : (
                <ul className={s.fileList}>
                  {list.items.map((f) => (
                    <li key={f.path}>
                      <Button appearance={f.path === selected ? "primary" : "subtle"} onClick={() => setParams({ file: f.path })} className={s.mono}>
                        {f.path}
                        {!f.enabled && " (disabled)"}
                      </Button>
                    </li>
                  ))}
                </ul>
              )
            }
          </QueryView>
        </nav>
        {selected ? <FileEditor key={selected} path={selected} /> : <Empty title="Pick a file">Its content opens here.</Empty>}
      </div>
    </Card>
  );
}

function FileEditor({ path }: { path: string }) {
  const s = useStyles();
  const file = useConfigFile(path);
  const save = useSaveFile();
  const notify = useNotify();
  const [text, setText] = useState<string | null>(null);
  const [etag, setEtag] = useState<string | null>(null);
  useEffect(() => {
    if (file.data && text === null) {
      setText(file.data.content);
      setEtag(file.data.etag);
    }
  }, [file.data, text]);
  const conflict = save.error instanceof ApiError && save.error.code === "config_file_changed" ? (save.error.details as { current_etag: string; current_content: string }) : null;
  const submit = (version: string) =>
    save.mutate(
      { path, content: text ?? "", etag: version },
      {
        onSuccess: (saved) => {
          setEtag(saved.etag);
          notify.success("Saved", path);
        },
      },
    );
  return (
    <QueryView query={file}>
      {() => (
        <section aria-label={`Editing ${path}`}>
          <Text as="h2" weight="semibold" className={s.mono}>
            {path}
          </Text>
          <Suspense fallback={<Loading label="Loading the editor…" />}>
            {text !== null && <CodeEditor value={text} onChange={setText} label={path} />}
          </Suspense>
          {conflict && (
            <MessageBar intent="warning" role="alert" layout="multiline">
              <MessageBarBody>
                <MessageBarTitle>Changed since you opened it</MessageBarTitle>
                Someone saved this file meanwhile. Load their version (your edits are lost), or save yours over it.
              </MessageBarBody>
              <MessageBarActions>
                <Button
                  onClick={() => {
                    setText(conflict.current_content);
                    setEtag(conflict.current_etag);
                    save.reset();
                  }}
                >
                  Load their version
                </Button>
                <Button onClick={() => submit(conflict.current_etag)}>Save mine over it</Button>
              </MessageBarActions>
            </MessageBar>
          )}
          {save.error && !conflict && (
            <MessageBar intent="error" role="alert">
              <MessageBarBody>{messageOf(save.error)}</MessageBarBody>
            </MessageBar>
          )}
          <div className={s.row}>
            <Button appearance="primary" disabled={save.isPending || etag === null || text === file.data?.content && etag === file.data?.etag} onClick={() => etag && submit(etag)}>
              {save.isPending ? "Saving…" : "Save"}
            </Button>
          </div>
          <Revisions
            path={path}
            onReverted={() => {
              // The editor takes the reverted content (the query holds it now).
              setText(null);
              setEtag(null);
              save.reset();
            }}
          />
        </section>
      )}
    </QueryView>
  );
}

const LEVELS = ["CRITICAL", "ERROR", "WARNING", "NOTICE", "INFO", "DEBUG"];

function ServerTab() {
  const s = useStyles();
  const server = useServerSettings();
  return (
    <Card className={s.card}>
      <QueryView query={server}>{(settings) => <ServerForm key={JSON.stringify(settings)} settings={settings} />}</QueryView>
    </Card>
  );
}

function ServerForm({ settings }: { settings: Schemas["ServerSettingsBody"] }) {
  const s = useStyles();
  const set = useSetServer();
  const flush = useFlushLogs();
  const notify = useNotify();
  const [loglevel, setLoglevel] = useState(settings.loglevel);
  const [logtarget, setLogtarget] = useState(settings.logtarget);
  const [purge, setPurge] = useState(String(settings.dbpurgeage ?? ""));
  const [matches, setMatches] = useState(String(settings.dbmaxmatches ?? ""));
  const save = () => {
    const body: Schemas["ServerSettingsChange"] = {};
    if (loglevel !== settings.loglevel) body.loglevel = loglevel;
    if (logtarget !== settings.logtarget) body.logtarget = logtarget;
    if (purge !== String(settings.dbpurgeage ?? "")) body.dbpurgeage = Number(purge);
    if (matches !== String(settings.dbmaxmatches ?? "")) body.dbmaxmatches = Number(matches);
    set.mutate(body, { onSuccess: () => notify.success("Server settings saved"), onError: (e) => notify.failure("Not saved", e) });
  };
  return (
    <>
      {settings.warnings.map((w) => (
        <MessageBar key={w} intent="warning">
          <MessageBarBody>{w}</MessageBarBody>
        </MessageBar>
      ))}
      <div className={s.row}>
        <Field label="Log level">
          <Dropdown value={loglevel} selectedOptions={[loglevel]} onOptionSelect={(_, d) => setLoglevel(d.optionValue ?? loglevel)}>
            {LEVELS.map((l) => (
              <Option key={l} value={l}>
                {l}
              </Option>
            ))}
          </Dropdown>
        </Field>
        <Field label="Log target" hint="STDOUT, STDERR, SYSLOG, SYSTEMD-JOURNAL or a .log file in the allowed directory.">
          <Input value={logtarget} onChange={(_, d) => setLogtarget(d.value)} />
        </Field>
        <Field label="Purge age (seconds)" hint="fail2ban forgets bans older than this.">
          <Input value={purge} onChange={(_, d) => setPurge(d.value)} inputMode="numeric" />
        </Field>
        <Field label="Log lines kept per ban">
          <Input value={matches} onChange={(_, d) => setMatches(d.value)} inputMode="numeric" />
        </Field>
      </div>
      <Text>
        Database: <code>{settings.dbfile ?? "none"}</code> · syslog socket: <code>{settings.syslogsocket}</code> (read-only)
      </Text>
      <div className={s.row}>
        <Button appearance="primary" onClick={save} disabled={set.isPending}>
          Save
        </Button>
        <Button onClick={() => flush.mutate(undefined, { onSuccess: () => notify.success("Logs flushed"), onError: (e) => notify.failure("Not flushed", e) })}>Flush logs</Button>
      </div>
    </>
  );
}

function levelClass(line: string, s: ReturnType<typeof useStyles>): string | undefined {
  if (/\b(ERROR|CRITICAL)\b/.test(line)) return s.error;
  if (/\bWARNING\b/.test(line)) return s.warning;
  if (/\bNOTICE\b/.test(line)) return s.notice;
  return undefined;
}

function LogTab() {
  const s = useStyles();
  const [lines, setLines] = useState(200);
  const [filter, setFilter] = useState("");
  const [live, setLive] = useState(false);
  const log = useFail2banLog({ lines, filter }, live);
  return (
    <Card className={s.card}>
      <div className={s.row}>
        <Field label="Lines">
          <Dropdown value={String(lines)} selectedOptions={[String(lines)]} onOptionSelect={(_, d) => setLines(Number(d.optionValue ?? lines))}>
            {[100, 200, 500, 1000, 5000].map((n) => (
              <Option key={n} value={String(n)}>
                {String(n)}
              </Option>
            ))}
          </Dropdown>
        </Field>
        <Field label="Containing">
          <Input value={filter} onChange={(_, d) => setFilter(d.value)} />
        </Field>
        <Switch checked={live} onChange={(_, d) => setLive(d.checked)} label="Refresh every 5 s" />
      </div>
      <QueryView query={log}>
        {(tail) =>
          tail.lines.length === 0 ? (
            <Empty title="No lines">{filter ? "None contains that text." : "fail2ban's log is empty."}</Empty>
          ) : (
            <pre className={s.log} aria-label={`fail2ban's log, ${tail.path}`} tabIndex={0}>
              {tail.lines.map((line, i) => (
                <span key={i} className={levelClass(line, s)}>
                  {line}
                  {"\n"}
                </span>
              ))}
            </pre>
          )
        }
      </QueryView>
    </Card>
  );
}
