import { useState } from "react";
import { Navigate, useNavigate, useSearchParams } from "react-router";
import { Button, Field, Input, MessageBar, MessageBarBody, Text } from "@fluentui/react-components";
import { ApiError, messageOf } from "../../api/client";
import { safeNext } from "../../app/gates";
import { AuthCard } from "./AuthCard";
import { useLogin, useSession } from "./api";

function loginMessage(e: unknown): string {
  if (e instanceof ApiError && e.code === "invalid_credentials") return "That password is not right.";
  if (e instanceof ApiError && e.code === "rate_limited")
    return `Too many attempts. Try again in ${e.retryAfterSecs ?? 60} seconds.`;
  return messageOf(e);
}

/** One password; afterwards, back to the page that was asked for. */
export function LoginPage() {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const login = useLogin();
  const session = useSession();
  const [password, setPassword] = useState("");
  // Already logged in (another tab did): straight on.
  if (session.data && !login.isPending && !login.isSuccess) return <Navigate to={safeNext(params.get("next"))} replace />;

  return (
    <AuthCard
      title="Log in to bangui"
      intro={<Text>Enter the master password chosen at setup.</Text>}
      onSubmit={() => {
        if (!password) return;
        login.mutate(password, { onSuccess: () => navigate(safeNext(params.get("next")), { replace: true }) });
      }}
    >
      <Field label="Password" required>
        <Input type="password" autoComplete="current-password" autoFocus value={password} onChange={(_, d) => setPassword(d.value)} />
      </Field>
      {login.error && (
        <MessageBar intent="error" role="alert">
          <MessageBarBody>{loginMessage(login.error)}</MessageBarBody>
        </MessageBar>
      )}
      <Button appearance="primary" type="submit" disabled={login.isPending || !password}>
        {login.isPending ? "Logging in…" : "Log in"}
      </Button>
    </AuthCard>
  );
}
