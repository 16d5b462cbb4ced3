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
  const onSettled = useJailChangeSettled();
  return useMutation({
    mutationFn: ({ name, overrides }: { name: string; overrides: Record<string, string> }) =>
      unwrap(api.POST("/api/v1/config/jails/{name}/activate", { params: { path: { name } }, body: { overrides } })),
    onSettled,
  });
}

/** After a jail change: the configuration, the jails and fail2ban's status. */
function useJailChangeSettled() {
  const client = useQueryClient();
  return () => {
    void client.invalidateQueries({ queryKey: keys.config.all });
    void client.invalidateQueries({ queryKey: keys.jails.all });
    void client.invalidateQueries({ queryKey: keys.status });
  };
}

/** Options to set (a value, or several for logpath) or to remove from the jail's `.local` (null). */
export type JailSettings = Record<string, string | string[] | null>;

export function useEditJail() {
  const onSettled = useJailChangeSettled();
  return useMutation({
    mutationFn: ({ name, settings }: { name: string; settings: JailSettings }) =>
      unwrap(api.PATCH("/api/v1/config/jails/{name}", { params: { path: { name } }, body: { settings } })),
    onSettled,
  });
}

export function useValidateJail() {
  return useMutation({
    mutationFn: ({ name, settings }: { name: string; settings: JailSettings }) =>
      unwrap(api.POST("/api/v1/config/jails/{name}/validate", { params: { path: { name } }, body: { settings } })),
  });
}

export function useDeactivate() {
  const onSettled = useJailChangeSettled();
  return useMutation({
    mutationFn: (name: string) => unwrap(api.POST("/api/v1/config/jails/{name}/deactivate", { params: { path: { name } } })),
    onSettled,
  });
}

export function useLogPath() {
  const onSettled = useJailChangeSettled();
  return useMutation({
    mutationFn: ({ name, path, add }: { name: string; path: string; add: boolean }) =>
      add
        ? unwrap(api.POST("/api/v1/config/jails/{name}/logpaths", { params: { path: { name } }, body: { path } }))
        : unwrap(api.DELETE("/api/v1/config/jails/{name}/logpaths", { params: { path: { name }, query: { path } } })),
    onSettled,
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
      void client.invalidateQueries({ queryKey: keys.config.revisions(file.path) });
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

export type LibraryKind = "filters" | "actions";

export function useLibrary(kind: LibraryKind) {
  return useQuery({
    queryKey: keys.config.library(kind),
    queryFn: ({ signal }) => unwrap(kind === "filters" ? api.GET("/api/v1/config/filters", { signal }) : api.GET("/api/v1/config/actions", { signal })),
  });
}

export function useLibraryItem(kind: LibraryKind, name: string | null) {
  return useQuery({
    queryKey: keys.config.libraryItem(kind, name ?? ""),
    queryFn: ({ signal }) =>
      unwrap(
        kind === "filters"
          ? api.GET("/api/v1/config/filters/{name}", { params: { path: { name: name ?? "" } }, signal })
          : api.GET("/api/v1/config/actions/{name}", { params: { path: { name: name ?? "" } }, signal }),
      ),
    enabled: name !== null,
  });
}

export type FilterParts = Schemas["FilterBody"];

export function useSaveFilter() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ name, parts, create }: { name: string; parts: FilterParts; create: boolean }) =>
      create
        ? unwrap(api.POST("/api/v1/config/filters", { body: { name, ...parts } }))
        : unwrap(api.PATCH("/api/v1/config/filters/{name}", { params: { path: { name } }, body: parts })),
    onSettled: () => void client.invalidateQueries({ queryKey: keys.config.all }),
  });
}

export type FilterTestRequest = Schemas["FilterTestBody"];

/** Runs a filter over log lines as fail2ban-regex would; changes nothing. */
export function useFilterTest() {
  return useMutation({
    mutationFn: (body: FilterTestRequest) => unwrap(api.POST("/api/v1/config/filter-test", { body })),
  });
}

export function useDeleteFilter() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (name: string) => unwrap(api.DELETE("/api/v1/config/filters/{name}", { params: { path: { name } } })),
    onSettled: () => void client.invalidateQueries({ queryKey: keys.config.all }),
  });
}

export function useRevisions(path: string) {
  return useQuery({
    queryKey: keys.config.revisions(path),
    queryFn: ({ signal }) => unwrap(api.GET("/api/v1/config/files/{dir}/{name}/revisions", { params: { path: splitPath(path) }, signal })),
  });
}

export function useRevision(id: number | null) {
  return useQuery({
    queryKey: keys.config.revision(id ?? 0),
    queryFn: ({ signal }) => unwrap(api.GET("/api/v1/config/revisions/{id}", { params: { path: { id: id ?? 0 } }, signal })),
    enabled: id !== null,
    staleTime: Infinity,
  });
}

export function useRevert() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: number) => unwrap(api.POST("/api/v1/config/revisions/{id}/revert", { params: { path: { id } } })),
    onSuccess: (file) => {
      client.setQueryData(keys.config.file(file.path), file);
      void client.invalidateQueries({ queryKey: keys.config.all });
    },
  });
}
