#!/bin/sh
# man_pages.sh - the hand-written man pages render without warnings and
# keep up with the programs: every long flag that relaywatch --help, every
# "relaywatch COMMAND --help" and relaywatch-lab --help print is in
# relaywatch.1 or relaywatch-lab.1, every key of the configuration table
# (src/core/config.c) and of the policy table (src/desk/policy.c) is in
# relaywatch.conf.5, and every lab profile of --list is in relaywatch-lab.1.
# Peers: none (man-db's man, the built binaries).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
top=$(cd "$here/../.." && pwd)
man="$top/man"
[ -x "$RW" ] || skip "no $RW"
[ -x "$RWLAB" ] || skip "no $RWLAB"
command -v man >/dev/null 2>&1 || skip "no man"

bad=0
miss() { echo "missing: $*"; bad=1; }

# 1. render each page; any warning on stderr fails
for p in relaywatch.1 relaywatch.conf.5 relaywatch-lab.1; do
	[ -f "$man/$p" ] || fail "no man/$p"
	LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$man/$p" >"$T/out" 2>"$T/err"
	rc=$?
	[ $rc -eq 0 ] || { cat "$T/err"; fail "man -l $p: exit $rc"; }
	[ -s "$T/err" ] && { cat "$T/err"; fail "man --warnings -l $p warns"; }
	[ -s "$T/out" ] || fail "man -l $p printed nothing"
done

# the page's text as written: roff escapes of '-' undone, font changes dropped
plain() { sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\f\[[A-Z]*\]//g' -e 's/\\&//g' "$1"; }
plain "$man/relaywatch.1" >"$T/rw.txt"
plain "$man/relaywatch.conf.5" >"$T/conf.txt"
# the terms of its tagged paragraphs (the line after .TP): a key must have
# its own entry, not only a mention in another key's text
awk 'tp { print; tp = 0 } /^\.TP/ { tp = 1 }' "$T/conf.txt" >"$T/conf.terms"
plain "$man/relaywatch-lab.1" >"$T/lab.txt"

# has FILE WORD: WORD as a whole word (not the prefix of a longer flag or key)
has() { grep -Eq -- "(^|[^A-Za-z0-9_-])$2([^A-Za-z0-9_-]|\$)" "$1"; }
flags() { grep -Eo -- '--[A-Za-z][A-Za-z0-9-]*' | sort -u; }

# 2. long flags: the global help, each command's help, the lab's help
"$RW" --help >"$T/help" 2>&1 || fail "relaywatch --help: exit $?"
cmds=$(sed -n '/^commands:/,/^$/p' "$T/help" | awk 'NR > 1 && NF { print $1 }')
[ "$(echo "$cmds" | wc -w)" -ge 20 ] || fail "too few commands in --help: $cmds"
nflags=0
for f in $(flags <"$T/help"); do
	nflags=$((nflags + 1))
	has "$T/rw.txt" "$f" || miss "relaywatch.1: $f (relaywatch --help)"
done
for c in $cmds; do
	has "$T/rw.txt" "relaywatch $c" || miss "relaywatch.1: command $c"
	"$RW" "$c" --help >"$T/help.$c" 2>&1
	[ -s "$T/help.$c" ] || fail "relaywatch $c --help printed nothing"
	for f in $(flags <"$T/help.$c"); do
		nflags=$((nflags + 1))
		has "$T/rw.txt" "$f" || miss "relaywatch.1: $f (relaywatch $c --help)"
	done
done
"$RWLAB" --help >"$T/labhelp" 2>&1
[ -s "$T/labhelp" ] || fail "relaywatch-lab --help printed nothing"
for f in $(flags <"$T/labhelp"); do
	nflags=$((nflags + 1))
	has "$T/lab.txt" "$f" || miss "relaywatch-lab.1: $f (relaywatch-lab --help)"
done
"$RWLAB" --list >"$T/list" 2>&1 || fail "relaywatch-lab --list: exit $?"
for p in $(awk 'NR > 1 { print $1 }' "$T/list"); do
	has "$T/lab.txt" "$p" || miss "relaywatch-lab.1: profile $p"
done

# 3. configuration keys from the key table of src/core/config.c
sed -n '/^static const struct key_def keys\[\]/,/^};/p' "$top/src/core/config.c" |
	grep -Eo '\.name = "[a-z0-9_]+"' | sed 's/.*"\(.*\)"/\1/' >"$T/keys"
[ "$(wc -l <"$T/keys")" -ge 40 ] || fail "read only $(wc -l <"$T/keys") keys from config.c"
for k in $(cat "$T/keys"); do
	has "$T/conf.terms" "$k" || miss "relaywatch.conf.5: key $k (no .TP entry)"
done
# and the policy file's sections and keys from src/desk/policy.c
sed -n '/^static const struct key_def keys\[\]/,/^};/p' "$top/src/desk/policy.c" |
	grep -Eo '(P\(|\.name = )"[a-z0-9_]+"' | sed 's/.*"\(.*\)"/\1/' | sort -u >"$T/pkeys"
[ "$(wc -l <"$T/pkeys")" -ge 20 ] || fail "read only $(wc -l <"$T/pkeys") keys from policy.c"
for k in $(cat "$T/pkeys"); do
	has "$T/conf.terms" "$k" || miss "relaywatch.conf.5: policy key $k (no .TP entry)"
done
for s in policy notify escalation; do
	grep -q "^\.SS \[$s\]" "$T/conf.txt" || miss "relaywatch.conf.5: section [$s]"
done

echo "checked $nflags flags, $(wc -l <"$T/keys") config keys, $(wc -l <"$T/pkeys") policy keys"
[ $bad -eq 0 ] || fail "the man pages miss the above"
echo "ok"
