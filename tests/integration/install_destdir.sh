#!/bin/sh
# install_destdir.sh - `make install` into a DESTDIR and back out. The suite's
# own build (B=$RW_BUILD, nothing compiled again) is installed with
# PREFIX=/usr/local into a temporary DESTDIR: the programs, man pages,
# templates, examples, the unit with ExecStart in bindir, the configuration
# in sysconfdir; nothing outside DESTDIR. The installed binaries then run:
# --version, and a lab test: the installed relaywatch-lab on 127.46.0.0/24
# (profiles open and closed-rcpt, a free port), the installed `relaywatch
# test` with its own sink on another free loopback port, verdicts open and
# closed. A second install keeps an operator's changed configuration, and
# uninstall keeps it too; after an uninstall of an unchanged install no file
# or directory is left below DESTDIR. The compiled-in paths point into
# /usr/local, not DESTDIR: the test passes every path on the command line.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
repo=$(cd "$here/../.." && pwd)
[ -x "$RW" ] || skip "no $RW"
[ -x "$RWLAB" ] || skip "no $RWLAB"
command -v make >/dev/null 2>&1 || skip "no make"
command -v python3 >/dev/null 2>&1 || skip "no python3"

D="$T/dest"
P=/usr/local
mkdir "$D"
# make VAR... - the repository's Makefile on the suite's build directory
mk() { make -C "$repo" --no-print-directory B="$RW_BUILD" PREFIX="$P" DESTDIR="$D" "$@"; }
sum_before=$(cksum <"$RW")
mk install >"$T/install.log" 2>&1 || { tail -30 "$T/install.log"; fail "make install: exit $?"; }
# the suite's binaries are what was installed: nothing was compiled again
[ "$(cksum <"$RW")" = "$sum_before" ] ||
	fail "make install rebuilt $RW (was the suite built with another PREFIX?)"

# what install put, and where
for f in bin/relaywatch bin/relaywatch-lab share/man/man1/relaywatch.1 \
	share/man/man1/relaywatch-lab.1 share/man/man5/relaywatch.conf.5 \
	share/relaywatch/templates/blocked.tpl share/doc/relaywatch/examples/relaywatch.conf \
	share/doc/relaywatch/examples/nftables.conf share/doc/relaywatch/examples/policies/isp.conf \
	etc/relaywatch/relaywatch.conf lib/systemd/system/relaywatch.service; do
	[ -f "$D$P/$f" ] || { find "$D" | sort; fail "not installed: $P/$f"; }
done
[ -x "$D$P/bin/relaywatch" ] && [ -x "$D$P/bin/relaywatch-lab" ] || fail "programs not executable"
ntpl=$(ls "$repo"/contrib/templates/*.tpl | wc -l)
[ "$(ls "$D$P"/share/relaywatch/templates/*.tpl | wc -l)" -eq "$ntpl" ] || fail "not every template installed"
[ -z "$(find "$D" -mindepth 1 -maxdepth 1 ! -name usr)" ] || { find "$D" | sort; fail "files outside $P"; }
grep -qx "ExecStart=$P/bin/relaywatch daemon" "$D$P/lib/systemd/system/relaywatch.service" ||
	fail "the unit's ExecStart does not name $P/bin/relaywatch"
grep -q "$P/etc/relaywatch/relaywatch.conf" "$D$P/share/man/man1/relaywatch.1" ||
	fail "relaywatch.1 does not name the installed configuration"
grep -q "@[a-z]*@" "$D$P/lib/systemd/system/relaywatch.service" && fail "the unit has a @placeholder@ left"
if command -v man >/dev/null 2>&1; then
	for p in man1/relaywatch.1 man1/relaywatch-lab.1 man5/relaywatch.conf.5; do
		LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$D$P/share/man/$p" >/dev/null 2>"$T/man.err" ||
			fail "man -l $p: exit $?"
		[ ! -s "$T/man.err" ] || { cat "$T/man.err"; fail "man --warnings -l $p warns"; }
	done
fi

# the installed programs run
"$D$P/bin/relaywatch" --version >"$T/version" 2>&1 || fail "relaywatch --version: exit $?"
grep -q "^relaywatch [0-9]" "$T/version" || { cat "$T/version"; fail "relaywatch --version: $(cat "$T/version")"; }
"$D$P/bin/relaywatch" --help 2>&1 | grep -q "default $P/etc/relaywatch/relaywatch.conf" ||
	fail "relaywatch --help does not name $P/etc/relaywatch/relaywatch.conf (the compiled-in path)"

# a lab test with the installed binaries: an open and a closed host
LP=$(free_port)
SP=$(free_port)
key_file "$T/key"
rw_bg "$D$P/bin/relaywatch-lab" --sink "127.0.0.1:$SP" --canary canary.lab.test --base 127.46.0.1 \
	--port "$LP" --profiles open,closed-rcpt --truth "$T/truth" >"$T/lab.out" 2>"$T/lab.log"
LAB=$RW_LASTPID
lab_ready "$T/lab.out" "$LAB" "$T/lab.log" "the installed lab"
n=0
while read -r addr port profile want _proxy; do
	timeout -k 5 90 "$D$P/bin/relaywatch" test --json --token-key "$T/key" --canary canary.lab.test \
		--sink-listen "127.0.0.1:$SP" --timeout 4 --wait 8 --battery quick "$addr:$port" \
		>"$T/test.$profile.json" 2>"$T/test.$profile.log"
	got=$(json_get "$T/test.$profile.json" 'o["verdict"]' 2>/dev/null | head -1)
	echo "$addr:$port $profile: want $want, got ${got:-none}"
	[ "$got" = "$want" ] || { tail -5 "$T/test.$profile.log"; fail "$profile: verdict '${got:-none}', want $want"; }
	n=$((n + 1))
done <"$T/truth"
[ $n -eq 2 ] || { cat "$T/truth"; fail "the lab's truth has $n hosts, want 2"; }
kill "$LAB" 2>/dev/null

# an operator's configuration: install keeps it, uninstall keeps it
conf="$D$P/etc/relaywatch/relaywatch.conf"
echo "canary_domain = canary.example.net" >>"$conf"
cp "$conf" "$T/changed.conf"
mk install >"$T/install2.log" 2>&1 || { tail -30 "$T/install2.log"; fail "second make install: exit $?"; }
cmp -s "$conf" "$T/changed.conf" || fail "a second make install overwrote the changed configuration"
grep -q "exists: kept" "$T/install2.log" || fail "make install did not say it kept the configuration"
mk uninstall >"$T/uninstall.log" 2>&1 || { tail -30 "$T/uninstall.log"; fail "make uninstall: exit $?"; }
left=$(cd "$D" && find . -type f | sort)
[ "$left" = ".$P/etc/relaywatch/relaywatch.conf" ] ||
	{ echo "$left"; fail "after uninstall: want only the changed configuration left"; }
grep -q "was changed: kept" "$T/uninstall.log" || fail "make uninstall did not say it kept the configuration"

# unchanged: install and uninstall leave nothing, directories included
rm -f "$conf"
mk install >"$T/install3.log" 2>&1 || { tail -30 "$T/install3.log"; fail "third make install: exit $?"; }
mk uninstall >"$T/uninstall2.log" 2>&1 || { tail -30 "$T/uninstall2.log"; fail "make uninstall: exit $?"; }
[ -z "$(find "$D" -type f)" ] || { find "$D" -type f; fail "files left after make uninstall"; }
[ -z "$(find "$D" -mindepth 1)" ] || { find "$D" -mindepth 1; fail "directories left after make uninstall"; }
[ -d "$D" ] || fail "make uninstall removed DESTDIR itself"
echo "PASS: installed, ran the lab from $P, kept a changed configuration, uninstalled to nothing"
exit 0
