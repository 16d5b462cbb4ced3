import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import { keys } from "../../api/keys";
import type { operations } from "../../api/schema";

export type RangeBansQuery = NonNullable<operations["range_bans"]["parameters"]["query"]>;
export type RangeQuery = NonNullable<operations["ban_trend"]["parameters"]["query"]>;
export type Range = NonNullable<RangeQuery["range"]>;
export type OriginFilter = NonNullable<RangeQuery["origin"]>;

/** fail2ban's status from the shared snapshot; live events keep it fresh. */
export function useFail2banStatus() {
  return useQuery({
    queryKey: keys.status,
    queryFn: ({ signal }) => unwrap(api.GET("/api/v1/dashboard/status", { signal })),
    refetchInterval: 30_000,
  });
}

export function useRangeBans(query: RangeBansQuery) {
  return useQuery({
    queryKey: keys.dashboard.bans(query),
    queryFn: ({ signal }) => unwrap(api.GET("/api/v1/dashboard/bans", { params: { query }, signal })),
    placeholderData: keepPreviousData,
  });
}

export function useTrend(query: RangeQuery) {
  return useQuery({
    queryKey: keys.dashboard.trend(query),
    queryFn: ({ signal }) => unwrap(api.GET("/api/v1/dashboard/bans/trend", { params: { query }, signal })),
  });
}

export function useByCountry(query: RangeQuery) {
  return useQuery({
    queryKey: keys.dashboard.countries(query),
    queryFn: ({ signal }) => unwrap(api.GET("/api/v1/dashboard/bans/by-country", { params: { query }, signal })),
  });
}

export function useByJail(query: RangeQuery) {
  return useQuery({
    queryKey: keys.dashboard.jails(query),
    queryFn: ({ signal }) => unwrap(api.GET("/api/v1/dashboard/bans/by-jail", { params: { query }, signal })),
  });
}
