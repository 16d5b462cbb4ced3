// fail2ban's filters and actions: which jails use them, what they hold; filters of one's own
// (filter.d/<name>.local) created, edited and deleted, their expressions checked first.
import { useState } from "react";
import {
  Badge,
  Button,
  Card,
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
  Option,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  Text,
  Textarea,
  makeStyles,
  tokens,
} from "@fluentui/react-components";
import { messageOf, type Schemas } from "../../api/client";
import { ConfirmButton } from "../../components/ConfirmButton";
import { useNotify } from "../../components/notify";
import { Empty, QueryView } from "../../components/states";
import { useUrlParams } from "../../lib/useUrlParams";
import { useConfigJails, useDeleteFilter, useEditJail, useLibrary, useLibraryItem, useSaveFilter, type LibraryKind } from "./api";
import { ChangeError } from "./JailDialogs";
import { FilterTestPanel } from "./FilterTest";

const useStyles = makeStyles({
  card: { padding: tokens.spacingHorizontalM, gap: tokens.spacingVerticalM, minWidth: 0, marginTop: tokens.spacingVerticalM },
  layout: { display: "grid", gridTemplateColumns: "minmax(260px, 1fr) 2fr", gap: tokens.spacingHorizontalL, "@media (max-width: 900px)": { gridTemplateColumns: "1fr" } },
  list: { maxHeight: "560px", overflowY: "auto", overflowX: "auto", minWidth: 0 },
  badges: { display: "flex", gap: tokens.spacingHorizontalXS, flexWrap: "wrap", minWidth: "120px" },
  mono: { fontFamily: tokens.fontFamilyMonospace, fontSize: tokens.fontSizeBase200, overflowWrap: "anywhere", whiteSpace: "pre-wrap" },
  row: { display: "flex", gap: tokens.spacingHorizontalM, flexWrap: "wrap", alignItems: "center" },
  formRow: { display: "flex", gap: tokens.spacingHorizontalM, flexWrap: "wrap", alignItems: "end" },
  scroll: { overflowX: "auto" },
  // At phone width the section goes (most options are in [Definition]).
  wide: { "@media (max-width: 600px)": { display: "none" } },
  textarea: { fontFamily: tokens.fontFamilyMonospace, minHeight: "120px" },
});

export function LibraryTab({ kind }: { kind: LibraryKind }) {
  const s = useStyles();
  const list = useLibrary(kind);
  const [params, setParams] = useUrlParams();
  const selected = params.get("item");
  const [creating, setCreating] = useState(false);
  const noun = kind === "filters" ? "filter" : "action";
  return (
    <Card className={s.card}>
      {kind === "filters" ? (
        <div className={s.row}>
          <Button appearance="primary" onClick={() => setCreating(true)}>
            New filter
          </Button>
          <Text size={200}>A filter of your own is written to filter.d/&lt;name&gt;.local; its expressions are checked in fail2ban's dialect first.</Text>
        </div>
      ) : (
        <Text size={200}>Actions are the commands fail2ban runs: bangui shows them; it changes them only through the file editor, where the operator allows it.</Text>
      )}
      <div className={s.layout}>
        <div className={s.list}>
          <QueryView query={list}>
            {(items) =>
              items.items.length === 0 ? (
                <Empty title={`No ${kind}`}>{kind === "filters" ? "filter.d" : "action.d"} holds no .conf or .local file.</Empty>
              ) : (
                <Table size="small" aria-label={kind === "filters" ? "Filters" : "Actions"}>
                  <TableHeader>
                    <TableRow>
                      <TableHeaderCell>{kind === "filters" ? "Filter" : "Action"}</TableHeaderCell>
                      <TableHeaderCell>Used by</TableHeaderCell>
                    </TableRow>
                  </TableHeader>
                  <TableBody>
                    {items.items.map((item) => (
                      <TableRow key={item.name} data-item={item.name} aria-selected={item.name === selected}>
                        <TableCell>
                          <Button appearance={item.name === selected ? "primary" : "subtle"} size="small" onClick={() => setParams({ item: item.name })}>
                            {item.name}
                          </Button>
                          {item.local && (
                            <Badge appearance="outline" size="small">
                              {item.conf ? "local override" : "own"}
                            </Badge>
                          )}
                        </TableCell>
                        <TableCell>
                          <div className={s.badges}>
                            {item.used_by.map((jail) => (
                              <Badge key={jail} appearance="tint" color={item.used_by_running.includes(jail) ? "success" : "informative"}>
                                {jail}
                              </Badge>
                            ))}
                          </div>
                        </TableCell>
                      </TableRow>
                    ))}
                  </TableBody>
                </Table>
              )
            }
          </QueryView>
        </div>
        {selected ? <LibraryDetail key={selected} kind={kind} name={selected} onGone={() => setParams({ item: undefined })} /> : <Empty title={`Pick a ${noun}`}>Its options open here.</Empty>}
      </div>
      {kind === "filters" && selected && <FilterTest key={selected} name={selected} />}
      {creating && <FilterDialog onClose={() => setCreating(false)} onSaved={(name) => setParams({ item: name })} />}
    </Card>
  );
}

/** Sets the filter of a jail that does not use it yet (checked, written to its .local, reloaded). */
function AssignFilter({ name, usedBy }: { name: string; usedBy: string[] }) {
  const s = useStyles();
  const jails = useConfigJails();
  const edit = useEditJail();
  const notify = useNotify();
  const [jail, setJail] = useState("");
  const others = (jails.data?.items ?? []).map((j) => j.name).filter((j) => !usedBy.includes(j));
  if (others.length === 0) return null;
  const assign = () =>
    edit.mutate(
      { name: jail, settings: { filter: name } },
      {
        onSuccess: (done) => {
          notify.success(`${done.jail} uses ${name}`, done.running ? `Written to ${done.file}; fail2ban reloaded it.` : `Written to ${done.file}.`);
          setJail("");
        },
      },
    );
  return (
    <>
      <div className={s.formRow}>
        <Field label="Assign to a jail">
          <Dropdown placeholder="Pick a jail" value={jail} selectedOptions={jail ? [jail] : []} onOptionSelect={(_, d) => setJail(d.optionValue ?? "")}>
            {others.map((j) => (
              <Option key={j} value={j}>
                {j}
              </Option>
            ))}
          </Dropdown>
        </Field>
        <Button onClick={assign} disabled={jail === "" || edit.isPending}>
          {edit.isPending ? "Assigning…" : "Assign"}
        </Button>
      </div>
      <ChangeError error={edit.error} verb="assigned" />
    </>
  );
}

/** The test panel under the list, full width: the jails whose logs it offers run first. */
function FilterTest({ name }: { name: string }) {
  const item = useLibraryItem("filters", name);
  if (!item.data) return null;
  const { used_by, used_by_running } = item.data;
  return <FilterTestPanel name={name} jails={[...used_by_running, ...used_by.filter((j) => !used_by_running.includes(j))]} />;
}

/** The lines of a `[Definition]` option (continuation lines are one expression each). */
function lines(detail: Schemas["LibraryDetailBody"], name: string): string[] {
  const option = detail.options.find((o) => o.section === "Definition" && o.name === name);
  return option ? option.value.split("\n").filter((l) => l.trim() !== "") : [];
}

function LibraryDetail({ kind, name, onGone }: { kind: LibraryKind; name: string; onGone: () => void }) {
  const s = useStyles();
  const item = useLibraryItem(kind, name);
  const remove = useDeleteFilter();
  const notify = useNotify();
  const [editing, setEditing] = useState(false);
  return (
    <section aria-label={`${kind === "filters" ? "Filter" : "Action"} ${name}`}>
      <QueryView query={item}>
        {(detail) => (
          <>
            <div className={s.row}>
              <Text as="h2" weight="semibold" size={400}>
                {name}
              </Text>
              <Text size={200}>{detail.files.join(" → ")}</Text>
            </div>
            {kind === "filters" && (
              <div className={s.row}>
                <Button onClick={() => setEditing(true)}>Edit</Button>
                {detail.local && (
                  <ConfirmButton
                    label={detail.conf ? "Delete override" : "Delete"}
                    title={`Delete ${detail.local}?`}
                    message={detail.conf ? `The filter goes back to ${detail.conf}. The file is kept as a revision.` : "The file is kept as a revision and can be restored from the file editor."}
                    confirmLabel="Delete"
                    disabled={remove.isPending}
                    onConfirm={() =>
                      remove.mutate(name, {
                        onSuccess: () => {
                          notify.success("Deleted", detail.local ?? name);
                          if (!detail.conf) onGone();
                        },
                        onError: (e) => notify.failure("Not deleted", e),
                      })
                    }
                  />
                )}
                {detail.used_by_running.length > 0 && <Text size={200}>Running jails using it see a change once reloaded: {detail.used_by_running.join(", ")}.</Text>}
              </div>
            )}
            {kind === "filters" && <AssignFilter name={name} usedBy={detail.used_by} />}
            {detail.options.length === 0 ? (
              <Empty title="No options">Its files set nothing.</Empty>
            ) : (
              <div className={s.scroll}>
                <Table size="small" aria-label={`Options of ${name}`}>
                  <TableHeader>
                    <TableRow>
                      <TableHeaderCell className={s.wide}>Section</TableHeaderCell>
                      <TableHeaderCell>Option</TableHeaderCell>
                      <TableHeaderCell>Value</TableHeaderCell>
                      <TableHeaderCell>From</TableHeaderCell>
                    </TableRow>
                  </TableHeader>
                  <TableBody>
                    {detail.options.map((o) => (
                      <TableRow key={`${o.section}/${o.name}`}>
                        <TableCell className={s.wide}>{o.section}</TableCell>
                        <TableCell>{o.name}</TableCell>
                        <TableCell className={s.mono}>{o.value}</TableCell>
                        <TableCell className={s.mono}>
                          {o.source.file}:{o.source.line}
                        </TableCell>
                      </TableRow>
                    ))}
                  </TableBody>
                </Table>
              </div>
            )}
            {editing && <FilterDialog name={name} detail={detail} onClose={() => setEditing(false)} />}
          </>
        )}
      </QueryView>
    </section>
  );
}

function FilterDialog({ name, detail, onClose, onSaved }: { name?: string; detail?: Schemas["LibraryDetailBody"]; onClose: () => void; onSaved?: (name: string) => void }) {
  const s = useStyles();
  const save = useSaveFilter();
  const notify = useNotify();
  const create = name === undefined;
  const [newName, setNewName] = useState("");
  const [failregex, setFailregex] = useState(detail ? lines(detail, "failregex").join("\n") : "");
  const [ignoreregex, setIgnoreregex] = useState(detail ? lines(detail, "ignoreregex").join("\n") : "");
  const split = (text: string) => text.split("\n").filter((l) => l.trim() !== "");
  const submit = () => {
    const target = create ? newName.trim() : name;
    save.mutate(
      { name: target, parts: { failregex: split(failregex), ignoreregex: split(ignoreregex) }, create },
      {
        onSuccess: (saved) => {
          notify.success(create ? "Filter created" : "Filter saved", saved.local ?? target);
          onSaved?.(saved.name);
          onClose();
        },
      },
    );
  };
  return (
    <Dialog open onOpenChange={(_, d) => !d.open && onClose()}>
      <DialogSurface>
        <DialogBody>
          <DialogTitle>{create ? "New filter" : `Edit ${name}`}</DialogTitle>
          <DialogContent>
            {create && (
              <Field label="Name" hint="Letters, digits, '-', '_' and '.'. Written to filter.d/<name>.local.">
                <Input value={newName} onChange={(_, d) => setNewName(d.value)} />
              </Field>
            )}
            {!create && detail?.conf && <Text as="p">Saved to filter.d/{name}.local, which overrides {detail.conf}.</Text>}
            <Field label="failregex" hint="One expression per line; <HOST> marks the address.">
              <Textarea textarea={{ className: s.textarea }} value={failregex} onChange={(_, d) => setFailregex(d.value)} spellCheck={false} resize="vertical" />
            </Field>
            <Field label="ignoreregex" hint="Lines matching one of these are not failures.">
              <Textarea textarea={{ className: s.textarea }} value={ignoreregex} onChange={(_, d) => setIgnoreregex(d.value)} spellCheck={false} resize="vertical" />
            </Field>
            {save.error && (
              <MessageBar intent="error" role="alert" layout="multiline">
                <MessageBarBody>{messageOf(save.error)}</MessageBarBody>
              </MessageBar>
            )}
          </DialogContent>
          <DialogActions>
            <Button appearance="secondary" onClick={onClose}>
              Close
            </Button>
            <Button appearance="primary" onClick={submit} disabled={save.isPending || split(failregex).length === 0 || (create && newName.trim() === "")}>
              {save.isPending ? "Saving…" : create ? "Create" : "Save"}
            </Button>
          </DialogActions>
        </DialogBody>
      </DialogSurface>
    </Dialog>
  );
}
