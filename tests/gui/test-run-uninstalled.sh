#!/bin/sh
# TAP: both windows start from the build tree as the README runs them
# (`_build/causerie-client`), with a clean environment: no
# GSETTINGS_SCHEMA_DIR, nothing installed.  They find the schemas compiled
# in the build tree; each must still be running a few seconds later and
# must not have complained of a missing schema.  Skipped without a display.
server=${CZ_SERVER_BIN:-./causerie-server}
client=${CZ_CLIENT_BIN:-./causerie-client}

if [ -z "${DISPLAY:-}" ]; then
  echo "1..0 # SKIP no display"
  exit 0
fi
echo "1..4"
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

for bin in "$server" "$client"; do
  name=$(basename "$bin")
  log="$tmp/$name.log"
  mkdir -p "$tmp/$name-home"
  env -i PATH=/usr/bin:/bin DISPLAY="$DISPLAY" HOME="$tmp/$name-home" \
      ${XAUTHORITY:+XAUTHORITY="$XAUTHORITY"} \
      ${DBUS_SESSION_BUS_ADDRESS:+DBUS_SESSION_BUS_ADDRESS="$DBUS_SESSION_BUS_ADDRESS"} \
      "$bin" > "$log" 2>&1 &
  pid=$!
  # Alive after 3 s (a missing schema aborts at once).
  i=0
  while [ $i -lt 30 ] && kill -0 "$pid" 2>/dev/null; do
    sleep 0.1
    i=$((i + 1))
  done
  kill -0 "$pid" 2>/dev/null
  ok $? "$name is still running 3 s after starting from the build tree" "$log"
  kill "$pid" 2>/dev/null
  i=0
  while [ $i -lt 50 ] && kill -0 "$pid" 2>/dev/null; do
    sleep 0.1
    i=$((i + 1))
  done
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  ! grep -qiE "schema .*not installed|settings schema" "$log"
  ok $? "$name found its settings schema" "$log"
done
exit $failed
