import { describe, expect, it } from "vitest";
import { formatDateTime, formatDuration } from "./time";

describe("formatDateTime", () => {
  it("shows the instant in the setup time zone, not the browser's", () => {
    expect(formatDateTime("2026-07-01T12:00:00Z", "Europe/Berlin")).toBe("2026-07-01 14:00:00");
    expect(formatDateTime("2026-01-01T12:00:00Z", "Europe/Berlin")).toBe("2026-01-01 13:00:00");
    expect(formatDateTime(Date.UTC(2026, 0, 1, 0, 5), "America/New_York", false)).toBe("2025-12-31 19:05");
  });

  it("gives back what it cannot read", () => {
    expect(formatDateTime("not a date", "UTC")).toBe("not a date");
  });
});

describe("formatDuration", () => {
  it("names the two largest units", () => {
    expect(formatDuration(-1)).toBe("permanent");
    expect(formatDuration(45)).toBe("45s");
    expect(formatDuration(600)).toBe("10m");
    expect(formatDuration(90_061)).toBe("1d 1h");
  });
});
