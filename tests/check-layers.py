#!/usr/bin/python3
# check-layers.py: the layering rule of DESIGN §1 and HACKING.md, checked
# over the sources (the per-library -I flags already make most wrong
# includes fail to compile; this also catches a header that happens to be
# reachable, a library reaching upward, GTK or SQLite where they do not
# belong, GnuTLS reaching the windows through a header, and a file left at
# the root of common/).  Speaks TAP.
#
#   check-layers.py [TOP_SRCDIR]     (default: $CZ_TOP_SRCDIR, else ..)
import os
import re
import sys

# Each folder and the folders its files may include from (itself first).
ALLOWED = {
    'common/base': ['common/base'],
    'common/proto': ['common/proto', 'common/base'],
    'common/tls': ['common/tls', 'common/proto', 'common/base'],
    'common/channel': ['common/channel', 'common/tls', 'common/proto', 'common/base'],
    'common/store': ['common/store', 'common/proto', 'common/base'],
    'common/server': ['common/server', 'common/store', 'common/channel', 'common/tls',
                      'common/proto', 'common/base'],
    'common/client': ['common/client', 'common/channel', 'common/tls', 'common/proto',
                      'common/base'],
    'client-gui': ['client-gui', 'common/client', 'common/channel', 'common/tls',
                   'common/proto', 'common/base'],
    'server-gui': ['server-gui', 'common/server', 'common/store', 'common/channel',
                   'common/tls', 'common/proto', 'common/base'],
}

# System headers a folder may not include, and why.
FORBIDDEN_SYSTEM = [
    ('common/', re.compile(r'^(gtk|gdk|gdk-pixbuf|pango|cairo|atk)/'),
     'GTK in the protocol library'),
    ('common/', re.compile(r'^json-glib/'), 'json-glib is the terminal client\'s, not the library\'s'),
    # The client engine's end-to-end device keeps its keys in a local
    # SQLite file of its own (DESIGN §2.2): that one file, nothing else.
    ('common/', re.compile(r'^sqlite3\.h$'), 'SQLite outside the store',
     ['common/store', 'common/client/cz-device-store.c']),
    ('client-gui/', re.compile(r'^sqlite3\.h$'), 'SQLite in the client window'),
    ('client-gui/', re.compile(r'^gnutls/'), 'GnuTLS in a window (use the facts headers)'),
    ('server-gui/', re.compile(r'^gnutls/'), 'GnuTLS in a window (use the facts headers)'),
]

# Generated or top-level headers every folder may include.
ALWAYS = {'config.h'}

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^">]+)[">]', re.M)

counter = 0
failures = 0


def tap(ok, what, details=()):
    global counter, failures
    counter += 1
    if not ok:
        failures += 1
    print('%s %d - %s' % ('ok' if ok else 'not ok', counter, what), flush=True)
    for line in details:
        print('# ' + line, flush=True)


def sources(top, folder):
    path = os.path.join(top, folder)
    for name in sorted(os.listdir(path)):
        if name.endswith(('.c', '.h')):
            yield os.path.join(folder, name)


def includes(top, rel):
    with open(os.path.join(top, rel), encoding='utf-8', errors='replace') as f:
        text = f.read()
    # Comments may mention an include; drop them first.
    text = re.sub(r'/\*.*?\*/', '', text, flags=re.S)
    text = re.sub(r'//[^\n]*', '', text)
    return INCLUDE.findall(text)


def main():
    top = (sys.argv[1] if len(sys.argv) > 1
           else os.environ.get('CZ_TOP_SRCDIR')
           or os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
    folders = list(ALLOWED)
    missing = [d for d in folders if not os.path.isdir(os.path.join(top, d))]
    if missing:
        print('1..0 # SKIP no sources here (%s missing)' % ', '.join(missing))
        return 0

    # Where each project header lives.  A name defined twice would make
    # includes ambiguous: that is a failure of its own.
    home = {}
    dups = []
    for d in folders:
        for rel in sources(top, d):
            name = os.path.basename(rel)
            if rel.endswith('.h'):
                if name in home:
                    dups.append('%s and %s' % (home[name], rel))
                home[name] = d

    print('1..%d' % (len(folders) + 4), flush=True)
    tap(not dups, 'every header name is unique across the layers', dups)

    gnutls_headers = set()
    for d in folders:
        bad = []
        for rel in sources(top, d):
            for kind, name in includes(top, rel):
                if kind == '<':
                    for prefix, pattern, why, *exempt in FORBIDDEN_SYSTEM:
                        if (rel.startswith(prefix) and pattern.search(name)
                                and not any(rel == e or rel.startswith(e + '/')
                                            for e in (exempt[0] if exempt else []))):
                            bad.append('%s: <%s>: %s' % (rel, name, why))
                    if name.startswith('gnutls/') and rel.endswith('.h'):
                        gnutls_headers.add(os.path.basename(rel))
                    continue
                base = os.path.basename(name)
                if name in ALWAYS or base.endswith('-resources.h'):
                    continue
                where = home.get(base)
                if where is None:
                    bad.append('%s: "%s" is no header of common/, client-gui/ or server-gui/'
                               % (rel, name))
                elif where not in ALLOWED[d]:
                    bad.append('%s: "%s" is in %s, which %s may not see' % (rel, name, where, d))
        tap(not bad, '%s includes only %s' % (d, ', '.join(ALLOWED[d][1:]) or 'itself'), bad)

    # GnuTLS must not reach a window through a header either: follow the
    # project headers each window file includes, transitively.
    graph = {}
    for d in folders:
        for rel in sources(top, d):
            graph[os.path.basename(rel) if rel.endswith('.h') else rel] = [
                os.path.basename(n) for k, n in includes(top, rel) if k == '"']
    leaks = []
    for d in ('client-gui', 'server-gui'):
        for rel in sources(top, d):
            seen, todo, path = set(), list(graph.get(rel if rel.endswith('.c') else os.path.basename(rel), [])), {}
            for n in todo:
                path[n] = n
            while todo:
                h = todo.pop()
                if h in seen:
                    continue
                seen.add(h)
                if h in gnutls_headers:
                    leaks.append('%s reaches <gnutls/...> through %s' % (rel, path[h]))
                    break
                for n in graph.get(h, []):
                    if n not in path:
                        path[n] = path[h] + ' -> ' + n
                    todo.append(n)
    tap(not leaks, 'no window file sees GnuTLS through a header', leaks)

    stray = [n for n in sorted(os.listdir(os.path.join(top, 'common')))
             if os.path.isfile(os.path.join(top, 'common', n)) and n != 'Makefile.am.inc']
    tap(not stray, 'no source sits at the root of common/', stray)

    circles = []
    for d in folders:
        for rel in sources(top, d):
            if rel.endswith('.h'):
                for k, n in includes(top, rel):
                    if k == '"' and os.path.basename(rel) in graph.get(os.path.basename(n), []):
                        circles.append('%s <-> %s' % (rel, n))
    tap(not circles, 'no two headers include each other', circles)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
