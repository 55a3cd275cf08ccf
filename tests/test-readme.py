#!/usr/bin/python3
# TAP: the README's commands, as a newcomer types them.
#
# Every command in README.md's ```sh blocks, and every command written
# inline in its prose, must be listed below with what this test does with
# it; a new one fails the test until it is.  What runs, runs verbatim, in
# a temporary folder where `_build` is a link to the build tree (the README
# is read from the source tree's top folder, where `_build` is):
#
#  RUN     the "Without windows" block: both certificate commands, the
#          headless server on port 7443 and the scripted client reaching
#          it as chat.lan.  They run in private user, network and mount
#          namespaces (unshare), so that port 7443 is free and /etc/hosts
#          can say chat.lan is 127.0.0.1; without unshare (or ip) they are
#          skipped.  Their files, output and exit statuses are checked.
#  DEMO    the terminal client the README offers beside the demo window:
#          run against `causerie-server --demo` (what tools/demo starts)
#          in the same namespaces under the test's X display; skipped
#          without a display.
#  STATIC  commands that need root and the network (tools/install-deps),
#          a second build of the tree (tools/demo and tools/check build in
#          the source tree's _build; ./configure --enable-sanitizers), run
#          this very suite (tools/check), or take minutes
#          (tests/bench/run-bench, tests/fuzz/run-fuzzers): each script must
#          exist, be executable and parse (sh -n / bash -n); the option
#          must be one configure knows; and every program those commands
#          need must come from a package tools/install-deps installs.
#  WINDOW  `_build/causerie-client` alone: tests/gui/test-run-uninstalled.sh
#          starts both windows from the build tree with a clean environment.
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

SRCDIR = os.environ.get("CZ_TOP_SRCDIR") or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILDDIR = os.path.abspath(os.environ.get("CZ_TOP_BUILDDIR", "."))
README = os.path.join(SRCDIR, "README.md")

# Each README command (a logical line: continued by "\" or a final "|"),
# matched from its start, and what is done with it.
COMMANDS = [
    (r"tools/install-deps && tools/demo$", "STATIC"),
    (r"tools/install-deps && tools/check$", "STATIC"),
    (r"B=_build$", "RUN"),
    (r"\$B/causerie-server --generate-ca ", "RUN"),
    (r"\$B/causerie-server --generate-cert ", "RUN"),
    (r"\$B/causerie-server --headless ", "SERVER"),
    (r"printf '.*' \|\s+\$B/causerie-client --cli ", "CLIENT"),
]
# Inline `code` in the prose that is a command to type.
INLINE = [
    (r"tools/install-deps$", "STATIC"),
    (r"tools/demo$", "STATIC"),
    (r"tools/check$", "STATIC"),
    (r"_build/causerie-client$", "WINDOW"),
    (r"_build/causerie-client --cli .*--ca-file ~/\.local/share/causerie/demo/ca\.pem$", "DEMO"),
    (r"tests/bench/run-bench( \[--quick\])?$", "STATIC"),
    (r"tests/fuzz/run-fuzzers SECONDS$", "STATIC"),
    (r"\./configure --enable-sanitizers$", "STATIC"),
]
INLINE_COMMAND = re.compile(r"^(tools/|tests/\w+/run-|_build/|\./configure|\$B/)")
# What the commands need, and the Debian package tools/install-deps must
# install for it.
NEEDS = [
    ("autoreconf", "autoconf"), ("msgfmt", "gettext"), ("pkg-config", "pkg-config"),
    ("glib-compile-schemas", "libglib2.0-dev-bin"), ("xvfb-run", "xvfb"),
    ("dbus-run-session", "dbus"), ("certtool", "gnutls-bin"), ("openssl", "openssl"),
    ("ngircd", "ngircd"), ("gnuplot", "gnuplot-nox"), ("pg_ctlcluster", "postgresql"),
    ("import", "imagemagick"), ("desktop-file-validate", "desktop-file-utils"),
    ("appstreamcli", "appstream"), ("xmllint", "libxml2-utils"),
    ("dogtail (python3)", "python3-dogtail"),
]

results = []


def ok(cond, name, diag=None):
    results.append(bool(cond))
    print("%s %d - %s" % ("ok" if cond else "not ok", len(results), name), flush=True)
    if not cond and diag:
        for line in str(diag).splitlines()[-40:]:
            print("# " + line, flush=True)
    return cond


def skip(name, why):
    results.append(True)
    print("ok %d - %s # SKIP %s" % (len(results), name, why), flush=True)


def code_blocks(text):
    """(info string, body) of each fenced block: CommonMark's ``` fences."""
    return re.findall(r"^```([^\n`]*)\n(.*?)^```\s*$", text, re.M | re.S)


def logical_lines(body):
    """The commands of a shell block: comments dropped, continuations joined."""
    out, cur = [], ""
    for raw in body.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        line = re.sub(r"\s+#.*$", "", line) if "'" not in line else line
        cur = (cur + " " + line).strip() if cur else line
        if cur.endswith("\\"):
            cur = cur[:-1].rstrip()
        elif not cur.endswith("|"):
            out.append(cur)
            cur = ""
    if cur:
        out.append(cur)
    return out


def classify(cmd, table):
    for pattern, what in table:
        if re.match(pattern, cmd, re.S):
            return what
    return None


def script_parses(path):
    with open(path, "rb") as f:
        first = f.readline()
    shell = "bash" if b"bash" in first else "sh"
    return subprocess.run([shell, "-n", path], capture_output=True).returncode == 0


text = open(README, encoding="utf-8").read()
commands = []
for info, body in code_blocks(text):
    if info.strip() in ("sh", "shell", "console", "bash"):
        commands += logical_lines(body)
prose = re.sub(r"^```.*?^```\s*$", "", text, flags=re.M | re.S)
# (A path ending in "/" names a folder, not a command.)
inline = sorted({c for c in re.findall(r"`([^`\n]+)`", prose)
                 if INLINE_COMMAND.match(c) and not c.endswith("/")})

# 1. Every command is accounted for.
unknown = [c for c in commands if classify(c, COMMANDS) is None]
unknown += [c for c in inline if classify(c, INLINE) is None]
ok(commands and not unknown, "every README command is one this test knows",
   "not listed in tests/test-readme.py:\n" + "\n".join(unknown))
ok(any(re.match(r"tools/install-deps && tools/demo$", c) for c in commands),
   "the README starts a newcomer with two commands: tools/install-deps && tools/demo")

# 2. STATIC: the scripts exist, are executable and parse.
scripts = set()
for c in commands + inline:
    if classify(c, COMMANDS) == "STATIC" or classify(c, INLINE) == "STATIC":
        scripts.update(w for w in re.findall(r"(?:tools|tests/\w+)/[\w-]+", c))
for s in sorted(scripts):
    path = os.path.join(SRCDIR, s)
    ok(os.path.isfile(path) and os.access(path, os.X_OK) and script_parses(path),
       "%s exists, is executable and parses" % s)
configure = os.path.join(SRCDIR, "configure")
if os.access(configure, os.X_OK):
    out = subprocess.run([configure, "--help"], capture_output=True, text=True).stdout
    ok("--enable-sanitizers" in out, "configure knows --enable-sanitizers")
else:
    skip("configure knows --enable-sanitizers", "no configure in the source tree")

# 3. What the commands need, tools/install-deps installs.
deps = open(os.path.join(SRCDIR, "tools", "install-deps"), encoding="utf-8").read()
install = re.search(r"apt-get install((?:[^\n]*\\\n)*[^\n]*)", deps)
packages = set(re.findall(r"(?<![-\w.])([a-z0-9][a-z0-9.+-]+)", install.group(1))) if install else set()
missing = ["%s (%s)" % (p, n) for n, p in NEEDS if p not in packages]
ok(not missing, "tools/install-deps installs what the documented commands need",
   "missing: " + ", ".join(missing))

# 4. RUN, SERVER, CLIENT: the "Without windows" block, verbatim.
tmp = tempfile.mkdtemp(prefix="cz-readme-")
have_ns = (shutil.which("unshare") and (shutil.which("ip") or os.path.exists("/usr/sbin/ip") or
                                        os.path.exists("/sbin/ip")) and
           subprocess.run(["unshare", "--user", "--map-root-user", "--net", "--mount", "true"],
                          capture_output=True).returncode == 0)


def namespace_script(body):
    """A shell script run with a private loopback, and chat.lan as 127.0.0.1.
    getaddrinfo (AI_ADDRCONFIG) answers only if some address besides
    127.0.0.1 is configured: the loopback also gets the README's
    192.0.2.10 (a documentation address)."""
    ip = shutil.which("ip") or ("/usr/sbin/ip" if os.path.exists("/usr/sbin/ip") else "/sbin/ip")
    with open(os.path.join(tmp, "hosts"), "w") as f:
        f.write("127.0.0.1 localhost chat.lan\n::1 localhost\n")
    return ("set -u\n%s link set lo up || exit 97\n"
            "%s addr add 192.0.2.10/32 dev lo || exit 97\n"
            "mount --bind %s/hosts /etc/hosts || exit 97\n"
            "cd %s\n" % (ip, ip, tmp, tmp)) + body


def wait_listening():
    return ('i=0\nuntil grep -q "^listening on" server.out 2>/dev/null; do\n'
            '  i=$((i + 1)); [ $i -gt 300 ] && break\n'
            '  kill -0 $server 2>/dev/null || break\n  sleep 0.1\ndone\n')


os.symlink(BUILDDIR, os.path.join(tmp, "_build"))
env = dict(os.environ)
# A newcomer's defaults: ~/.local/share, ~/.config (the README names them).
env.update(HOME=os.path.join(tmp, "home"), LC_ALL="C")
for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "GSETTINGS_SCHEMA_DIR"):
    env.pop(var, None)
os.makedirs(env["HOME"])
try:
    if not have_ns:
        skip("the Without windows commands run as written",
             "no private network namespace (unshare, ip): port 7443 and chat.lan need one")
    else:
        body = ""
        for c in commands:
            what = classify(c, COMMANDS)
            if what == "RUN":
                body += c + "\n"
            elif what == "SERVER":
                body += c + " > server.out 2> server.err &\nserver=$!\n" + wait_listening()
            elif what == "CLIENT":
                body += c + " > client.out 2> client.err\necho $? > client.status\n"
        body += 'kill -TERM $server; wait $server; echo $? > server.status\n'
        with open(os.path.join(tmp, "readme.sh"), "w") as f:
            f.write(namespace_script(body))
        r = subprocess.run(["unshare", "--user", "--map-root-user", "--net", "--mount",
                            "sh", os.path.join(tmp, "readme.sh")], env=env,
                           capture_output=True, text=True, timeout=300)

        def read(name):
            try:
                return open(os.path.join(tmp, name), encoding="utf-8").read()
            except OSError:
                return ""
        made = all(os.path.isfile(os.path.join(tmp, f))
                   for f in ("ca.pem", "ca-key.pem", "server.pem", "server-key.pem"))
        modes = [os.stat(os.path.join(tmp, f)).st_mode & 0o777
                 for f in ("ca-key.pem", "server-key.pem")] if made else []
        ok(r.returncode != 97 and made and modes == [0o600, 0o600],
           "the certificate commands make the CA and the server certificate, keys 0600",
           r.stdout + r.stderr)
        ok(read("server.out").startswith("listening on 0.0.0.0:7443"),
           "the headless server says it listens on 0.0.0.0:7443",
           read("server.out") + read("server.err"))
        events = [e for e in re.findall(r'"event"\s*:\s*"([a-z-]+)"', read("client.out"))]
        ok(read("client.status").strip() == "0" and
           all(e in events for e in ("connected", "registered", "logged-in", "ack")),
           "the scripted client reaches chat.lan:7443, registers, logs in and says hello",
           "events: %s\n%s%s" % (events, read("client.out"), read("client.err")))
        ok(read("server.status").strip() == "0", "the server stops cleanly on SIGTERM",
           read("server.err"))

    # 5. DEMO: the terminal client beside the demo window.
    demo = [c for c in inline if classify(c, INLINE) == "DEMO"]
    if not demo:
        ok(False, "the README offers a terminal client beside the demo window")
    elif not have_ns:
        skip("the terminal client talks to the demo server", "no private network namespace")
    elif not os.environ.get("DISPLAY"):
        skip("the terminal client talks to the demo server", "no display for the demo window")
    else:
        body = ("_build/causerie-server --demo > server.out 2> server.err &\nserver=$!\n" +
                wait_listening() +
                "printf '/register bob s3cret-bob\\n/login bob s3cret-bob\\n/say hi\\n' | " +
                demo[0] + " > client.out 2> client.err\n"
                "echo $? > client.status\nkill -TERM $server; wait $server\n")
        for f in ("server.out", "client.out", "client.status"):
            if os.path.exists(os.path.join(tmp, f)):
                os.unlink(os.path.join(tmp, f))
        with open(os.path.join(tmp, "demo.sh"), "w") as f:
            f.write(namespace_script(body))
        denv = dict(env, NO_AT_BRIDGE="1")
        denv.pop("DBUS_SESSION_BUS_ADDRESS", None)   # abstract sockets stay outside
        r = subprocess.run(["unshare", "--user", "--map-root-user", "--net", "--mount",
                            "sh", os.path.join(tmp, "demo.sh")], env=denv,
                           capture_output=True, text=True, timeout=300)
        out = open(os.path.join(tmp, "client.out"), encoding="utf-8").read() \
            if os.path.exists(os.path.join(tmp, "client.out")) else ""
        said = ("account bob created", "logged in as bob", "stored as #")
        status = open(os.path.join(tmp, "client.status")).read().strip() \
            if os.path.exists(os.path.join(tmp, "client.status")) else "?"
        ok(status == "0" and all(line in out for line in said),
           "the terminal client talks to the demo server (%s)" % demo[0],
           "%s%s%s" % (out, r.stderr,
                                   open(os.path.join(tmp, "server.err")).read()
                                   if os.path.exists(os.path.join(tmp, "server.err")) else ""))
finally:
    shutil.rmtree(tmp, ignore_errors=True)

print("1..%d" % len(results))
sys.exit(0 if all(results) else 1)
