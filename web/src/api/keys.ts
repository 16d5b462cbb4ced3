// One query-key factory for every resource: live events and mutations invalidate by these
// prefixes, never by hand-written arrays.
export const keys = {
  setup: ["setup"] as const,
  session: ["session"] as const,
  status: ["status"] as const,
  dashboard: {
    all: ["dashboard"] as const,
    bans: (params: object) => ["dashboard", "bans", params] as const,
    trend: (params: object) => ["dashboard", "trend", params] as const,
    countries: (params: object) => ["dashboard", "countries", params] as const,
    jails: (params: object) => ["dashboard", "jails", params] as const,
  },
};
