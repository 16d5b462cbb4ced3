#!/usr/bin/env python3
"""What fail2ban's own reader makes of configurations: for each name, the files it merged (in
order) and every option of every section, interpolated, as JSON on stdout. An option that
cannot be interpolated shows as "!<exception class>"; a name that cannot be read at all as
{"error": "<exception class>"}.

Usage: fail2ban_read.py <config dir> <name>...   (names such as jail, filter.d/sshd)

With --dump <config dir>: what `fail2ban-client -c <dir> -d` prints, one command per line as
Python literals, turned into a JSON list of commands.

With --jails <config dir> <version>: every jail section's options as JailReader reads them
before it looks at filters and actions (typed; unset ones left out), its filter and actions
parsed with fail2ban's extractOptions/splitWithOptions, and its log paths.
"""
import json
import logging
import sys

sys.path.insert(0, "/usr/lib/python3/dist-packages")
from fail2ban.client import configparserinc  # noqa: E402
from fail2ban.client.configreader import ConfigReader, ConfigReaderUnshared  # noqa: E402
from fail2ban.client.jailreader import JailReader  # noqa: E402
from fail2ban.helpers import extractOptions, splitWithOptions  # noqa: E402

logging.disable(logging.CRITICAL)

# The merge order is what the outermost _getIncludes returns.
_orders = []
_depth = [0]
_original = configparserinc.SafeConfigParserWithIncludes._getIncludes


def _recording(self, filenames, seen=[]):
    _depth[0] += 1
    try:
        found = _original(self, filenames, seen)
    finally:
        _depth[0] -= 1
    if _depth[0] == 0:
        _orders.append(list(found))
    return found


configparserinc.SafeConfigParserWithIncludes._getIncludes = _recording


def value(config, section, option):
    try:
        return config.get(section, option)
    except Exception as e:  # the class name is the answer
        return "!" + type(e).__name__


def main():
    base = sys.argv[1].rstrip("/")
    out = {}
    for name in sys.argv[2:]:
        config = ConfigReaderUnshared(basedir=base)
        del _orders[:]
        try:
            config.read(name)
        except Exception as e:
            out[name] = {"error": type(e).__name__}
            continue
        files = [f[len(base) + 1:] for f in (_orders[-1] if _orders else [])]
        sections = {}
        for section in config.sections():
            if section.startswith("KNOWN/"):
                continue
            sections[section] = {o: value(config, section, o) for o in sorted(config.options(section))}
        defaults = {o: value(config, "DEFAULT", o) for o in sorted(config.defaults())}
        out[name] = {"files": files, "defaults": defaults, "sections": sections}
    json.dump(out, sys.stdout, sort_keys=True, indent=1)


def parsed(option):
    try:
        name, args = extractOptions(option)
        return {"name": name, "args": args}
    except ValueError as e:
        return {"error": str(e)}


def jails():
    base, version = sys.argv[2].rstrip("/"), sys.argv[3]
    config = ConfigReader(basedir=base)
    config.read("jail")
    config.merge_defaults({"fail2ban_version": version, "fail2ban_confpath": base})
    out = {}
    for name in config.sections():
        if name == "INCLUDES":
            continue
        try:
            opts = ConfigReader.getOptions(config, name, JailReader._configOpts)
        except Exception as e:
            out[name] = {"error": type(e).__name__}
            continue
        jail = {"options": {k: v for k, v in opts.items() if v is not None}}
        if opts.get("filter"):
            jail["filter"] = parsed(opts["filter"])
        jail["actions"] = [parsed(a.strip()) for a in splitWithOptions(opts.get("action") or "") if a.strip()]
        if opts.get("logpath") is not None:
            jail["logpaths"] = [(p.rsplit(" ", 1) + ["head"])[:2] for p in opts["logpath"].split("\n")]
        out[name] = jail
    json.dump(out, sys.stdout, sort_keys=True, indent=1)


def dump():
    import ast
    import subprocess

    done = subprocess.run(["fail2ban-client", "-c", sys.argv[2], "-d"], capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit("fail2ban-client -d failed: " + done.stderr)
    commands = [ast.literal_eval(line) for line in done.stdout.splitlines() if line.startswith("[")]
    json.dump(commands, sys.stdout, indent=1)


if sys.argv[1] == "--jails":
    jails()
elif sys.argv[1] == "--dump":
    dump()
else:
    main()
