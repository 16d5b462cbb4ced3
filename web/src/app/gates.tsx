// Where a visitor may be: setup until it is done, then login, then the app. The answers come
// from the server (`GET /setup`, `GET /auth/session`); the UI only follows them.
import { createContext, useContext, type ReactNode } from "react";
import { Navigate, Outlet, useLocation } from "react-router";
import type { Schemas } from "../api/client";
import { ErrorState, Loading } from "../components/states";
import { useSession, useSetupStatus } from "../features/auth/api";

const SessionContext = createContext<Schemas["SessionInfo"] | null>(null);

/** The session of a page inside the app (always there: the gate let it in). */
export function useSessionInfo(): Schemas["SessionInfo"] {
  const s = useContext(SessionContext);
  if (!s) throw new Error("useSessionInfo outside RequireSession");
  return s;
}

/** The setup time zone, in which every date is shown (UTC while the server cannot say it). */
export function useTimeZone(): string {
  return useSessionInfo().timezone ?? "UTC";
}

function Centered({ children }: { children: ReactNode }) {
  return <main style={{ maxWidth: 480, margin: "10vh auto", padding: 16 }}>{children}</main>;
}

/** Every page redirects to /setup until setup is done; /setup redirects to login after. */
export function SetupGate() {
  const setup = useSetupStatus();
  const { pathname } = useLocation();
  if (setup.isPending) return <Loading />;
  if (setup.error)
    return (
      <Centered>
        <ErrorState error={setup.error} onRetry={() => void setup.refetch()} title="bangui is not ready" />
      </Centered>
    );
  const onSetup = pathname === "/setup";
  if (!setup.data.setup_complete && !onSetup) return <Navigate to="/setup" replace />;
  if (setup.data.setup_complete && onSetup) return <Navigate to="/login" replace />;
  return <Outlet />;
}

/** Pages behind a session: without one, to /login, which returns here afterwards. */
export function RequireSession() {
  const session = useSession();
  const location = useLocation();
  if (session.isPending) return <Loading />;
  if (session.error)
    return (
      <Centered>
        <ErrorState error={session.error} onRetry={() => void session.refetch()} title="bangui is not ready" />
      </Centered>
    );
  if (!session.data) {
    const next = location.pathname + location.search;
    return <Navigate to={`/login?next=${encodeURIComponent(next)}`} replace />;
  }
  return (
    <SessionContext.Provider value={session.data}>
      <Outlet />
    </SessionContext.Provider>
  );
}

/** Where login returns to: only a path of this app, never another origin. */
export function safeNext(next: string | null): string {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) return "/";
  return next;
}
