"""fail2ban-regex's own answers for a filter and a log, as JSON (the oracle of filter_oracle.rs).

Usage: fail2ban_regex.py <config dir> <filter name[options] or failregex> <log file> [json]

The optional JSON object gives what fail2ban-regex's command line would: "ignoreregex",
"datepattern" (-d), "maxlines" (-L), "timezone" (--timezone).

Runs fail2ban's Fail2banRegex as its command line does with `--raw` (hosts as written, no DNS)
and every line listed, then prints what it counted: per category the lines, and per failregex
the failures it found (id and time) in order.
"""
import json
import sys

sys.path.insert(0, "/usr/lib/python3/dist-packages")

import fail2ban.client.fail2banregex as f2br  # noqa: E402

f2br.output = lambda *args: None

config, reference, log = sys.argv[1:4]
extra = json.loads(sys.argv[4]) if len(sys.argv) > 4 else {}
args = [
    "-c", config, "--raw",
    "--print-all-matched", "--print-all-missed", "--print-all-ignored",
]
if "datepattern" in extra:
    args += ["-d", extra["datepattern"]]
if "maxlines" in extra:
    args += ["-L", str(extra["maxlines"])]
if "timezone" in extra:
    args += ["--timezone", extra["timezone"]]
opts, _ = f2br.get_opt_parser().parse_args(args)
regex = f2br.Fail2banRegex(opts)
if not regex.readRegex(reference, "fail") or (
    "ignoreregex" in extra and not regex.readRegex(extra["ignoreregex"], "ignore")
):
    print(json.dumps({"error": "cannot read the filter"}))
    sys.exit(0)
with open(log, encoding="utf-8", errors="replace") as f:
    lines = f.read().split("\n")
if lines and lines[-1] == "":
    lines.pop()
regex.process(lines)
stats = regex._line_stats
print(json.dumps({
    "tested": stats.tested,
    "matched": stats.matched,
    "missed": stats.missed,
    "ignored": stats.ignored,
    "matched_lines": stats.matched_lines,
    "missed_lines": stats.missed_lines,
    "ignored_lines": stats.ignored_lines,
    "failregex": [
        [[None if m[1] is None else str(m[1]), m[2]] for m in r.getIPList()]
        for r in regex._failregex
    ],
    "ignoreregex": [r._stats for r in regex._ignoreregex],
}))
