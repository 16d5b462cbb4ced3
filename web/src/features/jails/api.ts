import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../../api/client";
import { keys } from "../../api/keys";
import type { operations } from "../../api/schema";

export type ActiveBansQuery = NonNullable<operations["active_bans"]["parameters"]["query"]>;

export function useJails() {
  return useQuery({
    queryKey: keys.jails.list,
    queryFn: ({ signal }) => unwrap(api.GET("/api/v1/jails", { signal })),
  });
}

export function useJail(name: string) {
  return useQuery({
    queryKey: keys.jails.detail(name),
    queryFn: ({ signal }) => unwrap(api.GET("/api/v1/jails/{name}", { params: { path: { name } }, signal })),
  });
}

export function useJailBans(name: string, query: { page: number; page_size: number; q?: string }) {
  return useQuery({
    queryKey: keys.jails.banned(name, query),
    queryFn: ({ signal }) => unwrap(api.GET("/api/v1/jails/{name}/banned", { params: { path: { name }, query }, signal })),
    placeholderData: keepPreviousData,
    enabled: name !== "",
  });
}

export function useActiveBans(query: ActiveBansQuery, enabled = true) {
  return useQuery({
    queryKey: keys.bans.active(query),
    queryFn: ({ signal }) => unwrap(api.GET("/api/v1/bans/active", { params: { query }, signal })),
    placeholderData: keepPreviousData,
    enabled,
  });
}

export function useLookup(ip: string | null) {
  return useQuery({
    queryKey: keys.bans.lookup(ip ?? ""),
    queryFn: ({ signal }) => unwrap(api.GET("/api/v1/bans/lookup", { params: { query: { ip: ip ?? "" } }, signal })),
    enabled: ip !== null,
    retry: false,
  });
}

/** After any change to jails or bans: what shows them is stale (live events say so too). */
function useRefresh() {
  const client = useQueryClient();
  return () => {
    void client.invalidateQueries({ queryKey: keys.jails.all });
    void client.invalidateQueries({ queryKey: keys.bans.all });
    void client.invalidateQueries({ queryKey: keys.status });
  };
}

export type JailControl = "start" | "stop" | "reload";

export function useJailControl() {
  const refresh = useRefresh();
  return useMutation({
    mutationFn: ({ name, action }: { name: string; action: JailControl }): Promise<unknown> => {
      const path = { params: { path: { name } } };
      if (action === "start") return unwrap(api.POST("/api/v1/jails/{name}/start", path));
      if (action === "stop") return unwrap(api.POST("/api/v1/jails/{name}/stop", path));
      return unwrap(api.POST("/api/v1/jails/{name}/reload", path));
    },
    onSettled: refresh,
  });
}

export function useSetIdle() {
  const refresh = useRefresh();
  return useMutation({
    mutationFn: ({ name, on }: { name: string; on: boolean }) => unwrap(api.POST("/api/v1/jails/{name}/idle", { params: { path: { name } }, body: { on } })),
    onSettled: refresh,
  });
}

export function useReloadAll() {
  const refresh = useRefresh();
  return useMutation({ mutationFn: () => unwrap(api.POST("/api/v1/jails/reload", {})), onSettled: refresh });
}

export function useBan() {
  const refresh = useRefresh();
  return useMutation({ mutationFn: (body: Schemas["BanRequest"]) => unwrap(api.POST("/api/v1/bans", { body })), onSettled: refresh });
}

export function useUnban() {
  const refresh = useRefresh();
  return useMutation({ mutationFn: (body: Schemas["UnbanRequest"]) => unwrap(api.DELETE("/api/v1/bans", { body })), onSettled: refresh });
}

export function useUnbanAll() {
  const refresh = useRefresh();
  return useMutation({ mutationFn: () => unwrap(api.DELETE("/api/v1/bans/all", {})), onSettled: refresh });
}

export function useIgnoreChange() {
  const refresh = useRefresh();
  return useMutation({
    mutationFn: ({ name, address, add }: { name: string; address: string; add: boolean }) => {
      const request = { params: { path: { name } }, body: { address } };
      return add ? unwrap(api.POST("/api/v1/jails/{name}/ignoreip", request)) : unwrap(api.DELETE("/api/v1/jails/{name}/ignoreip", request));
    },
    onSettled: refresh,
  });
}

export function useIgnoreSelf() {
  const refresh = useRefresh();
  return useMutation({
    mutationFn: ({ name, enabled }: { name: string; enabled: boolean }) =>
      unwrap(api.POST("/api/v1/jails/{name}/ignoreself", { params: { path: { name } }, body: { enabled } })),
    onSettled: refresh,
  });
}
