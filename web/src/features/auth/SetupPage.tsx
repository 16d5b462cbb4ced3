import { useMemo, useState } from "react";
import { useNavigate } from "react-router";
import { Button, Combobox, Field, Input, MessageBar, MessageBarBody, Option, SpinButton, Text } from "@fluentui/react-components";
import { messageOf } from "../../api/client";
import { AuthCard } from "./AuthCard";
import { useCompleteSetup } from "./api";
import { passwordProblems } from "./password";

function timeZones(): string[] {
  const supported = (Intl as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.("timeZone") ?? [];
  return supported.includes("UTC") ? supported : ["UTC", ...supported];
}

/** First run: the master password, the time zone dates are shown in, the session length. */
export function SetupPage() {
  const navigate = useNavigate();
  const setup = useCompleteSetup();
  const zones = useMemo(timeZones, []);
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [zone, setZone] = useState(() => Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC");
  const [zoneText, setZoneText] = useState(zone);
  const [minutes, setMinutes] = useState(60);
  const [tried, setTried] = useState(false);

  const problems = passwordProblems(password);
  const mismatch = confirm !== password;
  const zoneMatches = zones.filter((z) => z.toLowerCase().includes(zoneText.toLowerCase())).slice(0, 50);

  const submit = () => {
    setTried(true);
    if (problems.length > 0 || mismatch || !zones.includes(zone)) return;
    setup.mutate(
      { master_password: password, timezone: zone, session_duration_minutes: minutes },
      { onSuccess: () => navigate("/login", { replace: true }) },
    );
  };

  return (
    <AuthCard
      title="Set up bangui"
      intro={<Text>Choose the master password that protects bangui. There is one password; anyone who knows it can manage fail2ban.</Text>}
      onSubmit={submit}
    >
      <Field
        label="Master password"
        required
        validationState={tried && problems.length > 0 ? "error" : "none"}
        validationMessage={problems.length > 0 ? `Needs ${problems.join(", ")}.` : "Strong enough."}
      >
        <Input type="password" autoComplete="new-password" value={password} onChange={(_, d) => setPassword(d.value)} />
      </Field>
      <Field label="Repeat the password" required validationState={tried && mismatch ? "error" : "none"} validationMessage={tried && mismatch ? "The two passwords differ." : null}>
        <Input type="password" autoComplete="new-password" value={confirm} onChange={(_, d) => setConfirm(d.value)} />
      </Field>
      <Field label="Time zone" hint="Dates are shown, and imports scheduled, in this zone." validationState={tried && !zones.includes(zone) ? "error" : "none"} validationMessage={tried && !zones.includes(zone) ? "Pick a time zone from the list." : null}>
        <Combobox
          freeform
          value={zoneText}
          selectedOptions={[zone]}
          onOptionSelect={(_, d) => {
            if (d.optionValue) {
              setZone(d.optionValue);
              setZoneText(d.optionValue);
            }
          }}
          onChange={(e) => {
            setZoneText(e.target.value);
            setZone(e.target.value);
          }}
        >
          {zoneMatches.map((z) => (
            <Option key={z} value={z}>
              {z}
            </Option>
          ))}
        </Combobox>
      </Field>
      <Field label="Session length (minutes)" hint="How long a login lasts.">
        <SpinButton min={1} max={525600} value={minutes} onChange={(_, d) => setMinutes(d.value ?? (Number(d.displayValue) || 60))} />
      </Field>
      {setup.error && (
        <MessageBar intent="error" role="alert">
          <MessageBarBody>{messageOf(setup.error)}</MessageBarBody>
        </MessageBar>
      )}
      <Button appearance="primary" type="submit" disabled={setup.isPending}>
        {setup.isPending ? "Setting up…" : "Complete setup"}
      </Button>
    </AuthCard>
  );
}
