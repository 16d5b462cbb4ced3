import { useState } from "react";
import { Link, useParams } from "react-router";
import { Badge, Button, Card, Field, Input, Switch, Table, TableBody, TableCell, TableRow, makeStyles, tokens } from "@fluentui/react-components";
import type { Schemas } from "../../api/client";
import { useNotify } from "../../components/notify";
import { PageHeader } from "../../components/PageHeader";
import { Empty, QueryView } from "../../components/states";
import { formatCount, formatDuration } from "../../lib/time";
import { ActiveBans } from "./ActiveBans";
import { useIgnoreChange, useIgnoreSelf, useJail } from "./api";
import { useJailActions } from "./JailsTable";

const useStyles = makeStyles({
  grid: { display: "grid", gridTemplateColumns: "repeat(auto-fit, minmax(320px, 1fr))", gap: tokens.spacingHorizontalL, marginBottom: tokens.spacingVerticalL },
  card: { padding: tokens.spacingHorizontalM, gap: tokens.spacingVerticalS, minWidth: 0 },
  title: { margin: 0, fontSize: tokens.fontSizeBase400, fontWeight: tokens.fontWeightSemibold },
  code: { fontFamily: tokens.fontFamilyMonospace, fontSize: tokens.fontSizeBase200, whiteSpace: "pre-wrap", wordBreak: "break-all", margin: 0, padding: 0, listStyleType: "none" },
  row: { display: "flex", flexWrap: "wrap", gap: tokens.spacingHorizontalS, alignItems: "end" },
  back: { marginBottom: tokens.spacingVerticalS, display: "inline-block" },
});

function Lines({ lines, empty, label }: { lines: string[]; empty: string; label: string }) {
  const s = useStyles();
  if (lines.length === 0) return <Empty title={empty} />;
  return (
    <ul className={s.code} aria-label={label}>
      {lines.map((l, i) => (
        <li key={i}>{l}</li>
      ))}
    </ul>
  );
}

function Settings({ jail }: { jail: Schemas["JailDetail"] }) {
  const s = useStyles();
  const inc = jail.bantime_increment;
  const rows: [string, string][] = [
    ["Ban time", formatDuration(jail.bantime)],
    ["Find time", formatDuration(jail.findtime)],
    ["Max retry", String(jail.maxretry)],
    ["Backend", jail.backend ?? "—"],
    ["Ban time increment", inc.increment ? `on${inc.factor ? `, factor ${inc.factor}` : ""}${inc.maxtime ? `, at most ${formatDuration(inc.maxtime)}` : ""}` : "off"],
    ["Failures now / total", `${formatCount(jail.currently_failed)} / ${formatCount(jail.total_failed)}`],
    ["Banned now / total", `${formatCount(jail.currently_banned)} / ${formatCount(jail.total_banned)}`],
    ["Actions", jail.actions.join(", ") || "none"],
  ];
  return (
    <Card className={s.card}>
      <h2 className={s.title}>Settings</h2>
      <Table size="small" aria-label="Settings">
        <TableBody>
          {rows.map(([k, v]) => (
            <TableRow key={k}>
              <TableCell>{k}</TableCell>
              <TableCell>{v}</TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </Card>
  );
}

function IgnoreList({ jail }: { jail: Schemas["JailDetail"] }) {
  const s = useStyles();
  const change = useIgnoreChange();
  const self = useIgnoreSelf();
  const notify = useNotify();
  const [address, setAddress] = useState("");
  return (
    <Card className={s.card}>
      <h2 className={s.title}>Ignore list</h2>
      <Switch
        label="Ignore this host's own addresses (ignoreself)"
        checked={jail.ignore_self}
        disabled={self.isPending}
        onChange={(_, d) =>
          self.mutate({ name: jail.name, enabled: d.checked }, { onError: (e) => notify.failure("Could not change ignoreself", e) })
        }
      />
      {jail.ignore_ips.length === 0 ? (
        <Empty title="No address is ignored" />
      ) : (
        <Table size="small" aria-label="Ignored addresses">
          <TableBody>
            {jail.ignore_ips.map((ip) => (
              <TableRow key={ip}>
                <TableCell>{ip}</TableCell>
                <TableCell>
                  <Button
                    size="small"
                    aria-label={`Remove ${ip} from the ignore list`}
                    disabled={change.isPending}
                    onClick={() =>
                      change.mutate(
                        { name: jail.name, address: ip, add: false },
                        { onSuccess: () => notify.success(`${ip} is no longer ignored`), onError: (e) => notify.failure(`Could not remove ${ip}`, e) },
                      )
                    }
                  >
                    Remove
                  </Button>
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
      <form
        className={s.row}
        onSubmit={(e) => {
          e.preventDefault();
          change.mutate(
            { name: jail.name, address: address.trim(), add: true },
            {
              onSuccess: () => {
                notify.success(`${address.trim()} is ignored by ${jail.name}`);
                setAddress("");
              },
              onError: (err) => notify.failure(`Could not add ${address}`, err),
            },
          );
        }}
      >
        <Field label="Address or network to ignore">
          <Input value={address} onChange={(_, d) => setAddress(d.value)} placeholder="192.0.2.0/24" />
        </Field>
        <Button type="submit" disabled={!address.trim() || change.isPending}>
          Add
        </Button>
      </form>
    </Card>
  );
}

export function JailDetailPage() {
  const s = useStyles();
  const { name = "" } = useParams();
  const jail = useJail(name);
  const actions = useJailActions();
  return (
    <>
      <Link to="/jails" className={s.back}>
        ← All jails
      </Link>
      <QueryView query={jail} loading="Loading the jail…">
        {(j) => (
          <>
            <PageHeader title={`Jail ${j.name}`}>
              <Badge appearance="tint" color={j.idle ? "warning" : "success"}>
                {j.idle ? "idle" : "running"}
              </Badge>
              <Button disabled={actions.busy} onClick={() => actions.run(j.name, "reload")}>
                Reload
              </Button>
              <Button disabled={actions.busy} onClick={() => actions.idle(j.name, !j.idle)}>
                {j.idle ? "Leave idle" : "Set idle"}
              </Button>
              <Button disabled={actions.busy} onClick={() => actions.run(j.name, "stop")}>
                Stop
              </Button>
            </PageHeader>
            <div className={s.grid}>
              <Settings jail={j} />
              <IgnoreList jail={j} />
              <Card className={s.card}>
                <h2 className={s.title}>Filter</h2>
                <h3 className={s.title}>failregex</h3>
                <Lines lines={j.filter.failregex} empty="No failregex" label="failregex" />
                <h3 className={s.title}>ignoreregex</h3>
                <Lines lines={j.filter.ignoreregex} empty="No ignoreregex" label="ignoreregex" />
              </Card>
              <Card className={s.card}>
                <h2 className={s.title}>Logs</h2>
                <Lines lines={j.log_paths} empty={j.journal_matches.length ? "Reads the systemd journal" : "No log path"} label="Log paths" />
                {j.journal_matches.length > 0 && <Lines lines={j.journal_matches} empty="" label="Journal matches" />}
              </Card>
            </div>
            <ActiveBans jail={j.name} />
          </>
        )}
      </QueryView>
    </>
  );
}
