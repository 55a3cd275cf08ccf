#!/bin/sh
# TAP: the desktop entries and AppStream metainfo made by msgfmt validate
# (desktop-file-validate, appstreamcli validate --no-net: skipped when not
# installed) and carry the French of po/fr.po; the icons are well-formed
# SVG; the man pages describe every option that --help lists.
srcdir=${CZ_TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
builddir=${CZ_TOP_BUILDDIR:-.}
server=${CZ_SERVER_BIN:-$builddir/causerie-server}
client=${CZ_CLIENT_BIN:-$builddir/causerie-client}
apps="org.causerie.Server org.causerie.Client"
n=0
failed=0

ok () {   # ok CONDITION-STATUS DESCRIPTION [DIAGNOSTICS-FILE]
  n=$((n + 1))
  if [ "$1" = 0 ]; then
    echo "ok $n - $2"
  else
    echo "not ok $n - $2"
    failed=1
    [ -n "${3:-}" ] && [ -f "$3" ] && sed 's/^/# /' "$3"
  fi
}
skip () {
  n=$((n + 1))
  echo "ok $n # SKIP $1"
}

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

for app in $apps; do
  f=$builddir/data/$app.desktop
  if command -v desktop-file-validate >/dev/null 2>&1; then
    desktop-file-validate "$f" >"$tmp/out" 2>&1
    s=$?
    # Hints are not failures, anything else is.
    [ $s = 0 ] && grep -qv '^.*: hint: ' "$tmp/out" && s=1
    ok $s "desktop-file-validate $app.desktop" "$tmp/out"
  else
    skip "desktop-file-validate is not installed"
  fi
  grep -q '^Name\[fr\]=' "$f" && grep -q '^Comment\[fr\]=' "$f"
  ok $? "$app.desktop has French Name and Comment" "$f"
done

for app in $apps; do
  f=$builddir/data/$app.metainfo.xml
  if command -v appstreamcli >/dev/null 2>&1; then
    appstreamcli validate --no-net --no-color "$f" >"$tmp/out" 2>&1
    ok $? "appstreamcli validate --no-net $app.metainfo.xml" "$tmp/out"
  else
    skip "appstreamcli is not installed"
  fi
  grep -q 'xml:lang="fr"' "$f"
  ok $? "$app.metainfo.xml has French text" "$f"
done

for svg in "$srcdir"/data/icons/hicolor/scalable/apps/*.svg \
           "$srcdir"/data/icons/hicolor/symbolic/apps/*.svg; do
  if command -v xmllint >/dev/null 2>&1; then
    xmllint --noout "$svg" >"$tmp/out" 2>&1
    s=$?
  else
    grep -q '<svg ' "$svg" && grep -q '</svg>' "$svg"
    s=$?
  fi
  ok $s "icon $(basename "$svg") is well-formed" "$tmp/out"
done

# Every long option of --help (and of the --cli and certificate helps) is in
# the man page; GLib's and GTK's own options are not ours to document.
check_man () {  # check_man MANPAGE DESCRIPTION COMMAND...
  man=$1 what=$2
  shift 2
  : >"$tmp/missing"
  for cmd in "$@"; do
    LC_ALL=C $cmd 2>/dev/null | sed -n 's/^ *\(-., \)\{0,1\}--\([a-z][a-z0-9-]*\).*/\2/p'
  done | sort -u | while read -r opt; do
    case $opt in
      help|help-all|help-gapplication|help-gtk|gapplication-service|display|class|name|gtk-module|g-fatal-warnings) continue ;;
    esac
    grep -q -- "\\\\-\\\\-$opt\\($\\|[^a-z0-9-]\\)" "$man" || echo "--$opt" >>"$tmp/missing"
  done
  [ ! -s "$tmp/missing" ]
  ok $? "$what" "$tmp/missing"
}
check_man "$srcdir/data/man/causerie-server.1" "causerie-server.1 covers every option" \
  "$server --help" "$server --generate-ca --help"
check_man "$srcdir/data/man/causerie-client.1" "causerie-client.1 covers every option" \
  "$client --help" "$client --cli --help"

echo "1..$n"
exit $failed
