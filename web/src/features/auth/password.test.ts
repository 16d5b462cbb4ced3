import { describe, expect, it } from "vitest";
import { passwordProblems } from "./password";

describe("passwordProblems", () => {
  it("accepts what the server accepts", () => {
    expect(passwordProblems("Correct-Horse-9")).toEqual([]);
  });
  it("names every rule a password breaks", () => {
    expect(passwordProblems("abc")).toEqual(["at least 8 characters", "an upper-case letter", "a digit", "a special character such as ! or #"]);
    expect(passwordProblems("Abcdefg1")).toEqual(["a special character such as ! or #"]);
  });
});
