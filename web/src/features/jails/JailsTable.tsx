import { Badge, Button, Menu, MenuItem, MenuList, MenuPopover, MenuTrigger, Table, TableBody, TableCell, TableHeader, TableHeaderCell, TableRow, makeStyles } from "@fluentui/react-components";
import { MoreHorizontalRegular } from "@fluentui/react-icons";
import { Link } from "react-router";
import type { Schemas } from "../../api/client";
import { useNotify } from "../../components/notify";
import { formatCount } from "../../lib/time";
import { useJailControl, useSetIdle, type JailControl } from "./api";

const useStyles = makeStyles({ scroll: { overflowX: "auto" }, table: { minWidth: "640px" }, num: { textAlign: "right" } });

/** Start, stop, reload and idle for one jail, with a toast for the outcome. */
export function useJailActions() {
  const control = useJailControl();
  const idle = useSetIdle();
  const notify = useNotify();
  return {
    busy: control.isPending || idle.isPending,
    run(name: string, action: JailControl) {
      const done = { start: "started", stop: "stopped", reload: "reloaded" }[action];
      control.mutate(
        { name, action },
        {
          onSuccess: () => notify.success(`Jail ${name} ${done}`),
          onError: (e) => notify.failure(`Could not ${action} ${name}`, e),
        },
      );
    },
    idle(name: string, on: boolean) {
      idle.mutate(
        { name, on },
        {
          onSuccess: () => notify.success(on ? `Jail ${name} is idle` : `Jail ${name} reads its logs again`),
          onError: (e) => notify.failure(`Could not change ${name}`, e),
        },
      );
    },
  };
}

export function JailsTable({ jails }: { jails: Schemas["JailSummary"][] }) {
  const s = useStyles();
  const actions = useJailActions();
  return (
    <div className={s.scroll}>
      <Table className={s.table} size="small" aria-label="Jails">
        <TableHeader>
          <TableRow>
            <TableHeaderCell>Jail</TableHeaderCell>
            <TableHeaderCell>State</TableHeaderCell>
            <TableHeaderCell>Failures now / total</TableHeaderCell>
            <TableHeaderCell>Banned now / total</TableHeaderCell>
            <TableHeaderCell>Backend</TableHeaderCell>
            <TableHeaderCell>
              <span className="visually-hidden">Actions</span>
            </TableHeaderCell>
          </TableRow>
        </TableHeader>
        <TableBody>
          {jails.map((j) => (
            <TableRow key={j.name} data-jail={j.name}>
              <TableCell>
                <Link to={`/jails/${encodeURIComponent(j.name)}`}>{j.name}</Link>
              </TableCell>
              <TableCell>
                {j.idle ? (
                  <Badge appearance="tint" color="warning">
                    idle
                  </Badge>
                ) : (
                  <Badge appearance="tint" color="success">
                    running
                  </Badge>
                )}
              </TableCell>
              <TableCell>
                {formatCount(j.currently_failed)} / {formatCount(j.total_failed)}
              </TableCell>
              <TableCell data-testid={`banned-${j.name}`}>
                {formatCount(j.currently_banned)} / {formatCount(j.total_banned)}
              </TableCell>
              <TableCell>{j.backend ?? "—"}</TableCell>
              <TableCell>
                <Menu>
                  <MenuTrigger disableButtonEnhancement>
                    <Button appearance="subtle" size="small" icon={<MoreHorizontalRegular />} aria-label={`Actions for ${j.name}`} disabled={actions.busy} />
                  </MenuTrigger>
                  <MenuPopover>
                    <MenuList>
                      <MenuItem onClick={() => actions.run(j.name, "reload")}>Reload</MenuItem>
                      <MenuItem onClick={() => actions.idle(j.name, !j.idle)}>{j.idle ? "Leave idle" : "Set idle"}</MenuItem>
                      <MenuItem onClick={() => actions.run(j.name, "stop")}>Stop</MenuItem>
                    </MenuList>
                  </MenuPopover>
                </Menu>
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </div>
  );
}
