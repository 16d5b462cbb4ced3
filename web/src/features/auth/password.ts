/** What the server's password policy (BanGUI's) would refuse, so the form can say it first. */
export function passwordProblems(p: string): string[] {
  const problems: string[] = [];
  if ([...p].length < 8) problems.push("at least 8 characters");
  if (!/\p{Lu}/u.test(p)) problems.push("an upper-case letter");
  if (!/\p{Nd}/u.test(p)) problems.push("a digit");
  if (!/[^\p{L}\p{N}\s]/u.test(p)) problems.push("a special character such as ! or #");
  return problems;
}
