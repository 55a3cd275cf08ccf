#!/bin/sh
# check-gui-gnutls-free.sh [BUILDDIR]: the windows see facts, not GnuTLS.
#
# Preprocesses every .c of server-gui/ and client-gui/ with the very
# command make compiles it with (taken from `make -n -B V=1`, -c turned
# into -E), and fails if any GnuTLS header is reached: the GUIs include
# the facts headers (cz-session-info.h, cz-cert-info.h, cz-tls-options.h,
# cz-server.h, cz-client.h), never the ones that take GnuTLS types.
# BUILDDIR defaults to _build next to this tree, configured and built.
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/_build}
cd "$build"

targets="server-gui/libcauserie-server.la client-gui/libcauserie-client.la causerie-server causerie-client"
cmds=$(make -n -B V=1 $targets 2>/dev/null |
       grep -E -- ' -c .*(server|client)-gui/[A-Za-z0-9_.-]+\.c$' || true)
[ -n "$cmds" ] || { echo "check-gui-gnutls-free: no compile command found in $build" >&2; exit 2; }

status=0
checked=0
for src in "$top"/server-gui/*.c "$top"/client-gui/*.c; do
  rel=${src#"$top"/}
  cmd=$(printf '%s\n' "$cmds" | grep -F -- "$rel" | head -n 1)
  if [ -z "$cmd" ]; then
    echo "check-gui-gnutls-free: $rel: no compile command (not built?)" >&2
    status=1
    continue
  fi
  # The compiler part of the line, preprocessing only, to stdout.
  cmd=$(printf '%s\n' "$cmd" |
        sed -e 's/^.*--mode=compile //' \
            -e 's/ -MT [^ ]* -MD -MP -MF [^ ]*//' \
            -e 's/ -c -o [^ ]* / -E -o - /')
  if ! out=$(eval "$cmd" 2>&1); then
    echo "check-gui-gnutls-free: $rel: the preprocessor failed:" >&2
    printf '%s\n' "$out" | head -n 20 >&2
    status=1
    continue
  fi
  reached=$(printf '%s\n' "$out" | sed -n 's/^# [0-9]* "\([^"]*gnutls\/[^"]*\)".*/\1/p' | sort -u)
  if [ -n "$reached" ]; then
    echo "FAIL $rel reaches GnuTLS:" $reached
    status=1
  else
    echo "ok   $rel"
  fi
  checked=$((checked + 1))
done
echo "check-gui-gnutls-free: $checked files preprocessed"
exit $status
