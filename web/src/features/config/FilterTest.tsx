// The filter test: a filter (as saved, or a draft of it) run over pasted lines or the last
// lines of a jail's log; per line matched, ignored or missed, with the address and time
// fail2ban finds — the answers fail2ban-regex gives. Nothing is saved.
import { useMemo, useState } from "react";
import {
  Badge,
  Button,
  Dropdown,
  Field,
  MessageBar,
  MessageBarBody,
  MessageBarTitle,
  Option,
  Radio,
  RadioGroup,
  SpinButton,
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
  Textarea,
  makeStyles,
  mergeClasses,
  tokens,
} from "@fluentui/react-components";
import { messageOf, type Schemas } from "../../api/client";
import { useTimeZone } from "../../app/gates";
import { Empty } from "../../components/states";
import { formatDateTime } from "../../lib/time";
import { useFilterTest, type FilterTestRequest } from "./api";

type Report = Schemas["FilterTestReport"];
type Status = Schemas["LineStatus"];

/** At most this many result rows are drawn; the summary counts them all. */
const SHOWN = 500;

const useStyles = makeStyles({
  panel: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalM, marginTop: tokens.spacingVerticalL, minWidth: 0 },
  row: { display: "flex", gap: tokens.spacingHorizontalM, flexWrap: "wrap", alignItems: "end" },
  textarea: { fontFamily: tokens.fontFamilyMonospace, minHeight: "140px" },
  summary: { display: "flex", gap: tokens.spacingHorizontalS, flexWrap: "wrap", alignItems: "center" },
  scroll: { overflowX: "auto", maxHeight: "520px", overflowY: "auto" },
  mono: { fontFamily: tokens.fontFamilyMonospace, fontSize: tokens.fontSizeBase200, overflowWrap: "anywhere", whiteSpace: "pre-wrap" },
  date: { backgroundColor: tokens.colorNeutralBackground3, borderRadius: tokens.borderRadiusSmall },
  number: { width: "4em", color: tokens.colorNeutralForeground3 },
  result: { width: "7em" },
  address: { width: "12em" },
  time: { width: "11em" },
  wide: { "@media (max-width: 600px)": { display: "none" } },
  // At phone width the address goes under the line instead of a column of its own.
  narrow: { display: "none", "@media (max-width: 600px)": { display: "block", fontWeight: tokens.fontWeightSemibold } },
});

const STATUS_COLOR: Record<Status, "danger" | "warning" | "informative"> = {
  matched: "danger",
  ignored: "warning",
  missed: "informative",
};

const split = (text: string) => text.split("\n").filter((l) => l.trim() !== "");

interface Draft {
  prefregex: string;
  failregex: string;
  ignoreregex: string;
  datepattern: string;
}

/** The test panel of one filter; `jails` are the jails that use it (their logs can be read). */
export function FilterTestPanel({ name, jails }: { name: string; jails: string[] }) {
  const s = useStyles();
  const test = useFilterTest();
  const [source, setSource] = useState<"lines" | "log">(jails.length > 0 ? "log" : "lines");
  const [pasted, setPasted] = useState("");
  const [jail, setJail] = useState(jails[0] ?? "");
  const [count, setCount] = useState(200);
  // A draft starts from the expressions as fail2ban ran them in the last test.
  const [draft, setDraft] = useState<Draft | null>(null);
  const effective = test.data?.effective;
  const startDraft = (on: boolean) =>
    setDraft(
      on && effective
        ? {
            prefregex: effective.prefregex ?? "",
            failregex: effective.failregex.join("\n"),
            ignoreregex: effective.ignoreregex.join("\n"),
            datepattern: effective.datepattern ?? "",
          }
        : null,
    );
  const lines = pasted.split("\n");
  const canRun = source === "lines" ? pasted.trim() !== "" : jail !== "";
  const run = () => {
    const body: FilterTestRequest = { filter: name };
    if (source === "lines") body.lines = lines;
    else {
      body.jail = jail;
      body.log_lines = count;
    }
    if (draft) {
      body.prefregex = draft.prefregex.trim();
      body.failregex = split(draft.failregex);
      body.ignoreregex = split(draft.ignoreregex);
      body.datepattern = draft.datepattern;
    }
    test.mutate(body);
  };
  return (
    <section className={s.panel} aria-label={`Test ${name}`}>
      <Text as="h3" weight="semibold" size={300}>
        Test against log lines
      </Text>
      <Text size={200}>Runs the filter as fail2ban-regex does: the date is cut out first, then every expression is tried. Host names are shown as written, not resolved. Nothing is saved.</Text>
      <RadioGroup layout="horizontal" value={source} onChange={(_, d) => setSource(d.value === "log" ? "log" : "lines")} aria-label="Lines to test">
        <Radio value="lines" label="Pasted lines" />
        <Radio value="log" label="A jail's log" disabled={jails.length === 0} />
      </RadioGroup>
      {source === "lines" ? (
        <Field label="Log lines" hint={`One per line, up to 10,000. Lines starting with # and empty lines are skipped.`}>
          <Textarea textarea={{ className: s.textarea }} value={pasted} onChange={(_, d) => setPasted(d.value)} spellCheck={false} resize="vertical" placeholder="2026-12-04 10:00:01 sshd[123]: Failed password for root from 192.0.2.1 port 22 ssh2" />
        </Field>
      ) : (
        <div className={s.row}>
          <Field label="Jail">
            <Dropdown value={jail} selectedOptions={[jail]} onOptionSelect={(_, d) => setJail(d.optionValue ?? "")}>
              {jails.map((j) => (
                <Option key={j} value={j}>
                  {j}
                </Option>
              ))}
            </Dropdown>
          </Field>
          <Field label="Last lines">
            <SpinButton min={1} max={10000} value={count} onChange={(_, d) => setCount(Math.min(10000, Math.max(1, d.value ?? (Number(d.displayValue) || 200))))} />
          </Field>
        </div>
      )}
      <Switch
        checked={draft !== null}
        disabled={!effective && draft === null}
        onChange={(_, d) => startDraft(d.checked)}
        label={effective || draft ? "Try changed expressions (not saved)" : "Try changed expressions (after a first test, which shows them as fail2ban runs them)"}
      />
      {draft && (
        <>
          <Field label="prefregex" hint="Must match first; <F-CONTENT> is what the failregex lines see.">
            <Textarea textarea={{ className: s.mono }} value={draft.prefregex} onChange={(_, d) => setDraft({ ...draft, prefregex: d.value })} spellCheck={false} resize="vertical" />
          </Field>
          <Field label="failregex" hint="One expression per line; <HOST> marks the address.">
            <Textarea textarea={{ className: s.textarea }} value={draft.failregex} onChange={(_, d) => setDraft({ ...draft, failregex: d.value })} spellCheck={false} resize="vertical" />
          </Field>
          <Field label="ignoreregex">
            <Textarea textarea={{ className: s.textarea }} value={draft.ignoreregex} onChange={(_, d) => setDraft({ ...draft, ignoreregex: d.value })} spellCheck={false} resize="vertical" />
          </Field>
          <Field label="datepattern" hint="Empty: fail2ban's default date formats. Also {^LN-BEG}, EPOCH, {NONE} or a pattern like %Y-%m-%d %H:%M:%S.">
            <Textarea textarea={{ className: s.mono }} value={draft.datepattern} onChange={(_, d) => setDraft({ ...draft, datepattern: d.value })} spellCheck={false} resize="vertical" />
          </Field>
        </>
      )}
      <div className={s.row}>
        <Button appearance="primary" onClick={run} disabled={!canRun || test.isPending}>
          {test.isPending ? "Testing…" : "Run test"}
        </Button>
      </div>
      {test.error && (
        <MessageBar intent="error" role="alert" layout="multiline">
          <MessageBarBody>
            <MessageBarTitle>Not tested</MessageBarTitle>
            {messageOf(test.error)}
          </MessageBarBody>
        </MessageBar>
      )}
      {test.data && !test.isPending && <Results report={test.data} />}
    </section>
  );
}

function Results({ report }: { report: Report }) {
  const s = useStyles();
  const [show, setShow] = useState<Status | "all">("all");
  const tz = useTimeZone();
  const { summary } = report;
  const rows = useMemo(() => report.lines.filter((l) => show === "all" || l.status === show), [report, show]);
  if (summary.tested === 0)
    return <Empty title="No line was tested">{report.log ? `${report.log} has no lines yet.` : "Lines starting with # and empty lines are skipped, as fail2ban-regex skips them."}</Empty>;
  const time = (t: number | null | undefined) => (t === null || t === undefined ? "" : formatDateTime(t * 1000, tz));
  return (
    <div className={s.panel} role="region" aria-label="Test results">
      <div className={s.summary} role="status">
        <Text weight="semibold">{summary.tested} tested</Text>
        <Badge appearance="tint" color="danger">
          {summary.matched} matched
        </Badge>
        <Badge appearance="tint" color="warning">
          {summary.ignored} ignored
        </Badge>
        <Badge appearance="tint" color="informative">
          {summary.missed} missed
        </Badge>
        {report.log && <Text size={200}>from {report.log}{report.truncated ? " (its last 16 MB)" : ""}</Text>}
      </div>
      <Text size={200}>
        Matches per failregex: {summary.failregex_matches.map((n, i) => `#${i + 1}: ${n}`).join(", ")}
        {summary.ignoreregex_matches.length > 0 && ` · per ignoreregex: ${summary.ignoreregex_matches.map((n, i) => `#${i + 1}: ${n}`).join(", ")}`}
        {summary.date_templates.length > 0 && ` · dates found by ${summary.date_templates.map((d) => `${d.template} (${d.hits})`).join(", ")}`}
      </Text>
      <TabList size="small" selectedValue={show} onTabSelect={(_, d) => setShow(d.value as Status | "all")} aria-label="Lines shown">
        <Tab value="all">All</Tab>
        <Tab value="matched">Matched</Tab>
        <Tab value="ignored">Ignored</Tab>
        <Tab value="missed">Missed</Tab>
      </TabList>
      {rows.length === 0 ? (
        <Empty title={`No ${show} line`} />
      ) : (
        <div className={s.scroll}>
          <Table size="small" aria-label="Tested lines">
            <TableHeader>
              <TableRow>
                <TableHeaderCell className={mergeClasses(s.number, s.wide)}>#</TableHeaderCell>
                <TableHeaderCell className={s.result}>Result</TableHeaderCell>
                <TableHeaderCell>Line</TableHeaderCell>
                <TableHeaderCell className={mergeClasses(s.address, s.wide)}>Address</TableHeaderCell>
                <TableHeaderCell className={mergeClasses(s.time, s.wide)}>Time</TableHeaderCell>
              </TableRow>
            </TableHeader>
            <TableBody>
              {rows.slice(0, SHOWN).map((l) => {
                const ids = l.failures
                  .filter((f) => !f.nofail)
                  .map((f) => f.id ?? "(pending)")
                  .join(", ");
                return (
                <TableRow key={l.number} data-status={l.status}>
                  <TableCell className={mergeClasses(s.number, s.wide)}>{l.number}</TableCell>
                  <TableCell>
                    <Badge appearance="tint" color={STATUS_COLOR[l.status]}>
                      {l.status}
                    </Badge>
                  </TableCell>
                  <TableCell className={s.mono}>
                    <LineText text={l.text} date={l.date ?? null} />
                    {ids && <span className={s.narrow}>{ids}</span>}
                  </TableCell>
                  <TableCell className={mergeClasses(s.mono, s.wide)}>{ids}</TableCell>
                  <TableCell className={mergeClasses(s.mono, s.wide)}>{time(l.time)}</TableCell>
                </TableRow>
                );
              })}
            </TableBody>
          </Table>
          {rows.length > SHOWN && (
            <Text size={200}>
              Showing the first {SHOWN} of {rows.length} lines.
            </Text>
          )}
        </div>
      )}
    </div>
  );
}

/** The line, with the date fail2ban cut out of it marked. */
function LineText({ text, date }: { text: string; date: string | null }) {
  const s = useStyles();
  const at = date ? text.indexOf(date) : -1;
  if (!date || at < 0) return <>{text}</>;
  return (
    <>
      {text.slice(0, at)}
      <span className={s.date} title="The date fail2ban found">
        {date}
      </span>
      {text.slice(at + date.length)}
    </>
  );
}
