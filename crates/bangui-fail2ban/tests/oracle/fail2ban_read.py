#!/usr/bin/env python3
"""What fail2ban's own reader makes of configurations: for each name, the files it merged (in
order) and every option of every section, interpolated, as JSON on stdout. An option that
cannot be interpolated shows as "!<exception class>"; a name that cannot be read at all as
{"error": "<exception class>"}.

Usage: fail2ban_read.py <config dir> <name>...   (names such as jail, filter.d/sshd)
"""
import json
import logging
import sys

sys.path.insert(0, "/usr/lib/python3/dist-packages")
from fail2ban.client import configparserinc  # noqa: E402
from fail2ban.client.configreader import ConfigReaderUnshared  # noqa: E402

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


main()
