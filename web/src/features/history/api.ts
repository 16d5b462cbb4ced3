import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import { keys } from "../../api/keys";
import type { operations } from "../../api/schema";

export type HistoryQuery = NonNullable<operations["history"]["parameters"]["query"]>;

export function useHistory(query: HistoryQuery) {
  return useQuery({
    queryKey: keys.history.list(query),
    queryFn: ({ signal }) => unwrap(api.GET("/api/v1/history", { params: { query }, signal })),
    placeholderData: keepPreviousData,
  });
}

export function useAddressTimeline(ip: string, query: { page: number; page_size: number }) {
  return useQuery({
    queryKey: keys.history.address(ip, query),
    queryFn: ({ signal }) => unwrap(api.GET("/api/v1/history/{ip}", { params: { path: { ip }, query }, signal })),
    placeholderData: keepPreviousData,
  });
}
