import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../../api/client";
import { keys } from "../../api/keys";

export function useConfigJails() {
  return useQuery({
    queryKey: keys.config.jails,
    queryFn: ({ signal }) => unwrap(api.GET("/api/v1/config/jails", { signal })),
  });
}

export function useActivate() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ name, overrides }: { name: string; overrides: Record<string, string> }) =>
      unwrap(api.POST("/api/v1/config/jails/{name}/activate", { params: { path: { name } }, body: { overrides } })),
    onSettled: () => {
      void client.invalidateQueries({ queryKey: keys.config.all });
      void client.invalidateQueries({ queryKey: keys.jails.all });
      void client.invalidateQueries({ queryKey: keys.status });
    },
  });
}

export function useConfigFiles() {
  return useQuery({
    queryKey: keys.config.files,
    queryFn: ({ signal }) => unwrap(api.GET("/api/v1/config/files", { signal })),
  });
}

/** `dir/name` split for the path parameters. */
export function splitPath(path: string): { dir: string; name: string } {
  const at = path.indexOf("/");
  return { dir: path.slice(0, at), name: path.slice(at + 1) };
}

export function useConfigFile(path: string | null) {
  return useQuery({
    queryKey: keys.config.file(path ?? ""),
    queryFn: ({ signal }) => unwrap(api.GET("/api/v1/config/files/{dir}/{name}", { params: { path: splitPath(path ?? "") }, signal })),
    enabled: path !== null,
    // An editor keeps the version it opened: no refetch under the user's hands.
    staleTime: Infinity,
    refetchOnWindowFocus: false,
  });
}

export function useSaveFile() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ path, content, etag }: { path: string; content: string; etag: string }) =>
      unwrap(
        api.PUT("/api/v1/config/files/{dir}/{name}", {
          params: { path: splitPath(path), header: { "If-Match": `"${etag}"` } },
          body: { content },
        }),
      ),
    onSuccess: (file) => {
      client.setQueryData(keys.config.file(file.path), file);
      void client.invalidateQueries({ queryKey: keys.config.files });
      void client.invalidateQueries({ queryKey: keys.config.jails });
    },
  });
}

export function useServerSettings() {
  return useQuery({
    queryKey: keys.config.server,
    queryFn: ({ signal }) => unwrap(api.GET("/api/v1/config/server", { signal })),
  });
}

export function useSetServer() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: Schemas["ServerSettingsChange"]) => unwrap(api.PUT("/api/v1/config/server", { body })),
    onSuccess: (settings) => client.setQueryData(keys.config.server, settings),
  });
}

export function useFlushLogs() {
  return useMutation({ mutationFn: () => unwrap(api.POST("/api/v1/config/server/flushlogs", {})) });
}

export function useFail2banLog(query: { lines: number; filter: string }, live: boolean) {
  return useQuery({
    queryKey: keys.config.log(query),
    queryFn: ({ signal }) =>
      unwrap(
        api.GET("/api/v1/config/server/log", {
          params: { query: { lines: query.lines, ...(query.filter ? { filter: query.filter } : {}) } },
          signal,
        }),
      ),
    refetchInterval: live ? 5_000 : false,
    retry: false,
  });
}
