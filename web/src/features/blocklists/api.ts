import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../../api/client";
import { keys } from "../../api/keys";

export function useSources() {
  return useQuery({ queryKey: keys.blocklists.sources, queryFn: ({ signal }) => unwrap(api.GET("/api/v1/blocklists", { signal })) });
}

export function useSchedule() {
  return useQuery({ queryKey: keys.blocklists.schedule, queryFn: ({ signal }) => unwrap(api.GET("/api/v1/blocklists/schedule", { signal })) });
}

export function useRuns(page: number) {
  return useQuery({
    queryKey: keys.blocklists.runs(page),
    queryFn: ({ signal }) => unwrap(api.GET("/api/v1/blocklists/runs", { params: { query: { page, page_size: 20 } }, signal })),
    placeholderData: keepPreviousData,
  });
}

const FINISHED: Schemas["JobStatus"][] = ["done", "failed", "unknown"];

/** A job, asked again every second until it has finished. */
export function useJob(id: string | null) {
  return useQuery({
    queryKey: keys.job(id ?? ""),
    queryFn: ({ signal }) => unwrap(api.GET("/api/v1/jobs/{id}", { params: { path: { id: id ?? "" } }, signal })),
    enabled: id !== null,
    refetchInterval: (q) => (q.state.data && FINISHED.includes(q.state.data.state) ? false : 1000),
  });
}

function useRefresh() {
  const client = useQueryClient();
  return () => void client.invalidateQueries({ queryKey: keys.blocklists.all });
}

export function useSaveSource() {
  const refresh = useRefresh();
  return useMutation({
    mutationFn: ({ id, body }: { id: number | null; body: Schemas["SourceRequest"] }) =>
      id === null ? unwrap(api.POST("/api/v1/blocklists", { body })) : unwrap(api.PUT("/api/v1/blocklists/{id}", { params: { path: { id } }, body })),
    onSettled: refresh,
  });
}

export function useDeleteSource() {
  const refresh = useRefresh();
  return useMutation({ mutationFn: (id: number) => unwrap(api.DELETE("/api/v1/blocklists/{id}", { params: { path: { id } } })), onSettled: refresh });
}

export function useEnableSource() {
  const refresh = useRefresh();
  return useMutation({
    mutationFn: ({ id, enabled }: { id: number; enabled: boolean }) => unwrap(api.POST("/api/v1/blocklists/{id}/enabled", { params: { path: { id } }, body: { enabled } })),
    onSettled: refresh,
  });
}

export function usePreview() {
  return useMutation({ mutationFn: (id: number) => unwrap(api.POST("/api/v1/blocklists/{id}/preview", { params: { path: { id } } })) });
}

export function useImport() {
  const refresh = useRefresh();
  return useMutation({
    mutationFn: (id: number | null) =>
      id === null ? unwrap(api.POST("/api/v1/blocklists/import", {})) : unwrap(api.POST("/api/v1/blocklists/{id}/import", { params: { path: { id } } })),
    onSettled: refresh,
  });
}

export function useSetSchedule() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: Schemas["ImportSchedule"]) => unwrap(api.PUT("/api/v1/blocklists/schedule", { body })),
    onSuccess: (s) => client.setQueryData(keys.blocklists.schedule, s),
  });
}
