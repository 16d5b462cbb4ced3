import { describe, expect, it } from "vitest";
import { bucketOf } from "./WorldMap";

describe("bucketOf", () => {
  it("puts the most banned country in the darkest class and one ban in the lightest", () => {
    expect(bucketOf(1000, 1000)).toBe(4);
    expect(bucketOf(1, 1000)).toBe(0);
    expect(bucketOf(0, 1000)).toBe(-1);
    expect(bucketOf(1, 1)).toBe(4);
  });
  it("spreads counts on a log scale", () => {
    expect(bucketOf(10, 1000)).toBe(1);
    expect(bucketOf(100, 1000)).toBe(3);
  });
});
