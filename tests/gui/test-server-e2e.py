#!/usr/bin/python3
# test-server-e2e.py: end to end through AT-SPI (dogtail).  Starts the
# server window on port 0, connects a CLI client that registers, logs in
# and says something, then checks that the window shows the user, TLS 1.3,
# the key fingerprint the client computed (Server identity),
# the client's Diffie-Hellman public value and the message; then makes a
# certificate with the Create Certificate dialog and has certtool verify it.
# Speaks TAP; skips without a display or without dogtail.  Every wait is
# bounded and everything started is stopped.
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

PLAN = 9
counter = 0
failures = 0


def tap(ok, what, detail=None):
    global counter, failures
    counter += 1
    if not ok:
        failures += 1
    print('%s %d - %s' % ('ok' if ok else 'not ok', counter, what), flush=True)
    if detail and not ok:
        for line in str(detail).splitlines():
            print('# ' + line, flush=True)


def skip_all(reason):
    print('1..0 # SKIP ' + reason, flush=True)
    sys.exit(0)


if not os.environ.get('DISPLAY'):
    skip_all('no DISPLAY (run under xvfb-run -a dbus-run-session)')
if not os.environ.get('DBUS_SESSION_BUS_ADDRESS'):
    skip_all('no D-Bus session bus (run under dbus-run-session)')
SERVER = os.environ.get('CZ_SERVER_BIN')
CLIENT = os.environ.get('CZ_CLIENT_BIN')
if not SERVER or not os.access(SERVER, os.X_OK) or not CLIENT or not os.access(CLIENT, os.X_OK):
    skip_all('CZ_SERVER_BIN / CZ_CLIENT_BIN not built')
os.environ.pop('NO_AT_BRIDGE', None)
os.environ.pop('GTK_A11Y', None)
try:
    import dogtail.config
    dogtail.config.config.checkForA11y = False
    dogtail.config.config.searchBackoffDuration = 0.25
    dogtail.config.config.searchCutoffCount = 20
    dogtail.config.config.defaultDelay = 0.2
    dogtail.config.config.logDebugToFile = False
    dogtail.config.config.logDebugToStdOut = False
    import dogtail.tree
    from dogtail.predicate import GenericPredicate
except Exception as e:  # noqa: BLE001 (any import problem means: cannot test)
    skip_all('dogtail is not usable: %s' % e)


def wait_for(func, timeout=15.0, step=0.2):
    """Calls func until it returns something true or timeout passes."""
    end = time.monotonic() + timeout
    last = None
    while time.monotonic() < end:
        try:
            last = func()
            if last:
                return last
        except Exception:  # noqa: BLE001 (the a11y tree changes under us)
            last = None
        time.sleep(step)
    return last


def read_line(stream, timeout):
    end = time.monotonic() + timeout
    buf = b''
    while time.monotonic() < end:
        r, _, _ = select.select([stream], [], [], max(0.0, end - time.monotonic()))
        if not r:
            break
        c = os.read(stream.fileno(), 1)
        if not c:
            break
        if c == b'\n':
            return buf.decode('utf-8', 'replace')
        buf += c
    return buf.decode('utf-8', 'replace') if buf else None


def find(node, role=None, name=None, timeout=10.0, test=None):
    def look():
        for child in node.findChildren(GenericPredicate(roleName=role), showingOnly=False):
            try:
                n = child.name
            except Exception:  # noqa: BLE001
                continue
            if name is not None and n != name:
                continue
            if test is not None and not test(child):
                continue
            return child
        return None
    return wait_for(look, timeout)


def activate(node):
    """Clicks through AT-SPI (no pointer, so no race with the compositor)."""
    try:
        node.doActionNamed('click')
    except Exception:  # noqa: BLE001 (no such action: fall back on the pointer)
        node.click()


def screenshot(name):
    out = os.environ.get('CZ_SCREENSHOT_DIR')
    if out and shutil.which('import'):
        subprocess.run(['import', '-window', 'root', os.path.join(out, name)], check=False,
                       timeout=20)


tmp = tempfile.mkdtemp(prefix='causerie-swin-')
procs = []
print('1..%d' % PLAN, flush=True)
try:
    env = dict(os.environ)
    env['XDG_DATA_HOME'] = os.path.join(tmp, 'data')
    env['GSETTINGS_BACKEND'] = 'memory'
    pki = os.path.join(tmp, 'pki')
    os.mkdir(pki)
    ca, ca_key = os.path.join(pki, 'ca.pem'), os.path.join(pki, 'ca-key.pem')
    cert, key = os.path.join(pki, 'server.pem'), os.path.join(pki, 'server-key.pem')
    subprocess.run([SERVER, '--generate-ca', '--cn', 'Window test CA', '--out-cert', ca,
                    '--out-key', ca_key], check=True, env=env, stdout=subprocess.DEVNULL,
                   timeout=60)
    subprocess.run([SERVER, '--generate-cert', '--ca-cert', ca, '--ca-key', ca_key, '--cn',
                    'localhost', '--san', 'DNS:localhost', '--san', 'IP:127.0.0.1',
                    '--out-cert', cert, '--out-key', key], check=True, env=env,
                   stdout=subprocess.DEVNULL, timeout=60)

    # 1. The window starts listening at once and says where.
    server = subprocess.Popen([SERVER, '--bind', '127.0.0.1', '--port', '0', '--cert', cert,
                               '--key', key, '--db', os.path.join(tmp, 'server.db'),
                               '--scram-iterations', '4096'],
                              env=env, stdout=subprocess.PIPE,
                              stderr=open(os.path.join(tmp, 'server.log'), 'wb'))
    procs.append(server)
    line = read_line(server.stdout, 30) or ''
    ok = line.startswith('listening on 127.0.0.1:')
    tap(ok, 'the window prints "listening on ADDR:PORT" first', repr(line))
    if not ok:
        raise SystemExit
    port = line.rsplit(':', 1)[1]

    # A client that registers, logs in and says hello, and stays connected.
    client = subprocess.Popen([CLIENT, '--cli', '--json', '--host', '127.0.0.1', '--port', port,
                               '--ca-file', ca], env=env, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    procs.append(client)
    client.stdin.write(b'/register alice secret-pw\n/login alice secret-pw\n'
                       b'/say hello from the window test\n')
    client.stdin.flush()
    events = {}
    end = time.monotonic() + 30
    while 'ack' not in events and time.monotonic() < end:
        l = read_line(client.stdout, max(0.1, end - time.monotonic()))
        if l is None:
            break
        try:
            ev = json.loads(l)
            events[ev.get('event')] = ev
        except ValueError:
            pass
    client_public = events.get('connected', {}).get('dh', {}).get('public')
    if 'ack' not in events or not client_public:
        tap(False, 'the client logs in and sends a message', repr(events))
        raise SystemExit

    app = wait_for(lambda: next((a for a in dogtail.tree.root.applications()
                                 if a.name == 'causerie-server'), None), 30)
    if app is None:
        tap(False, 'the window is visible through AT-SPI')
        raise SystemExit

    # 2. The clients list shows the user.
    cell = find(app, 'table cell', 'alice', timeout=20)
    tap(cell is not None, 'the clients list shows the logged-in user')

    # 3. Selecting the client shows its TLS session.
    if cell is not None:
        cell.click()
    tls = find(app, 'label', 'TLS 1.3', timeout=10,
               test=lambda n: n.parent is not None and n.parent.roleName != 'table')
    tap(tls is not None, 'the TLS session page shows TLS 1.3')
    screenshot('server-window.png')

    # 4. The Diffie-Hellman page shows the client's public value.
    dh_tab = find(app, 'radio button', 'Diffie-Hellman', timeout=5)
    if dh_tab is not None:
        activate(dh_tab)
    pub = find(app, 'label', None, timeout=10,
               test=lambda n: ''.join(n.name.split()) == client_public)
    tap(pub is not None, "the Diffie-Hellman page shows the client's public value", client_public)
    screenshot('server-window-dh.png')

    # 4b. The Server identity popover shows the key fingerprint the client
    # computed, grouped as the client's trust prompt shows it.
    fingerprint = events.get('connected', {}).get('tls', {}).get('fingerprint') or ''
    identity = find(app, 'toggle button', 'Server identity', timeout=5)
    shown = None
    if identity is not None:
        activate(identity)
        shown = find(app, 'label', None, timeout=10,
                     test=lambda n: n.showing and ''.join(n.name.split()) == fingerprint)
    tap(shown is not None and len(fingerprint) == 64 and shown.name.split()[0] == fingerprint[:4],
        "Server identity shows the key fingerprint the client computed", fingerprint)
    screenshot('server-window-identity.png')
    if identity is not None:
        activate(identity)

    # 5. The messages page shows the message.
    msg_tab = find(app, 'radio button', 'Messages', timeout=5)
    if msg_tab is not None:
        activate(msg_tab)
    msg = find(app, 'table cell', 'hello from the window test', timeout=10)
    tap(msg is not None, 'the messages log shows the message')
    if msg is not None:
        msg.click()
    screenshot('server-window-messages.png')

    # 6. The certificate dialog, from the main menu.
    menu = find(app, 'toggle button', 'Main menu', timeout=5)
    item = None
    if menu is not None:
        activate(menu)
        item = find(app, None, 'Create Certificate…', timeout=5,
                    test=lambda n: n.showing and
                    n.roleName in ('push button', 'menu item', 'check box'))
    if item is not None:
        activate(item)
    dialog = find(app, 'dialog', 'Create Certificate', timeout=10)
    out = os.path.join(tmp, 'made')
    made = {}
    if dialog is not None:
        for name, base in (('Where to save the new CA certificate', 'ca.pem'),
                           ('Where to save the new CA private key', 'ca-key.pem'),
                           ('Where to save the certificate', 'server.pem'),
                           ('Where to save the private key', 'server-key.pem')):
            entry = find(dialog, 'text', name, timeout=5)
            made[base] = os.path.join(out, base)
            if entry is not None:
                entry.text = made[base]
        generate = find(dialog, 'push button', 'Generate', timeout=5)
        if generate is not None:
            activate(generate)
        # The result on its own page: the key fingerprint, grouped.
        result = find(dialog, 'label', 'Key fingerprint (SHA-256)', timeout=60,
                      test=lambda n: n.text and len(''.join(n.text.split())) == 64)
    else:
        result = None
    verify = None
    if result is not None and os.path.exists(made.get('server.pem', '')):
        verify = subprocess.run(['certtool', '--verify', '--load-ca-certificate', made['ca.pem'],
                                 '--infile', made['server.pem']], capture_output=True, text=True,
                                timeout=30)
    tap(verify is not None and verify.returncode == 0,
        'the certificate dialog writes a certificate that certtool --verify accepts',
        verify.stdout + verify.stderr if verify else 'dialog=%r result=%r' % (dialog, result))
    screenshot('server-cert-dialog.png')
    if dialog is not None:
        close = find(dialog, 'push button', 'Done', timeout=5)
        if close is not None:
            activate(close)

    # 7. The window still answers after all that (the dialog closed).
    tap(wait_for(lambda: find(app, 'dialog', 'Create Certificate', timeout=0.5) is None, 10),
        'the dialog closes')
except SystemExit:
    pass
except Exception:  # noqa: BLE001 (report it as a failure, then clean up)
    import traceback
    for line in traceback.format_exc().splitlines():
        print('# ' + line, flush=True)
finally:
    # 8. SIGTERM closes the window cleanly.
    status = None
    for p in reversed(procs):
        if p.poll() is None:
            if p is procs[0]:
                p.send_signal(signal.SIGTERM)
            else:
                try:
                    p.stdin.close()
                except Exception:  # noqa: BLE001
                    pass
                p.terminate()
            try:
                status = p.wait(timeout=15) if p is procs[0] else p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
                status = 'killed'
    if counter == PLAN - 1:
        tap(status == 0, 'SIGTERM stops the window and its server cleanly', 'status %r' % status)
    while counter < PLAN:
        tap(False, 'not reached')
    shutil.rmtree(tmp, ignore_errors=True)
sys.exit(1 if failures else 0)
