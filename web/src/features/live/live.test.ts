import { afterEach, describe, expect, it, vi } from "vitest";
import { invalidatedBy, invalidationBatcher } from "./live";

afterEach(() => vi.useRealTimers());

describe("invalidationBatcher", () => {
  it("refetches each changed resource once per burst of events", () => {
    vi.useFakeTimers();
    const invalidateQueries = vi.fn(() => Promise.resolve());
    const batch = invalidationBatcher({ invalidateQueries }, 400);
    for (let i = 0; i < 1000; i++) batch.add(invalidatedBy.jail_counters);
    batch.add(invalidatedBy.archive_changed);
    expect(invalidateQueries).not.toHaveBeenCalled();
    vi.advanceTimersByTime(400);
    const prefixes = invalidateQueries.mock.calls.map((c) => (c as unknown as [{ queryKey: string[] }])[0].queryKey.join("/"));
    expect(prefixes.sort()).toEqual(["dashboard", "history", "jails", "map", "status"]);
  });

  it("forgets what is pending when cancelled", () => {
    vi.useFakeTimers();
    const invalidateQueries = vi.fn(() => Promise.resolve());
    const batch = invalidationBatcher({ invalidateQueries }, 400);
    batch.add(invalidatedBy.unban);
    batch.cancel();
    vi.advanceTimersByTime(1000);
    expect(invalidateQueries).not.toHaveBeenCalled();
  });
});
