/** One line of a diff: kept, removed (only before) or added (only after). */
export interface DiffLine {
  kind: "same" | "removed" | "added";
  text: string;
}

/**
 * The lines of `after` against `before`: the common start and end kept as they are, the middle
 * by longest common subsequence (configuration files are small; the middle of an edit smaller).
 */
export function lineDiff(before: string, after: string): DiffLine[] {
  const a = before === "" ? [] : before.replace(/\n$/, "").split("\n");
  const b = after === "" ? [] : after.replace(/\n$/, "").split("\n");
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const midA = a.slice(start, endA);
  const midB = b.slice(start, endB);
  // lcs[i][j]: the longest common subsequence of midA[i..] and midB[j..].
  const lcs: number[][] = Array.from({ length: midA.length + 1 }, () => new Array<number>(midB.length + 1).fill(0));
  for (let i = midA.length - 1; i >= 0; i--) {
    for (let j = midB.length - 1; j >= 0; j--) {
      const row = lcs[i] as number[];
      row[j] = midA[i] === midB[j] ? (lcs[i + 1] as number[])[j + 1]! + 1 : Math.max((lcs[i + 1] as number[])[j]!, row[j + 1]!);
    }
  }
  const out: DiffLine[] = a.slice(0, start).map((text) => ({ kind: "same", text }));
  let i = 0;
  let j = 0;
  while (i < midA.length || j < midB.length) {
    if (i < midA.length && j < midB.length && midA[i] === midB[j]) {
      out.push({ kind: "same", text: midA[i]! });
      i++;
      j++;
    } else if (j < midB.length && (i >= midA.length || (lcs[i] as number[])[j + 1]! >= (lcs[i + 1] as number[])[j]!)) {
      out.push({ kind: "added", text: midB[j]! });
      j++;
    } else {
      out.push({ kind: "removed", text: midA[i]! });
      i++;
    }
  }
  out.push(...a.slice(endA).map((text) => ({ kind: "same" as const, text })));
  return out;
}
