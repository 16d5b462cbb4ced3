// The live stream (`GET /api/v1/events`): each event invalidates the queries whose data it
// changed, so counters and tables update without a reload. The browser's EventSource
// reconnects by itself and sends Last-Event-ID, so the worker that answers (any of them)
// replays what was missed. When the stream is refused outright (a session that ended), the
// session is checked again and the stream reopened after a pause.
import { createContext, useContext, useEffect, useState, type ReactNode } from "react";
import { useQueryClient, type QueryClient } from "@tanstack/react-query";
import { keys } from "../../api/keys";
import type { Schemas } from "../../api/client";

export type LiveState = "connecting" | "live" | "reconnecting";
type EventType = Schemas["Event"]["type"];

const LiveContext = createContext<LiveState>("connecting");

/** The query prefixes each kind of event makes stale. */
export const invalidatedBy: Record<EventType, readonly (readonly string[])[]> = {
  // The archive shows whether a ban is still in force and when it was lifted.
  ban: [keys.status, ["bans"], ["jails"], keys.dashboard.all, ["history"]],
  unban: [keys.status, ["bans"], ["jails"], keys.dashboard.all, ["history"]],
  unban_all: [keys.status, ["bans"], ["jails"], keys.dashboard.all, ["history"]],
  jail_started: [keys.status, ["jails"]],
  jail_stopped: [keys.status, ["jails"]],
  jail_idle: [keys.status, ["jails"]],
  jails_reloaded: [keys.status, ["jails"]],
  jail_counters: [keys.status, ["jails"]],
  archive_changed: [keys.dashboard.all, ["history"], ["map"]],
  fail2ban_online: [keys.status, ["jails"]],
  fail2ban_offline: [keys.status, ["jails"]],
};

/**
 * Collects the prefixes to invalidate and flushes them at most every `everyMs`: an import of
 * thousands of bans sends thousands of events, and each refetch would cancel the last.
 */
export function invalidationBatcher(client: Pick<QueryClient, "invalidateQueries">, everyMs: number) {
  const pending = new Map<string, readonly string[]>();
  let timer: ReturnType<typeof setTimeout> | null = null;
  const flush = () => {
    timer = null;
    const prefixes = [...pending.values()];
    pending.clear();
    for (const queryKey of prefixes) void client.invalidateQueries({ queryKey });
  };
  return {
    add(prefixes: readonly (readonly string[])[]) {
      for (const p of prefixes) pending.set(p.join("\u0000"), p);
      timer ??= setTimeout(flush, everyMs);
    },
    cancel() {
      if (timer) clearTimeout(timer);
      timer = null;
      pending.clear();
    },
  };
}

export function LiveEvents({ children }: { children: ReactNode }) {
  const client = useQueryClient();
  const [state, setState] = useState<LiveState>("connecting");

  useEffect(() => {
    let source: EventSource | null = null;
    let retry: ReturnType<typeof setTimeout> | null = null;
    const batch = invalidationBatcher(client, 400);

    const open = () => {
      source = new EventSource("/api/v1/events");
      source.onopen = () => {
        // What the page fetched before the stream was open may already be out of date (a
        // ban between the fetch and the subscription sends its event to nobody here), and a
        // fresh stream replays nothing: refetch what is shown, once per opening.
        void client.invalidateQueries({ type: "active" });
        setState("live");
      };
      source.onerror = () => {
        setState("reconnecting");
        if (source?.readyState === EventSource.CLOSED) {
          source = null;
          void client.invalidateQueries({ queryKey: keys.session });
          retry = setTimeout(open, 5_000);
        }
      };
      for (const type of Object.keys(invalidatedBy) as EventType[]) {
        source.addEventListener(type, () => batch.add(invalidatedBy[type]));
      }
    };
    open();
    return () => {
      batch.cancel();
      if (retry) clearTimeout(retry);
      source?.close();
    };
  }, [client]);

  return <LiveContext.Provider value={state}>{children}</LiveContext.Provider>;
}

export function useLiveState(): LiveState {
  return useContext(LiveContext);
}
