#!/usr/bin/python3
# Help in both windows, through AT-SPI (dogtail): the main menu's Help and
# F1 open the program's help page (data/help, from the source tree when run
# from the build tree) in the default HTML viewer, and the About dialog's
# links open that page at the README's sections.  The viewer is a stand-in
# registered for text/html in a private XDG_CONFIG_HOME / XDG_DATA_HOME: it
# records the URI it is given.  Speaks TAP; skips without a display.
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse

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
    from dogtail.predicate import GenericPredicate
except Exception as e:  # ImportError, or no accessibility bus
    skip_all("dogtail unavailable: %s" % e)


def ok(cond, name):
    results.append(bool(cond))
    print("%s %d - %s" % ("ok" if cond else "not ok", len(results), name), flush=True)
    return cond


def diag(msg):
    for line in str(msg).splitlines():
        print("# " + line, flush=True)


def wait_for(fn, timeout=15.0, step=0.2):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            value = fn()
            if value:
                return value
        except Exception:  # noqa: BLE001 (AT-SPI nodes come and go)
            pass
        time.sleep(step)
    return None


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
    try:
        node.doActionNamed('click')
    except Exception:  # noqa: BLE001
        node.click()


tmp = tempfile.mkdtemp(prefix="cz-help-")
log = os.path.join(tmp, "browser.log")


def opened(count):
    """The URIs the stand-in viewer got, once there are @count of them."""
    def look():
        if not os.path.exists(log):
            return None
        with open(log, encoding="utf-8") as f:
            lines = [line.strip() for line in f if line.strip()]
        return lines if len(lines) >= count else None
    return wait_for(look, 10) or []


def page_of(uri, program):
    """The help page @uri names, if it is @program's and has the section.
    (GIO hands a viewer the file's path when the URI has no #section.)"""
    if uri.startswith("/"):
        uri = "file://" + urllib.parse.quote(uri)
    parts = urllib.parse.urlsplit(uri)
    if parts.scheme != "file" or not parts.path.endswith("/" + program + ".html"):
        return None
    path = urllib.parse.unquote(parts.path)
    if not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if parts.fragment and ('id="%s"' % parts.fragment) not in text:
        return None
    return text


def setup_viewer():
    apps = os.path.join(tmp, "data", "applications")
    os.makedirs(apps)
    os.makedirs(os.path.join(tmp, "config"))
    script = os.path.join(tmp, "viewer.sh")
    with open(script, "w") as f:
        f.write('#!/bin/sh\nprintf "%%s\\n" "$1" >> "%s"\n' % log)
    os.chmod(script, 0o755)
    with open(os.path.join(apps, "cz-test-viewer.desktop"), "w") as f:
        f.write("[Desktop Entry]\nType=Application\nName=Test viewer\n"
                "Exec=%s %%u\nMimeType=text/html;\nNoDisplay=true\n" % script)
    with open(os.path.join(tmp, "config", "mimeapps.list"), "w") as f:
        f.write("[Default Applications]\ntext/html=cz-test-viewer.desktop\n")


def check(program, binary, app_name):
    env = dict(os.environ)
    env["HOME"] = tmp
    env["XDG_DATA_HOME"] = os.path.join(tmp, "data")
    env["XDG_CONFIG_HOME"] = os.path.join(tmp, "config")
    env["GSETTINGS_BACKEND"] = "memory"
    if os.path.exists(log):
        os.unlink(log)
    proc = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        app = wait_for(lambda: dogtail.tree.root.application(app_name), 20)
        frame = app and find(app, "frame", None, timeout=10, test=lambda n: n.showing)
        if not ok(frame is not None, "%s: the window shows" % program):
            return

        # The main menu's Help.
        menu = find(app, "toggle button", "Main menu", timeout=5)
        item = None
        if menu is not None:
            activate(menu)
            item = find(app, None, "Help", timeout=5,
                        test=lambda n: n.showing and
                        n.roleName in ("push button", "menu item", "check box"))
        if item is not None:
            activate(item)
        uris = opened(1)
        ok(uris and page_of(uris[0], program) and "Getting started" in page_of(uris[0], program),
           "%s: Help opens its help page" % program)
        diag(uris)

        # F1, with the pointer (hence the keyboard, on Xvfb) over the window.
        x, y = frame.position
        w, h = frame.size
        dogtail.rawinput.absoluteMotion(x + w // 2, y + h // 2)
        frame.grabFocus()
        dogtail.rawinput.pressKey("F1")
        uris = opened(2)
        ok(len(uris) >= 2 and page_of(uris[1], program), "%s: F1 opens its help page" % program)
        diag(uris)

        # The About dialog links to the README's sections of that page.
        if menu is not None:
            activate(menu)
            item = find(app, None, None, timeout=5,
                        test=lambda n: n.showing and n.name.startswith("About") and
                        n.roleName in ("push button", "menu item"))
            if item is not None:
                activate(item)
        about = find(app, "dialog", None, timeout=10,
                     test=lambda n: n.showing and n.name.startswith("About"))
        links = ["Getting started", "Without a window", "Where things live", "How it is secured"]
        found = [find(about, None, name, timeout=3) for name in links] if about else []
        ok(about is not None and all(found), "%s: About lists the help's sections" % program)
        good = 0
        for n, node in enumerate(found):
            if node is None:
                continue
            activate(node)
            uris = opened(3 + n)
            if len(uris) >= 3 + n and "#" in uris[2 + n] and page_of(uris[2 + n], program):
                good += 1
            else:
                diag("link %s: %s" % (links[n], uris))
        ok(good == len(links), "%s: each About link opens its section" % program)
    finally:
        proc.terminate()
        try:
            _, err = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
        if False in results:
            diag(err.decode("utf-8", "replace")[-2000:])


try:
    setup_viewer()
    check("causerie-server", SERVER, "causerie-server")
    check("causerie-client", CLIENT, "causerie-client")
finally:
    shutil.rmtree(tmp, ignore_errors=True)
print("1..%d" % len(results))
sys.exit(0 if all(results) else 1)
