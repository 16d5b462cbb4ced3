import { useState } from "react";
import { Button, Card, Dropdown, Field, Input, Option, Text, makeStyles, tokens } from "@fluentui/react-components";
import { ErrorState } from "../../components/states";
import { useNotify } from "../../components/notify";
import { useBan, useJailControl, useLookup, useUnban } from "./api";

const useStyles = makeStyles({
  grid: { display: "grid", gridTemplateColumns: "repeat(auto-fit, minmax(260px, 1fr))", gap: tokens.spacingHorizontalL },
  card: { padding: tokens.spacingHorizontalM },
  title: { margin: 0, fontSize: tokens.fontSizeBase400, fontWeight: tokens.fontWeightSemibold },
  form: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalS },
  inline: { display: "flex", flexWrap: "wrap", gap: tokens.spacingHorizontalS, alignItems: "end" },
});

const ALL = "__all__";

function JailPicker({ jails, value, onChange, label, allowAll }: { jails: string[]; value: string; onChange: (v: string) => void; label: string; allowAll?: boolean }) {
  const text = value === ALL ? "Every jail" : value;
  return (
    <Field label={label}>
      <Dropdown value={text} selectedOptions={[value]} onOptionSelect={(_, d) => onChange(d.optionValue ?? "")} placeholder="Choose a jail">
        {allowAll && <Option value={ALL}>Every jail</Option>}
        {jails.map((j) => (
          <Option key={j} value={j}>
            {j}
          </Option>
        ))}
      </Dropdown>
    </Field>
  );
}

function BanForm({ jails }: { jails: string[] }) {
  const s = useStyles();
  const ban = useBan();
  const notify = useNotify();
  const [jail, setJail] = useState(jails[0] ?? "");
  const [ip, setIp] = useState("");
  return (
    <Card className={s.card}>
      <h2 className={s.title}>Ban an address or network</h2>
      <form
        className={s.form}
        aria-label="Ban an address or network"
        onSubmit={(e) => {
          e.preventDefault();
          ban.mutate(
            { jail, ip: ip.trim() },
            {
              onSuccess: (r) => {
                notify.success(r.newly_banned ? `${r.ip} banned in ${r.jail}` : `${r.ip} was already banned in ${r.jail}`);
                setIp("");
              },
              onError: (err) => notify.failure(`Could not ban ${ip}`, err),
            },
          );
        }}
      >
        <JailPicker jails={jails} value={jail} onChange={setJail} label="Jail" />
        <Field label="Address or network" hint="An IPv4 or IPv6 address, or a network such as 192.0.2.0/24.">
          <Input value={ip} onChange={(_, d) => setIp(d.value)} placeholder="192.0.2.10" />
        </Field>
        <Button appearance="primary" type="submit" disabled={!jail || !ip.trim() || ban.isPending}>
          Ban
        </Button>
      </form>
    </Card>
  );
}

function UnbanForm({ jails }: { jails: string[] }) {
  const s = useStyles();
  const unban = useUnban();
  const notify = useNotify();
  const [jail, setJail] = useState(ALL);
  const [ip, setIp] = useState("");
  return (
    <Card className={s.card}>
      <h2 className={s.title}>Unban an address or network</h2>
      <form
        className={s.form}
        aria-label="Unban an address or network"
        onSubmit={(e) => {
          e.preventDefault();
          unban.mutate(
            jail === ALL ? { ip: ip.trim() } : { ip: ip.trim(), jail },
            {
              onSuccess: (r) => {
                notify.success(r.unbanned > 0 ? `${r.ip} unbanned (${r.unbanned})` : `${r.ip} was not banned`);
                setIp("");
              },
              onError: (err) => notify.failure(`Could not unban ${ip}`, err),
            },
          );
        }}
      >
        <JailPicker jails={jails} value={jail} onChange={setJail} label="Jail" allowAll />
        <Field label="Address or network" hint="As banned: unbanning a network leaves the addresses banned inside it.">
          <Input value={ip} onChange={(_, d) => setIp(d.value)} placeholder="192.0.2.10" />
        </Field>
        <Button type="submit" disabled={!ip.trim() || unban.isPending}>
          Unban
        </Button>
      </form>
    </Card>
  );
}

type LookupBan = { jail: string; ip: string; coverage: "exact" | "containing" | "inside" };

/** The networks a lookup's answer is banned through, and the bans inside a network looked up. */
function through(bans: LookupBan[], total: number): string {
  const containing = bans.filter((b) => b.coverage === "containing").map((b) => `${b.ip} in ${b.jail}`);
  const inside = bans.filter((b) => b.coverage === "inside");
  // The answer lists the first bans only: those not listed lie inside.
  const insideCount = inside.length + (total - bans.length);
  const parts = [];
  if (containing.length) parts.push(` through ${containing.join(", ")}`);
  if (insideCount)
    parts.push(
      `; ${insideCount.toLocaleString()} ${insideCount === 1 ? "ban" : "bans"} inside it (${inside
        .slice(0, 5)
        .map((b) => `${b.ip} in ${b.jail}`)
        .join(", ")}${insideCount > 5 ? ", …" : ""})`,
    );
  return parts.join("");
}

function LookupForm() {
  const s = useStyles();
  const [ip, setIp] = useState("");
  const [asked, setAsked] = useState<string | null>(null);
  const lookup = useLookup(asked);
  return (
    <Card className={s.card}>
      <h2 className={s.title}>Look up an address or network</h2>
      <form
        className={s.form}
        aria-label="Look up an address or network"
        onSubmit={(e) => {
          e.preventDefault();
          setAsked(ip.trim());
        }}
      >
        <Field label="Address or network" hint="Which jails ban it (also through a network), or ignore it.">
          <Input value={ip} onChange={(_, d) => setIp(d.value)} placeholder="192.0.2.10" />
        </Field>
        <Button type="submit" disabled={!ip.trim()}>
          Look up
        </Button>
      </form>
      <div aria-live="polite" data-testid="lookup-result">
        {lookup.error ? (
          <ErrorState error={lookup.error} title="Lookup failed" />
        ) : lookup.data ? (
          <Text>
            {lookup.data.ip}: {lookup.data.banned_in.length ? `banned in ${lookup.data.banned_in.join(", ")}` : "not banned"}
            {through(lookup.data.bans, lookup.data.bans_total)}
            {lookup.data.ignored_in.length ? `; ignored by ${lookup.data.ignored_in.join(", ")}` : ""}.
          </Text>
        ) : null}
      </div>
    </Card>
  );
}

/** Starting a stopped jail: fail2ban forgets stopped jails, so the name is typed. */
export function StartJailForm() {
  const s = useStyles();
  const control = useJailControl();
  const notify = useNotify();
  const [name, setName] = useState("");
  return (
    <form
      className={s.inline}
      aria-label="Start a stopped jail"
      onSubmit={(e) => {
        e.preventDefault();
        control.mutate(
          { name: name.trim(), action: "start" },
          {
            onSuccess: () => {
              notify.success(`Jail ${name.trim()} started`);
              setName("");
            },
            onError: (err) => notify.failure(`Could not start ${name}`, err),
          },
        );
      }}
    >
      <Field label="Start a stopped jail">
        <Input value={name} onChange={(_, d) => setName(d.value)} placeholder="jail name" />
      </Field>
      <Button type="submit" disabled={!name.trim() || control.isPending}>
        Start
      </Button>
    </form>
  );
}

export function BanForms({ jails }: { jails: string[] }) {
  const s = useStyles();
  return (
    <section className={s.grid} aria-label="Ban, unban and look up">
      <BanForm jails={jails} />
      <UnbanForm jails={jails} />
      <LookupForm />
    </section>
  );
}
