import { Button, makeStyles, tokens } from "@fluentui/react-components";
import { ArrowClockwiseRegular, DeleteRegular } from "@fluentui/react-icons";
import { ConfirmButton } from "../../components/ConfirmButton";
import { useNotify } from "../../components/notify";
import { PageHeader } from "../../components/PageHeader";
import { Empty, QueryView } from "../../components/states";
import { ActiveBans } from "./ActiveBans";
import { useJails, useReloadAll, useUnbanAll } from "./api";
import { BanForms, StartJailForm } from "./forms";
import { JailsTable } from "./JailsTable";

const useStyles = makeStyles({
  stack: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalL },
});

export function JailsPage() {
  const s = useStyles();
  const jails = useJails();
  const reload = useReloadAll();
  const unbanAll = useUnbanAll();
  const notify = useNotify();
  return (
    <>
      <PageHeader title="Jails">
        <Button
          icon={<ArrowClockwiseRegular />}
          disabled={reload.isPending}
          onClick={() => reload.mutate(undefined, { onSuccess: () => notify.success("fail2ban reloaded"), onError: (e) => notify.failure("Reload failed", e) })}
        >
          Reload all
        </Button>
        <ConfirmButton
          label="Clear all bans"
          icon={<DeleteRegular />}
          title="Clear every ban?"
          message="Every address banned in every jail is unbanned at once, including blocklist imports. The archive keeps them."
          confirmLabel="Unban everything"
          disabled={unbanAll.isPending}
          onConfirm={() =>
            unbanAll.mutate(undefined, {
              onSuccess: (r) => notify.success(`${r.unbanned} bans lifted`),
              onError: (e) => notify.failure("Could not clear the bans", e),
            })
          }
        />
      </PageHeader>
      <div className={s.stack}>
        <QueryView query={jails} loading="Loading jails…">
          {(list) =>
            list.items.length === 0 ? (
              <Empty title={list.online ? "fail2ban runs no jail" : "fail2ban is offline"}>Start one below, or enable one in fail2ban's configuration.</Empty>
            ) : (
              <JailsTable jails={list.items} />
            )
          }
        </QueryView>
        <StartJailForm />
        {jails.data && <BanForms jails={jails.data.items.map((j) => j.name)} />}
        <ActiveBans />
      </div>
    </>
  );
}
