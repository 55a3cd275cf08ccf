#!/usr/bin/python3
# TAP: po/POTFILES.in lists every source file with a translatable string
# (a _() / N_() / C_() / g_dngettext () call, or translatable="yes" in a
# .ui file) and nothing that does not exist, so `make update-po` sees every
# string the windows and the programs show.
import os
import re
import sys

top = os.environ.get("CZ_TOP_SRCDIR", os.path.join(os.path.dirname(__file__), ".."))
MARK_C = re.compile(r'\b(?:_|N_|C_|NC_|g_dngettext)\s*\(')
MARK_UI = re.compile(r'translatable="yes"')
results = []


def ok(cond, name, diag=()):
    results.append(bool(cond))
    print("%s %d - %s" % ("ok" if cond else "not ok", len(results), name))
    for d in diag:
        print("# " + d)


with open(os.path.join(top, "po", "POTFILES.in"), encoding="utf-8") as f:
    listed = {l.strip() for l in f if l.strip() and not l.startswith("#")}

wanted = set()
for folder in ("common", "server-gui", "client-gui"):
    for root, _dirs, files in os.walk(os.path.join(top, folder)):
        for name in files:
            path = os.path.join(root, name)
            rel = os.path.relpath(path, top)
            if name.endswith(".c"):
                mark = MARK_C
            elif name.endswith(".ui"):
                mark = MARK_UI
            else:
                continue
            with open(path, encoding="utf-8") as f:
                if mark.search(f.read()):
                    wanted.add(rel)

missing = sorted(wanted - listed)
ok(not missing, "every file with translatable strings is in po/POTFILES.in", missing)
gone = sorted(p for p in listed if not os.path.exists(os.path.join(top, p)))
ok(not gone, "every file po/POTFILES.in lists exists", gone)
print("1..%d" % len(results))
sys.exit(0 if all(results) else 1)
