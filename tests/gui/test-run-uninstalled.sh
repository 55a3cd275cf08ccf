#!/bin/sh
# TAP: both windows start as a newcomer runs them, with a clean
# environment (no GSETTINGS_SCHEMA_DIR, nothing installed), in two cases:
#  - from the build tree (`_build/causerie-client`, as the README says):
#    they find the schemas compiled there and must not complain;
#  - a copy of the program outside the build tree, with XDG_DATA_DIRS on a
#    mirror of the system's data folders without their glib-2.0/ (icons and
#    the MIME database stay): no schema anywhere, so cz_settings_new falls
#    back to the schema built into the program, in memory, and says so.
# Each must still be running, its window mapped, 3 s after starting.
# Skipped without a display; the mapped-window check needs xwininfo.
server=${CZ_SERVER_BIN:-./causerie-server}
client=${CZ_CLIENT_BIN:-./causerie-client}

if [ -z "${DISPLAY:-}" ]; then
  echo "1..0 # SKIP no display"
  exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cz-uninstalled-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
n=0
failed=0

ok () {   # ok STATUS DESCRIPTION [LOG]
  n=$((n + 1))
  if [ "$1" = 0 ]; then
    echo "ok $n - $2"
  else
    echo "not ok $n - $2"
    failed=1
    [ -n "${3:-}" ] && sed 's/^/# /' "$3"
  fi
}

# mapped NAME: one of NAME's top-level windows is viewable.
mapped () {
  for id in $(xwininfo -root -children 2>/dev/null |
              sed -n "s/^ *\(0x[0-9a-f]*\) .*(\"$1\" .*/\1/p"); do
    xwininfo -id "$id" 2>/dev/null | grep -q 'Map State: IsViewable' && return 0
  done
  return 1
}

# run LABEL BIN [VAR=VALUE...]: starts BIN with a clean environment and
# leaves it running 3 s; checks it is alive and showing, then stops it.
run () {
  label=$1 bin=$2
  shift 2
  name=$(basename "$bin")
  log="$tmp/$label.log"
  mkdir -p "$tmp/$label-home"
  env -i PATH=/usr/bin:/bin DISPLAY="$DISPLAY" HOME="$tmp/$label-home" \
      ${XAUTHORITY:+XAUTHORITY="$XAUTHORITY"} \
      ${DBUS_SESSION_BUS_ADDRESS:+DBUS_SESSION_BUS_ADDRESS="$DBUS_SESSION_BUS_ADDRESS"} \
      "$@" "$bin" > "$log" 2>&1 &
  pid=$!
  # Alive after 3 s (a missing schema used to abort at once).
  i=0
  while [ $i -lt 30 ] && kill -0 "$pid" 2>/dev/null; do
    sleep 0.1
    i=$((i + 1))
  done
  kill -0 "$pid" 2>/dev/null
  ok $? "$name ($label) is still running 3 s after starting" "$log"
  if command -v xwininfo > /dev/null; then
    mapped "$name"
    ok $? "$name ($label) shows its window" "$log"
  else
    n=$((n + 1))
    echo "ok $n # SKIP xwininfo is not installed: $name ($label) window not looked for"
  fi
  kill "$pid" 2>/dev/null
  i=0
  while [ $i -lt 50 ] && kill -0 "$pid" 2>/dev/null; do
    sleep 0.1
    i=$((i + 1))
  done
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
}

for bin in "$server" "$client"; do
  name=$(basename "$bin")
  run "build-tree-$name" "$bin"
  ! grep -qiE "schema .*not installed|settings schema" "$tmp/build-tree-$name.log"
  ok $? "$name found its settings schema in the build tree" "$tmp/build-tree-$name.log"
done

# The same programs copied out of the build tree, with no schema anywhere.
mkdir -p "$tmp/bin"
dirs=
i=0
for d in /usr/local/share /usr/share; do
  [ -d "$d" ] || continue
  i=$((i + 1))
  mkdir "$tmp/share$i"
  for e in "$d"/*; do
    [ "$(basename "$e")" = glib-2.0 ] || ln -s "$e" "$tmp/share$i/"
  done
  dirs=${dirs:+$dirs:}$tmp/share$i
done
for bin in "$server" "$client"; do
  name=$(basename "$bin")
  if ! head -c 4 "$bin" | grep -aq ELF; then
    n=$((n + 1))
    echo "ok $n # SKIP $name is a libtool wrapper: it cannot be copied out of the build tree"
    continue
  fi
  cp "$bin" "$tmp/bin/$name"
  run "no-schema-$name" "$tmp/bin/$name" XDG_DATA_DIRS="$dirs"
  grep -q "settings schema is not installed; using the default settings" \
       "$tmp/no-schema-$name.log"
  ok $? "$name says it runs on default settings without a schema" "$tmp/no-schema-$name.log"
done
echo "1..$n"
exit $failed
