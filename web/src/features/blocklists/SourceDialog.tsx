import { useState } from "react";
import { Button, Dialog, DialogActions, DialogBody, DialogContent, DialogSurface, DialogTitle, DialogTrigger, Dropdown, Field, Input, MessageBar, MessageBarBody, Option, Switch, makeStyles, tokens } from "@fluentui/react-components";
import { messageOf, type Schemas } from "../../api/client";
import { useNotify } from "../../components/notify";
import { useJails } from "../jails/api";
import { useSaveSource } from "./api";

const useStyles = makeStyles({ form: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalM } });

/** Adds a source (no `source`) or edits one, in a dialog opened by its trigger button. */
export function SourceDialog({ source, trigger }: { source?: Schemas["BlocklistSource"]; trigger: React.ReactElement }) {
  const s = useStyles();
  const jails = useJails();
  const save = useSaveSource();
  const notify = useNotify();
  const [open, setOpen] = useState(false);
  const [name, setName] = useState(source?.name ?? "");
  const [url, setUrl] = useState(source?.url ?? "");
  const [jail, setJail] = useState(source?.jail ?? "blocklist-import");
  const [enabled, setEnabled] = useState(source?.enabled ?? true);
  const jailNames = jails.data?.items.map((j) => j.name) ?? [];

  return (
    <Dialog
      open={open}
      onOpenChange={(_, d) => {
        setOpen(d.open);
        save.reset();
      }}
    >
      <DialogTrigger disableButtonEnhancement>{trigger}</DialogTrigger>
      <DialogSurface>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            save.mutate(
              { id: source?.id ?? null, body: { name: name.trim(), url: url.trim(), jail, enabled } },
              {
                onSuccess: (saved) => {
                  notify.success(source ? `${saved.name} saved` : `${saved.name} added`);
                  setOpen(false);
                },
              },
            );
          }}
        >
          <DialogBody>
            <DialogTitle>{source ? `Edit ${source.name}` : "Add a blocklist"}</DialogTitle>
            <DialogContent className={s.form}>
              <Field label="Name" required>
                <Input value={name} onChange={(_, d) => setName(d.value)} />
              </Field>
              <Field label="URL" required hint="http or https; one address per line, # comments allowed.">
                <Input type="url" value={url} onChange={(_, d) => setUrl(d.value)} placeholder="https://lists.blocklist.de/lists/ssh.txt" />
              </Field>
              <Field label="Jail its addresses are banned in">
                <Dropdown value={jail} selectedOptions={[jail]} onOptionSelect={(_, d) => setJail(d.optionValue ?? jail)}>
                  {(jailNames.includes(jail) ? jailNames : [jail, ...jailNames]).map((j) => (
                    <Option key={j} value={j}>
                      {j}
                    </Option>
                  ))}
                </Dropdown>
              </Field>
              <Switch label="Imported on schedule and by “Import all”" checked={enabled} onChange={(_, d) => setEnabled(d.checked)} />
              {save.error && (
                <MessageBar intent="error" role="alert">
                  <MessageBarBody>{messageOf(save.error)}</MessageBarBody>
                </MessageBar>
              )}
            </DialogContent>
            <DialogActions>
              <DialogTrigger disableButtonEnhancement>
                <Button appearance="secondary">Cancel</Button>
              </DialogTrigger>
              <Button appearance="primary" type="submit" disabled={!name.trim() || !url.trim() || save.isPending}>
                {source ? "Save" : "Add"}
              </Button>
            </DialogActions>
          </DialogBody>
        </form>
      </DialogSurface>
    </Dialog>
  );
}
