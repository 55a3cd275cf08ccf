#!/usr/bin/python3
# test-check-layers.py: check-layers.py can fail.  It runs the check over a
# copy of the sources, first as they are (the verdict must match the real
# run), then with one deliberate violation at a time, each of which must
# turn the check red and be named in its output.  Speaks TAP.
import os
import shutil
import subprocess
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))
top = os.environ.get('CZ_TOP_SRCDIR') or os.path.join(here, '..')
check = os.path.join(here, 'check-layers.py')

# (what, file to edit, line to add, text the failure must show)
CASES = [
    ('the client engine includes the server',
     'common/client/cz-client.c', '#include "cz-server.h"', 'common/server, which common/client may not see'),
    ('the codec includes the channel',
     'common/proto/cz-message.c', '#include "cz-channel.h"', 'common/channel, which common/proto may not see'),
    ('the client window includes the store',
     'client-gui/cz-connect-view.c', '#include "cz-store.h"', 'common/store, which client-gui may not see'),
    ('the server window includes the client engine',
     'server-gui/cz-server-window.c', '#include "cz-client.h"', 'common/client, which server-gui may not see'),
    ('GTK in base',
     'common/base/cz-util.c', '#include <gtk/gtk.h>', 'GTK in the protocol library'),
    ('SQLite in the server engine',
     'common/server/cz-server.c', '#include <sqlite3.h>', 'SQLite outside the store'),
    ('SQLite in the client engine beyond its device file',
     'common/client/cz-e2e-device.c', '#include <sqlite3.h>', 'SQLite outside the store'),
    ('GnuTLS in a window',
     'server-gui/cz-ui-util.h', '#include <gnutls/gnutls.h>', 'GnuTLS in a window'),
    ('a file at the root of common/',
     'common/cz-stray.c', '', 'cz-stray.c'),
]


def copy_tree(dst):
    for d in ('common', 'client-gui', 'server-gui'):
        shutil.copytree(os.path.join(top, d), os.path.join(dst, d),
                        ignore=shutil.ignore_patterns('*.o', '*.lo', '.deps', '.libs', '*.ui', '*.png'))


def run(tree):
    p = subprocess.run([sys.executable, check, tree], capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout


def main():
    print('1..%d' % (len(CASES) + 1), flush=True)
    failures = 0
    with tempfile.TemporaryDirectory(prefix='cz-layers-') as tmp:
        base = os.path.join(tmp, 'base')
        copy_tree(base)
        real_rc, _ = run(top)
        rc, out = run(base)
        ok = rc == real_rc
        failures += not ok
        print('%s 1 - the copy gets the verdict of the real tree (%d)' % ('ok' if ok else 'not ok', real_rc))
        for i, (what, rel, line, expect) in enumerate(CASES, 2):
            tree = os.path.join(tmp, 'case%d' % i)
            shutil.copytree(base, tree)
            path = os.path.join(tree, rel)
            text = open(path).read() if os.path.exists(path) else ''
            with open(path, 'w') as f:
                f.write(line + '\n' + text if line else '/* stray */\n')
            rc, out = run(tree)
            ok = rc != 0 and expect in out
            failures += not ok
            print('%s %d - refused: %s' % ('ok' if ok else 'not ok', i, what), flush=True)
            if not ok:
                for l in out.splitlines():
                    if l.startswith('not ok') or l.startswith('#'):
                        print('# ' + l)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
