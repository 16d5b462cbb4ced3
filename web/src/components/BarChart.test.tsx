import { describe, expect, it } from "vitest";
import { layoutBars, type BarChartProps } from "./BarChart";

const base: BarChartProps = {
  title: "t",
  summary: "s",
  categoryName: "Day",
  data: [],
  series: [
    { key: "a", name: "A", color: "#111" },
    { key: "b", name: "B", color: "#222" },
  ],
  axisColor: "#000",
  gridColor: "#eee",
};

describe("layoutBars", () => {
  it("stacks series and skips zero values", () => {
    const { bars } = layoutBars({ ...base, data: [{ label: "x", values: { a: 3, b: 1 } }, { label: "y", values: { a: 0, b: 4 } }] }, 400, 200);
    expect(bars.map((b) => b.title)).toEqual(["x · A: 3", "x · B: 1", "y · B: 4"]);
    const [a, b, c] = bars;
    // B sits on top of A in the same column, and the two make as tall a bar as y's 4.
    expect(b!.x).toBe(a!.x);
    expect(b!.y + b!.h).toBeCloseTo(a!.y);
    expect(a!.h + b!.h).toBeCloseTo(c!.h);
  });

  it("keeps periods that share a label apart", () => {
    const { bars } = layoutBars({ ...base, data: [{ label: "12-04", values: { a: 1 } }, { label: "12-04", values: { a: 2 } }] }, 400, 200);
    expect(bars).toHaveLength(2);
    expect(bars[0]!.x).not.toBe(bars[1]!.x);
    expect(new Set(bars.map((b) => b.key)).size).toBe(2);
  });

  it("labels only as many periods as fit, with whole-number ticks", () => {
    const data = Array.from({ length: 365 }, (_, i) => ({ label: `d${String(i).padStart(3, "0")}`, values: { a: i % 3 } }));
    const layout = layoutBars({ ...base, data }, 600, 200);
    expect(layout.categoryTicks.length).toBeGreaterThan(3);
    expect(layout.categoryTicks.length).toBeLessThan(20);
    const xs = layout.categoryTicks.map((t) => t.x);
    for (let i = 1; i < xs.length; i++) expect(xs[i]! - xs[i - 1]!).toBeGreaterThan(4 * 6.4);
    expect(layout.valueTicks.map((t) => t.text)).toEqual(["0", "1", "2"]);
  });

  it("lays categories down the side when horizontal, truncating long names", () => {
    const layout = layoutBars(
      { ...base, horizontal: true, series: [base.series[0]!], data: [{ label: "Saint Vincent and the Grenadines", values: { a: 5 } }, { label: "Peru", values: { a: 10 } }] },
      400,
      200,
    );
    expect(layout.categoryTicks.map((t) => t.text)).toEqual(["Saint Vincent…", "Peru"]);
    const [vc, pe] = layout.bars;
    expect(vc!.x).toBe(pe!.x);
    expect(pe!.w).toBeCloseTo(2 * vc!.w);
    expect(vc!.h).toBeLessThanOrEqual(36);
  });
});
