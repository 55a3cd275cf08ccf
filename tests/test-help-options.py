#!/usr/bin/python3
# TAP: causerie-server's and causerie-client's --help texts list every
# option with a one-line description, and under LANGUAGE=fr (with a UTF-8
# locale, C.UTF-8, which every glibc has) each description is in French:
# none is left as the English one.  The programs run from the build tree,
# where they find the catalogues `make` lays out in locale/ (cz_locale_dir);
# nothing is installed.  GLib's and GTK's own options (--help-all,
# --display...) are theirs to translate and are not checked.
import os
import re
import subprocess
import sys

SERVER = os.environ.get("CZ_SERVER_BIN", "./causerie-server")
CLIENT = os.environ.get("CZ_CLIENT_BIN", "./causerie-client")
FOREIGN = {"help", "help-all", "help-gapplication", "help-gtk", "gapplication-service",
           "display", "class", "name", "gtk-module", "g-fatal-warnings"}
OPTION = re.compile(r"^  (?:-\w, )?--([a-z][a-z0-9-]*)(?:=\S+)?(?:\s+(.*))?$")
HELPS = [
    ("causerie-server --help-all", [SERVER, "--help-all"]),
    ("causerie-server --generate-ca --help", [SERVER, "--generate-ca", "--help"]),
    ("causerie-client --help-all", [CLIENT, "--help-all"]),
    ("causerie-client --cli --help", [CLIENT, "--cli", "--help"]),
]
results = []


def ok(cond, name, diag=None):
    results.append(bool(cond))
    print("%s %d - %s" % ("ok" if cond else "not ok", len(results), name))
    if not cond and diag:
        for line in str(diag).splitlines():
            print("# " + line)


def options(argv, language):
    env = {k: v for k, v in os.environ.items()
           if k not in ("LANGUAGE", "LANG", "LC_ALL", "LC_MESSAGES")}
    if language:
        env.update(LANGUAGE=language, LC_ALL="C.UTF-8")
    else:
        env.update(LC_ALL="C")
    out = subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         timeout=60, check=False).stdout.decode("utf-8")
    found = {}
    for line in out.splitlines():
        m = OPTION.match(line)
        if m and m.group(1) not in FOREIGN:
            found[m.group(1)] = (m.group(2) or "").strip()
    return found, out


for label, argv in HELPS:
    english, out_c = options(argv, None)
    french, out_fr = options(argv, "fr")
    ok(len(english) >= 5, "%s lists its options" % label, out_c)
    bare = sorted(o for o, d in english.items() if not d)
    ok(not bare, "%s: every option has a description" % label, "no description: %s" % bare)
    missing = sorted(set(english) - set(french))
    ok(not missing, "%s: LANGUAGE=fr lists the same options" % label, "%s\n%s" % (missing, out_fr))
    untranslated = sorted(o for o, d in english.items() if french.get(o) == d)
    ok(not untranslated, "%s: every description is French under LANGUAGE=fr" % label,
       "still in English: %s" % ", ".join("--%s (%s)" % (o, english[o]) for o in untranslated))

print("1..%d" % len(results))
sys.exit(0 if all(results) else 1)
