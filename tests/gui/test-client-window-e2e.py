#!/usr/bin/python3
# End-to-end test of the client window through AT-SPI (dogtail): the window
# creates an account on a headless server, sends a lobby message that a CLI
# client receives, shows the CLI client's reply, and shows a direct message
# as read once the peer has read it.  Speaks TAP; skips without a display.
import json
import os
import queue
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

PLAN = 8
results = []


def skip_all(why):
    print("1..0 # SKIP " + why)
    sys.exit(0)


if not os.environ.get("DISPLAY"):
    skip_all("no DISPLAY")
if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
    skip_all("no session bus")
SERVER = os.environ.get("CZ_SERVER_BIN")
CLIENT = os.environ.get("CZ_CLIENT_BIN")
if not SERVER or not CLIENT or not os.access(SERVER, os.X_OK) or not os.access(CLIENT, os.X_OK):
    skip_all("CZ_SERVER_BIN / CZ_CLIENT_BIN not built")
os.environ.pop("NO_AT_BRIDGE", None)
os.environ.pop("GTK_A11Y", None)
try:
    import dogtail.config
    dogtail.config.config.checkForA11y = False
    dogtail.config.config.searchCutoffCount = 3
    dogtail.config.config.defaultDelay = 0.2
    dogtail.config.config.logDebugToFile = False
    dogtail.config.config.logDebugToStdOut = False
    import dogtail.tree
    import dogtail.rawinput
    import dogtail.predicate
except Exception as e:  # ImportError, or no accessibility bus
    skip_all("dogtail unavailable: %s" % e)

procs = []
tmp = tempfile.mkdtemp(prefix="cz-client-window-")


def diag(msg):
    for line in str(msg).splitlines():
        print("# " + line)
    sys.stdout.flush()


def ok(cond, name):
    results.append(cond)
    print("%s %d - %s" % ("ok" if cond else "not ok", len(results), name))
    sys.stdout.flush()
    return cond


def wait_for(fn, timeout=15.0, step=0.2):
    """Calls fn until it returns something true (returned) or timeout (None)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            value = fn()
            if value:
                return value
        except Exception:
            pass
        time.sleep(step)
    return None


def cleanup():
    for p in reversed(procs):
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
    shutil.rmtree(tmp, ignore_errors=True)


def bail(why):
    diag(why)
    for name in ("server.log", "window.log"):
        path = os.path.join(tmp, name)
        if os.path.exists(path):
            diag("--- %s" % name)
            with open(path, errors="replace") as f:
                diag(f.read()[-3000:])
    while len(results) < PLAN:
        ok(False, "not reached")
    cleanup()
    sys.exit(1)


def run(*args):
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60)


class Cli:
    """causerie-client --cli --json with a reader thread."""

    def __init__(self, port):
        self.proc = subprocess.Popen(
            [CLIENT, "--cli", "--json", "--host", "127.0.0.1", "--port", str(port),
             "--ca-file", os.path.join(tmp, "ca.pem")],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            text=True, bufsize=1)
        procs.append(self.proc)
        self.events = queue.Queue()
        self.seen = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            try:
                self.events.put(json.loads(line))
            except ValueError:
                pass

    def send(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def expect(self, event, timeout=15.0, **match):
        def matches(e):
            return e.get("event") == event and all(e.get(k) == v for k, v in match.items())
        for e in self.seen:
            if matches(e):
                self.seen.remove(e)
                return e
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                e = self.events.get(timeout=max(0.05, end - time.monotonic()))
            except queue.Empty:
                break
            if matches(e):
                return e
            self.seen.append(e)
        return None


def start_server():
    run(SERVER, "--generate-ca", "--cn", "Test CA", "--out-cert", os.path.join(tmp, "ca.pem"),
        "--out-key", os.path.join(tmp, "ca-key.pem"))
    run(SERVER, "--generate-cert", "--ca-cert", os.path.join(tmp, "ca.pem"),
        "--ca-key", os.path.join(tmp, "ca-key.pem"), "--cn", "localhost",
        "--san", "DNS:localhost", "--san", "IP:127.0.0.1",
        "--out-cert", os.path.join(tmp, "server.pem"),
        "--out-key", os.path.join(tmp, "server-key.pem"))
    log = open(os.path.join(tmp, "server.log"), "w")
    proc = subprocess.Popen(
        [SERVER, "--headless", "--bind", "127.0.0.1", "--port", "0",
         "--cert", os.path.join(tmp, "server.pem"), "--key", os.path.join(tmp, "server-key.pem"),
         "--db", os.path.join(tmp, "server.db"), "--scram-iterations", "4096"],
        stdout=subprocess.PIPE, stderr=log, text=True)
    procs.append(proc)
    ready, _, _ = select.select([proc.stdout], [], [], 15)
    line = proc.stdout.readline() if ready else ""
    if not line.startswith("listening on "):
        bail("server did not start: %r" % line)
    return int(line.strip().rsplit(":", 1)[1])


def find(root, **kw):
    """A descendant by exact name/roleName, or None (no retries, no exception)."""
    try:
        return root.child(retry=False, **kw)
    except Exception:
        return None


def showing(node):
    return node is not None and node.showing


def main():
    port = start_server()
    diag("server on port %d" % port)

    carol = Cli(port)
    carol.send("/register carol pw-carol")
    carol.send("/login carol pw-carol")
    if not carol.expect("logged-in"):
        bail("the CLI client could not log in")

    env = dict(os.environ)
    for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        env[var] = os.path.join(tmp, var.lower())
        os.makedirs(env[var], exist_ok=True)
    env["GSETTINGS_BACKEND"] = "memory"
    with open(os.path.join(tmp, "window.log"), "w") as log:
        window = subprocess.Popen(
            [CLIENT, "--host", "127.0.0.1", "--port", str(port),
             "--ca-file", os.path.join(tmp, "ca.pem")],
            env=env, stdout=log, stderr=subprocess.STDOUT)
    procs.append(window)

    def get_app():
        for a in dogtail.tree.root.applications():
            if a.name == "causerie-client":
                return a
        return None
    app = wait_for(get_app, 20)
    if app is None:
        bail("the window did not appear on the accessibility bus")
    frame = wait_for(lambda: find(app, roleName="frame", name="Causerie"), 10)
    ok(frame is not None, "the window is up, titled Causerie")

    # 1. Connect form, prefilled from the command line; create an account.
    server_entry = wait_for(lambda: find(app, roleName="text", name="Server"), 10)
    user_entry = find(app, roleName="text", name="User name")
    password_entry = find(app, roleName="password text", name="Password")
    if not (server_entry and user_entry and password_entry):
        bail("connect form controls not found")
    ok(server_entry.text == "127.0.0.1", "the host is prefilled from --host")
    user_entry.text = "alice"
    password_entry.text = "pw-alice"
    find(app, roleName="push button", name="Create Account").doActionNamed("click")

    entry = wait_for(lambda: (lambda n: n if showing(n) else None)(
        find(app, roleName="text", name="Message")), 30)
    if entry is None:
        bail("the chat view did not appear after creating the account")
    ok(True, "account created and logged in: the chat view shows")

    # 2. A lobby message typed in the window reaches the CLI client.
    entry.grabFocus()
    entry.text = "hello from the window"
    dogtail.rawinput.pressKey("Return")
    got = carol.expect("message", text="hello from the window", timeout=10)
    if got is None:
        # The X server may not route key events to us: use the Send button.
        diag("Enter did not send (no keyboard focus?); using the Send button")
        find(app, roleName="push button", name="Send").doActionNamed("click")
        got = carol.expect("message", text="hello from the window", timeout=10)
    ok(got is not None and got.get("from") == "alice" and got.get("room") == "lobby",
       "the CLI client received the lobby message from alice")

    # 3. The CLI client's reply shows in the window.
    carol.send("/say hi alice, from the terminal")
    reply = wait_for(lambda: find(app, roleName="label", name="hi alice, from the terminal"), 15)
    ok(reply is not None, "the window shows the CLI client's lobby reply")

    # 4. A direct message: select carol in the sidebar, send, wait for "Read".
    carol_row = wait_for(lambda: find(app, roleName="list item", name="carol, online"), 15)
    if carol_row is None:
        bail("carol is not listed as online in the sidebar")
    carol_row.select()
    wait_for(lambda: find(app, roleName="frame", name="Causerie") and
             find(app, roleName="list", name="carol"), 10)
    entry.grabFocus()
    entry.text = "psst carol"
    find(app, roleName="push button", name="Send").doActionNamed("click")
    dm = carol.expect("message", text="psst carol", timeout=10)
    ok(dm is not None and dm.get("to") == "carol", "the CLI client received the direct message")
    if dm is None:
        bail("no direct message")
    carol.send("/read %d" % dm["id"])

    def read_state():
        label = find(app, roleName="label", name="psst carol")
        row = label.parent.parent if label else None
        return row if row is not None and row.name.endswith("(Read)") else None
    row = wait_for(read_state, 15)
    ok(row is not None, "the window shows the direct message as read")

    # 5. carol's direct message, shown in the open conversation, gets a read receipt.
    carol.send("/msg alice are you there?")
    shown = wait_for(lambda: find(app, roleName="label", name="are you there?"), 15)
    got_msg = carol.expect("ack", timeout=10)
    receipt = carol.expect("receipt", state="read", timeout=15)
    ok(shown is not None and got_msg is not None and receipt is not None
       and receipt.get("by") == "alice",
       "the window shows carol's direct message and reports it read")

    shot = os.environ.get("CZ_SCREENSHOT")
    if shot:
        subprocess.run(["import", "-window", "root", shot], timeout=30)

    carol.send("/quit")
    cleanup()
    sys.exit(0 if all(results) else 1)


print("1..%d" % PLAN)
sys.stdout.flush()
try:
    main()
except SystemExit:
    raise
except BaseException as e:  # report, never leave processes behind
    import traceback
    bail("".join(traceback.format_exception(type(e), e, e.__traceback__)))
