// Changing one jail: activating it, editing its options and log paths (written to its
// jail.d/<name>.local, checked before fail2ban sees them), and what went wrong when fail2ban
// would not take a change.
import { useEffect, useState } from "react";
import {
  Button,
  Dialog,
  DialogActions,
  DialogBody,
  DialogContent,
  DialogSurface,
  DialogTitle,
  Dropdown,
  Field,
  Input,
  MessageBar,
  MessageBarBody,
  MessageBarTitle,
  Option,
  Text,
  makeStyles,
  tokens,
} from "@fluentui/react-components";
import { ApiError, messageOf, type Schemas } from "../../api/client";
import { useNotify } from "../../components/notify";
import { useActivate, useEditJail, useLogPath, useValidateJail, type JailSettings } from "./api";

const useStyles = makeStyles({
  grid: { display: "grid", gridTemplateColumns: "repeat(auto-fill, minmax(180px, 1fr))", gap: tokens.spacingHorizontalM },
  list: { listStyleType: "none", margin: 0, padding: 0, display: "flex", flexDirection: "column", gap: tokens.spacingVerticalXS },
  path: { display: "flex", gap: tokens.spacingHorizontalS, alignItems: "center", flexWrap: "wrap" },
  mono: { fontFamily: tokens.fontFamilyMonospace, fontSize: tokens.fontSizeBase200, overflowWrap: "anywhere" },
  add: { display: "flex", gap: tokens.spacingHorizontalS, alignItems: "end", flexWrap: "wrap" },
  section: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalS, marginTop: tokens.spacingVerticalM },
  pre: { whiteSpace: "pre-wrap", overflowWrap: "anywhere", maxHeight: "200px", overflowY: "auto", margin: 0 },
});

type Finding = Schemas["ConfigFinding"];

/** What went wrong with a jail change: fail2ban's words, the check's findings, the rollback. */
export function ChangeError({ error, verb }: { error: unknown; verb: string }) {
  const s = useStyles();
  if (!error) return null;
  const api = error instanceof ApiError ? error : null;
  const details = (api?.details ?? {}) as { hint?: string; recovered?: boolean; fail2ban_message?: string; errors?: Finding[] };
  return (
    <MessageBar intent="error" role="alert" layout="multiline">
      <MessageBarBody>
        <MessageBarTitle>{api?.code === "activation_failed" ? "fail2ban refused it" : `Not ${verb}`}</MessageBarTitle>
        {messageOf(error)}
        {details.errors && details.errors.length > 1 && (
          <ul data-testid="check-errors">
            {details.errors.map((f, i) => (
              <li key={i}>{f.message}</li>
            ))}
          </ul>
        )}
        {details.hint && <Text as="p">Hint: {details.hint}</Text>}
        {details.recovered !== undefined && (
          <Text as="p" data-testid="rollback">
            {details.recovered ? "Rolled back: fail2ban runs what it ran before." : "Rolled back, but fail2ban does not run everything it ran before: check it."}
          </Text>
        )}
        {details.fail2ban_message && (
          <pre data-testid="fail2ban-message" className={s.pre}>
            {details.fail2ban_message}
          </pre>
        )}
      </MessageBarBody>
    </MessageBar>
  );
}

/** What a check (validate) found, or why it could not run. */
function CheckResult({ check }: { check: ReturnType<typeof useValidateJail> }) {
  const findings = check.data;
  return (
    <>
      {check.isPending && <Text role="status">Checking…</Text>}
      {findings && (
        <MessageBar intent={findings.valid ? (findings.warnings.length ? "warning" : "success") : "error"} layout="multiline" data-testid="check-result">
          <MessageBarBody>
            <MessageBarTitle>{findings.valid ? "fail2ban would take it" : "fail2ban would not take it"}</MessageBarTitle>
            <ul>
              {[...findings.errors, ...findings.warnings].map((f, i) => (
                <li key={i}>{f.message}</li>
              ))}
            </ul>
          </MessageBarBody>
        </MessageBar>
      )}
      {check.error && (
        <MessageBar intent="error" role="alert">
          <MessageBarBody>{messageOf(check.error)}</MessageBarBody>
        </MessageBar>
      )}
    </>
  );
}

export function ActivateDialog({ jail, onClose }: { jail: Schemas["ConfigJail"]; onClose: () => void }) {
  const activate = useActivate();
  const check = useValidateJail();
  const notify = useNotify();
  const [maxretry, setMaxretry] = useState("");
  const [bantime, setBantime] = useState("");
  const overrides = (): Record<string, string> => {
    const out: Record<string, string> = {};
    if (maxretry.trim()) out.maxretry = maxretry.trim();
    if (bantime.trim()) out.bantime = bantime.trim();
    return out;
  };
  // The jail as it would start, checked when the dialog opens.
  const { mutate: runCheck } = check;
  useEffect(() => runCheck({ name: jail.name, settings: {} }), [runCheck, jail.name]);
  const submit = () => {
    activate.mutate(
      { name: jail.name, overrides: overrides() },
      {
        onSuccess: (done) => {
          notify.success(`${done.jail} runs`, `Written to ${done.file}.`);
          onClose();
        },
      },
    );
  };
  return (
    <Dialog open onOpenChange={(_, d) => !d.open && onClose()}>
      <DialogSurface>
        <DialogBody>
          <DialogTitle>Activate {jail.name}</DialogTitle>
          <DialogContent>
            <Text as="p">
              bangui writes <code>enabled = true</code> to <code>jail.d/{jail.name}.local</code>, checks the jail as fail2ban reads it, and reloads it. If fail2ban refuses it, the file is put back.
            </Text>
            <Field label="maxretry (optional)" hint="Failures before a ban.">
              <Input value={maxretry} onChange={(_, d) => setMaxretry(d.value)} inputMode="numeric" />
            </Field>
            <Field label="bantime (optional)" hint="For example 600, 10m or 1h.">
              <Input value={bantime} onChange={(_, d) => setBantime(d.value)} />
            </Field>
            <section aria-live="polite" aria-label="Check">
              <CheckResult check={check} />
            </section>
            <ChangeError error={activate.error} verb="activated" />
          </DialogContent>
          <DialogActions>
            <Button appearance="secondary" onClick={onClose}>
              Close
            </Button>
            <Button onClick={() => check.mutate({ name: jail.name, settings: overrides() })} disabled={check.isPending}>
              Check
            </Button>
            <Button appearance="primary" onClick={submit} disabled={activate.isPending}>
              {activate.isPending ? "Activating…" : "Activate"}
            </Button>
          </DialogActions>
        </DialogBody>
      </DialogSurface>
    </Dialog>
  );
}

/** The options the edit dialog offers, with what they take. */
const FIELDS: { name: string; hint: string; numeric?: boolean }[] = [
  { name: "bantime", hint: "600, 10m, 1h, -1 (forever)" },
  { name: "findtime", hint: "The window failures are counted in." },
  { name: "maxretry", hint: "Failures before a ban.", numeric: true },
  { name: "port", hint: "ssh, 22, 8000:8080, separated by commas." },
  { name: "ignoreip", hint: "Addresses and networks never banned." },
  { name: "filter", hint: "A filter of filter.d, by name." },
];
const BACKENDS = ["auto", "polling", "pyinotify", "systemd"];

function current(jail: Schemas["ConfigJail"], name: string): { value: string; own: boolean; from: string } {
  const setting = jail.settings.find((x) => x.name === name);
  const value = setting === undefined ? "" : typeof setting.value === "string" ? setting.value : String(setting.value);
  const source = setting?.source;
  return {
    value,
    own: source?.file === `jail.d/${jail.name}.local`,
    from: source ? `${source.file} [${source.section}]` : "fail2ban's default",
  };
}

export function EditJailDialog({ jail, onClose }: { jail: Schemas["ConfigJail"]; onClose: () => void }) {
  const s = useStyles();
  const edit = useEditJail();
  const check = useValidateJail();
  const logPath = useLogPath();
  const notify = useNotify();
  const names = [...FIELDS.map((f) => f.name), "backend"];
  const initial = Object.fromEntries(names.map((n) => [n, current(jail, n).value]));
  const [values, setValues] = useState<Record<string, string>>(initial);
  const [newPath, setNewPath] = useState("");
  const set = (name: string, value: string) => {
    setValues((v) => ({ ...v, [name]: value }));
    check.reset();
  };
  // Only what changed; an emptied option the jail's own file sets is removed from it.
  const changes = (): JailSettings => {
    const out: JailSettings = {};
    for (const name of names) {
      const value = (values[name] ?? "").trim();
      if (value === initial[name]) continue;
      if (value === "") {
        if (current(jail, name).own) out[name] = null;
      } else {
        out[name] = value;
      }
    }
    return out;
  };
  const changed = Object.keys(changes()).length > 0;
  const save = () =>
    edit.mutate(
      { name: jail.name, settings: changes() },
      {
        onSuccess: (done) => {
          notify.success(`${done.jail} changed`, done.running ? `Written to ${done.file}; fail2ban reloaded it.` : `Written to ${done.file}.`);
          onClose();
        },
      },
    );
  const changePath = (path: string, add: boolean) =>
    logPath.mutate(
      { name: jail.name, path, add },
      {
        onSuccess: () => {
          notify.success(add ? "Log path added" : "Log path removed", path);
          if (add) setNewPath("");
        },
      },
    );
  return (
    <Dialog open onOpenChange={(_, d) => !d.open && onClose()}>
      <DialogSurface>
        <DialogBody>
          <DialogTitle>Edit {jail.name}</DialogTitle>
          <DialogContent>
            <Text as="p">
              Changes go to <code>jail.d/{jail.name}.local</code>, never to a stock file. They are checked first{jail.running ? "; fail2ban then reloads the jail, and the file is put back if it refuses them" : ""}.
            </Text>
            <div className={s.grid}>
              {FIELDS.map((f) => (
                <Field key={f.name} label={f.name} hint={`${f.hint} Now from ${current(jail, f.name).from}.`}>
                  <Input value={values[f.name] ?? ""} onChange={(_, d) => set(f.name, d.value)} {...(f.numeric ? { inputMode: "numeric" as const } : {})} />
                </Field>
              ))}
              <Field label="backend" hint={`How fail2ban reads the logs. Now from ${current(jail, "backend").from}.`}>
                <Dropdown value={values.backend ?? ""} selectedOptions={[values.backend ?? ""]} onOptionSelect={(_, d) => set("backend", d.optionValue ?? "auto")}>
                  {BACKENDS.map((b) => (
                    <Option key={b} value={b}>
                      {b}
                    </Option>
                  ))}
                </Dropdown>
              </Field>
            </div>
            <section className={s.section} aria-label="Log paths">
              <Text weight="semibold">Log paths</Text>
              <ul className={s.list}>
                {jail.logpaths.map((l) => (
                  <li key={l.pattern} className={s.path}>
                    <span className={s.mono}>
                      {l.pattern}
                      {l.tail !== "head" && ` (${l.tail})`}
                    </span>
                    <Button size="small" aria-label={`Remove log path ${l.pattern}`} disabled={logPath.isPending || jail.logpaths.length < 2} onClick={() => changePath(l.pattern, false)}>
                      Remove
                    </Button>
                  </li>
                ))}
              </ul>
              <div className={s.add}>
                <Field label="Add a log path" hint="An absolute path or glob, such as /var/log/nginx/*error.log.">
                  <Input value={newPath} onChange={(_, d) => setNewPath(d.value)} />
                </Field>
                <Button disabled={logPath.isPending || !newPath.trim().startsWith("/")} onClick={() => changePath(newPath.trim(), true)}>
                  Add
                </Button>
              </div>
              <ChangeError error={logPath.error} verb="changed" />
            </section>
            <section className={s.section} aria-live="polite" aria-label="Check">
              <CheckResult check={check} />
              <ChangeError error={edit.error} verb="saved" />
            </section>
          </DialogContent>
          <DialogActions>
            <Button appearance="secondary" onClick={onClose}>
              Close
            </Button>
            <Button onClick={() => check.mutate({ name: jail.name, settings: changes() })} disabled={check.isPending}>
              {check.isPending ? "Checking…" : "Check"}
            </Button>
            <Button appearance="primary" onClick={save} disabled={edit.isPending || !changed}>
              {edit.isPending ? "Saving…" : "Save"}
            </Button>
          </DialogActions>
        </DialogBody>
      </DialogSurface>
    </Dialog>
  );
}
