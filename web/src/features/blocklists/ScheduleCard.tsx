import { useState } from "react";
import { Button, Card, Dropdown, Field, Input, Option, SpinButton, Text, makeStyles, tokens } from "@fluentui/react-components";
import type { Schemas } from "../../api/client";
import { useNotify } from "../../components/notify";
import { QueryView } from "../../components/states";
import { useSchedule, useSetSchedule } from "./api";

type Schedule = Schemas["ImportSchedule"];
type Kind = Schedule["kind"];

const KINDS: { value: Kind; label: string }[] = [
  { value: "off", label: "Off" },
  { value: "hourly", label: "Hourly" },
  { value: "daily", label: "Daily" },
  { value: "weekly", label: "Weekly" },
  { value: "cron", label: "Cron expression" },
];
const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

const useStyles = makeStyles({
  card: { padding: tokens.spacingHorizontalM, gap: tokens.spacingVerticalM },
  title: { margin: 0, fontSize: tokens.fontSizeBase500, fontWeight: tokens.fontWeightSemibold },
  row: { display: "flex", flexWrap: "wrap", gap: tokens.spacingHorizontalM, alignItems: "end" },
});

/** Describes a schedule in words. */
export function describeSchedule(s: Schedule): string {
  switch (s.kind) {
    case "off":
      return "Imports run only when started by hand.";
    case "hourly":
      return `Every hour at minute ${s.minute}.`;
    case "daily":
      return `Every day at ${s.at}.`;
    case "weekly":
      return `Every ${s.day} at ${s.at}.`;
    case "cron":
      return `On the cron expression ${s.expression}.`;
  }
}

function Editor({ current }: { current: Schedule }) {
  const s = useStyles();
  const save = useSetSchedule();
  const notify = useNotify();
  const [kind, setKind] = useState<Kind>(current.kind);
  const [minute, setMinute] = useState(current.kind === "hourly" ? current.minute : 0);
  const [at, setAt] = useState(current.kind === "daily" || current.kind === "weekly" ? current.at : "03:00");
  const [day, setDay] = useState(current.kind === "weekly" ? current.day : "mon");
  const [expression, setExpression] = useState(current.kind === "cron" ? current.expression : "0 3 * * *");

  const schedule = (): Schedule => {
    switch (kind) {
      case "off":
        return { kind };
      case "hourly":
        return { kind, minute };
      case "daily":
        return { kind, at };
      case "weekly":
        return { kind, day, at };
      case "cron":
        return { kind, expression };
    }
  };

  return (
    <form
      className={s.row}
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate(schedule(), {
          onSuccess: (saved) => notify.success("Schedule saved", describeSchedule(saved)),
          onError: (err) => notify.failure("Could not save the schedule", err),
        });
      }}
    >
      <Field label="Import">
        <Dropdown value={KINDS.find((k) => k.value === kind)?.label ?? kind} selectedOptions={[kind]} onOptionSelect={(_, d) => setKind((d.optionValue as Kind) ?? kind)}>
          {KINDS.map((k) => (
            <Option key={k.value} value={k.value}>
              {k.label}
            </Option>
          ))}
        </Dropdown>
      </Field>
      {kind === "hourly" && (
        <Field label="At minute">
          <SpinButton min={0} max={59} value={minute} onChange={(_, d) => setMinute(d.value ?? (Number(d.displayValue) || 0))} />
        </Field>
      )}
      {kind === "weekly" && (
        <Field label="Day">
          <Dropdown value={day} selectedOptions={[day]} onOptionSelect={(_, d) => setDay(d.optionValue ?? day)}>
            {DAYS.map((d) => (
              <Option key={d} value={d}>
                {d}
              </Option>
            ))}
          </Dropdown>
        </Field>
      )}
      {(kind === "daily" || kind === "weekly") && (
        <Field label="At (HH:MM)">
          <Input type="time" value={at} onChange={(_, d) => setAt(d.value)} />
        </Field>
      )}
      {kind === "cron" && (
        <Field label="Cron expression" hint="minute hour day month weekday">
          <Input value={expression} onChange={(_, d) => setExpression(d.value)} />
        </Field>
      )}
      <Button type="submit" appearance="primary" disabled={save.isPending}>
        Save schedule
      </Button>
    </form>
  );
}

export function ScheduleCard() {
  const s = useStyles();
  const schedule = useSchedule();
  return (
    <Card className={s.card}>
      <h2 className={s.title}>Schedule</h2>
      <QueryView query={schedule}>
        {(current) => (
          <>
            <Text>{describeSchedule(current)} Times are in the setup time zone.</Text>
            <Editor current={current} key={JSON.stringify(current)} />
          </>
        )}
      </QueryView>
    </Card>
  );
}
