import { Card, Text, makeStyles, tokens } from "@fluentui/react-components";
import { QueryView } from "../../components/states";
import { formatCount } from "../../lib/time";
import { useFail2banStatus } from "./api";

const useStyles = makeStyles({
  grid: { display: "grid", gridTemplateColumns: "repeat(auto-fit, minmax(140px, 1fr))", gap: tokens.spacingHorizontalM, marginBottom: tokens.spacingVerticalL },
  card: { padding: tokens.spacingHorizontalM },
  value: { fontSize: tokens.fontSizeHero700, fontWeight: tokens.fontWeightSemibold, lineHeight: tokens.lineHeightHero700 },
  online: { color: tokens.colorPaletteGreenForeground1 },
  offline: { color: tokens.colorPaletteRedForeground1 },
});

function Stat({ label, value, className, testId }: { label: string; value: string; className?: string | undefined; testId: string }) {
  const s = useStyles();
  return (
    <Card className={s.card} role="group" aria-label={label}>
      <Text size={200}>{label}</Text>
      <span className={className ? `${s.value} ${className}` : s.value} data-testid={testId}>
        {value}
      </span>
    </Card>
  );
}

/** fail2ban at a glance: reachable or not, its version, jails, current failures and bans. */
export function StatusBar() {
  const s = useStyles();
  const status = useFail2banStatus();
  return (
    <QueryView query={status}>
      {(st) => {
        const failures = st.jails.reduce((n, j) => n + j.currently_failed, 0);
        const bans = st.jails.reduce((n, j) => n + j.currently_banned, 0);
        return (
          <section className={s.grid} aria-label="fail2ban status">
            <Stat label="fail2ban" value={st.online ? "Online" : "Offline"} className={st.online ? s.online : s.offline} testId="stat-online" />
            <Stat label="Version" value={st.version ?? "—"} testId="stat-version" />
            <Stat label="Jails" value={formatCount(st.jails.length)} testId="stat-jails" />
            <Stat label="Failures now" value={formatCount(failures)} testId="stat-failures" />
            <Stat label="Banned now" value={formatCount(bans)} testId="stat-bans" />
          </section>
        );
      }}
    </QueryView>
  );
}
