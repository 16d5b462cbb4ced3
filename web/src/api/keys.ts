// One query-key factory for every resource: live events and mutations invalidate by these
// prefixes, never by hand-written arrays.
export const keys = {
  setup: ["setup"] as const,
  session: ["session"] as const,
  status: ["status"] as const,
  jails: {
    all: ["jails"] as const,
    list: ["jails", "list"] as const,
    detail: (name: string) => ["jails", "detail", name] as const,
    banned: (name: string, params: object) => ["jails", "banned", name, params] as const,
  },
  bans: {
    all: ["bans"] as const,
    active: (params: object) => ["bans", "active", params] as const,
    lookup: (ip: string) => ["bans", "lookup", ip] as const,
  },
  history: {
    all: ["history"] as const,
    list: (params: object) => ["history", "list", params] as const,
    address: (ip: string, params: object) => ["history", "address", ip, params] as const,
  },
  blocklists: {
    all: ["blocklists"] as const,
    sources: ["blocklists", "sources"] as const,
    schedule: ["blocklists", "schedule"] as const,
    runs: (page: number) => ["blocklists", "runs", page] as const,
  },
  config: {
    all: ["config"] as const,
    jails: ["config", "jails"] as const,
    files: ["config", "files"] as const,
    file: (path: string) => ["config", "file", path] as const,
    revisions: (path: string) => ["config", "revisions", path] as const,
    revision: (id: number) => ["config", "revision", id] as const,
    server: ["config", "server"] as const,
    library: (kind: "filters" | "actions") => ["config", kind] as const,
    libraryItem: (kind: "filters" | "actions", name: string) => ["config", kind, name] as const,
    log: (params: object) => ["config", "log", params] as const,
  },
  job: (id: string) => ["job", id] as const,
  audit: (params: object) => ["audit", params] as const,
  dashboard: {
    all: ["dashboard"] as const,
    bans: (params: object) => ["dashboard", "bans", params] as const,
    trend: (params: object) => ["dashboard", "trend", params] as const,
    countries: (params: object) => ["dashboard", "countries", params] as const,
    jails: (params: object) => ["dashboard", "jails", params] as const,
  },
};
