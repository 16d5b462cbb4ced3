import { describe, expect, it } from "vitest";
import { lineDiff } from "./lineDiff";

describe("lineDiff", () => {
  it("keeps the common lines and marks what changed", () => {
    const d = lineDiff("[sshd]\nenabled = false\nport = ssh\n", "[sshd]\nenabled = true\nport = ssh\nmaxretry = 3\n");
    expect(d).toEqual([
      { kind: "same", text: "[sshd]" },
      { kind: "added", text: "enabled = true" },
      { kind: "removed", text: "enabled = false" },
      { kind: "same", text: "port = ssh" },
      { kind: "added", text: "maxretry = 3" },
    ]);
  });

  it("shows a created file as all added and a removed one as all removed", () => {
    expect(lineDiff("", "a\nb\n").map((l) => l.kind)).toEqual(["added", "added"]);
    expect(lineDiff("a\n", "").map((l) => l.kind)).toEqual(["removed"]);
    expect(lineDiff("same\n", "same\n")).toEqual([{ kind: "same", text: "same" }]);
  });
});
