// Dates are shown in the setup time zone (not the browser's), as `2026-12-04 03:41:07`.

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string, seconds: boolean): Intl.DateTimeFormat {
  const key = `${timeZone}|${seconds}`;
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat("en-CA", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      ...(seconds ? { second: "2-digit" } : {}),
      hourCycle: "h23",
    });
    formatters.set(key, f);
  }
  return f;
}

/** `2026-12-04 03:41:07` in `timeZone`, from an RFC 3339 string or epoch milliseconds. */
export function formatDateTime(value: string | number, timeZone: string, seconds = true): string {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  const parts = Object.fromEntries(formatter(timeZone, seconds).formatToParts(date).map((p) => [p.type, p.value]));
  const time = seconds ? `${parts.hour}:${parts.minute}:${parts.second}` : `${parts.hour}:${parts.minute}`;
  return `${parts.year}-${parts.month}-${parts.day} ${time}`;
}

/** `1h 30m`, `2d`, `permanent` for a negative duration. */
export function formatDuration(secs: number): string {
  if (secs < 0) return "permanent";
  if (secs < 60) return `${secs}s`;
  const units: [number, string][] = [
    [86_400, "d"],
    [3_600, "h"],
    [60, "m"],
  ];
  const out: string[] = [];
  let rest = secs;
  for (const [size, name] of units) {
    const n = Math.floor(rest / size);
    if (n > 0) out.push(`${n}${name}`);
    rest -= n * size;
    if (out.length === 2) break;
  }
  return out.join(" ");
}

/** 12,345 with the browser's grouping. */
export function formatCount(n: number): string {
  return n.toLocaleString();
}
