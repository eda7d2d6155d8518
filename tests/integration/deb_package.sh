#!/bin/sh
# rw-test: exclusive (it installs the package on this machine for a while)
# rw-test: plain build (the package is built from the sources, not the suite's build)
# deb_package.sh - the Debian package, built, checked, installed, run and
# purged. HEAD of the repository (git archive: committed files only) is built
# with dpkg-buildpackage -us -uc -b in a clean environment; lintian must
# report no error (E:), blhc no missing hardening flag in the build log. The
# .deb is installed with dpkg -i (a temporary policy-rc.d denying every
# start, when the machine has none): the relaywatch system user, its
# /var/lib/relaywatch (0750), /etc/relaywatch/relaywatch.conf a conffile, the
# man pages render without warnings, systemd-analyze verify accepts the unit,
# installed disabled. The shipped configuration keeps the daemon from
# starting (no policy; with one, no canary for the wildcard sink). Then the
# INSTALLED daemon runs as the relaywatch user in the foreground, with a
# configuration in a temporary directory: its sink on a free loopback port,
# the ISP policy, a sweep of the installed relaywatch-lab's open host
# (127.47.0.1, a free port), and its log must show the sweep's verdict
# (event=sweep-result ... verdict=open); SIGTERM stops it with exit 0.
# Always (trap): the daemon stopped, dpkg --purge, the policy-rc.d, the user
# and group removed if the test made them, and /etc/relaywatch and
# /var/lib/relaywatch as they were (set aside during the test when they
# existed without the package), so later tests see no trace. A relaywatch
# package already installed is never touched: the test skips. Needs root.
# Prints how long the build, lintian and the whole test took.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
repo=$(cd "$here/../.." && pwd)
t_start=$(date +%s)

[ "$(id -u)" = 0 ] || skip "needs root (dpkg -i, the relaywatch user)"
command -v dpkg-buildpackage >/dev/null 2>&1 || skip "no dpkg-buildpackage (dpkg-dev)"
for c in lintian blhc git runuser dpkg-query systemd-analyze man python3; do
	command -v "$c" >/dev/null 2>&1 || fail "no $c (debian-packages.txt)"
done
git -C "$repo" rev-parse --verify -q HEAD >/dev/null || fail "$repo is not a git checkout"
st=$(dpkg-query -W -f='${Status}' relaywatch 2>/dev/null)
case $st in
"" | "unknown ok not-installed" | "purge ok not-installed") ;;
*) skip "a relaywatch package is on this machine ($st): not touching it" ;;
esac

# --- the cleanup: whatever happened, the machine as it was ---------------
policy_rc="" installed="" made_user="" saved="" D="" W="$T/rw"
deb_cleanup() {
	if [ -n "$D" ] && kill -0 "$D" 2>/dev/null; then
		dpid=$(cat "$W/rw.pid" 2>/dev/null)
		[ -n "$dpid" ] && kill -TERM "$dpid" 2>/dev/null
		kill -TERM "$D" 2>/dev/null
		_i=0; while kill -0 "$D" 2>/dev/null && [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done
		[ -n "$dpid" ] && kill -KILL "$dpid" 2>/dev/null
		kill -KILL "$D" 2>/dev/null
	fi
	if [ -n "$installed" ]; then
		dpkg --purge relaywatch >"$T/purge.log" 2>&1 || { echo "cleanup: dpkg --purge failed:"; cat "$T/purge.log"; }
	fi
	[ -z "$policy_rc" ] || rm -f "$policy_rc"
	if [ -n "$made_user" ]; then
		userdel relaywatch 2>/dev/null
		groupdel relaywatch 2>/dev/null
	fi
	for d in $saved; do
		if [ -e "$d" ]; then
			echo "cleanup: $d exists after the purge: $d.deb_package-saved left for you to restore"
		else
			mv "$d.deb_package-saved" "$d"
		fi
	done
}
trap 'deb_cleanup; rw_cleanup' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# state left on this machine by something other than the package: set aside
for d in /etc/relaywatch /var/lib/relaywatch; do
	[ -e "$d" ] || continue
	[ ! -e "$d.deb_package-saved" ] || fail "$d.deb_package-saved exists (a run killed before its cleanup?): restore it first"
	mv "$d" "$d.deb_package-saved" || fail "cannot set $d aside"
	saved="$saved $d"
	echo "note: $d exists without the package: set aside until the end"
done
id relaywatch >/dev/null 2>&1 || made_user=1

# --- build ------------------------------------------------------------------
mkdir "$T/src"
git -C "$repo" archive --format=tar HEAD | tar -x -C "$T/src" || fail "git archive HEAD"
[ -z "$(git -C "$repo" status --porcelain 2>/dev/null)" ] ||
	echo "note: uncommitted changes in $repo are not in the package (HEAD only)"
t0=$(date +%s)
# a clean environment: a surrounding make's MAKEFLAGS, CC, SANITIZE or B
# must not reach the package's build
(cd "$T/src" && env -i PATH="$PATH" HOME="$T" LANG=C.UTF-8 TMPDIR="${TMPDIR:-/tmp}" \
	DEB_BUILD_OPTIONS="nocheck parallel=2 noautodbgsym" dpkg-buildpackage -us -uc -b) \
	>"$T/build.log" 2>&1 || { tail -40 "$T/build.log"; fail "dpkg-buildpackage: exit $?"; }
t_build=$(( $(date +%s) - t0 ))
echo "package build: ${t_build}s"
set -- "$T"/relaywatch_*_*.deb
[ $# -eq 1 ] && [ -f "$1" ] || { ls "$T"; fail "want one relaywatch .deb, found: $*"; }
deb=$1
echo "package: $(basename "$deb")"

t0=$(date +%s)
lintian -i -I "$deb" >"$T/lintian.log" 2>&1
rc=$?
t_lintian=$(( $(date +%s) - t0 ))
grep -E '^[EWIPO]: ' "$T/lintian.log" | sed 's/^/lintian: /'
echo "lintian: ${t_lintian}s, $(grep -c '^E: ' "$T/lintian.log") errors," \
	"$(grep -c '^W: ' "$T/lintian.log") warnings, $(grep -c '^I: ' "$T/lintian.log") info"
! grep -q '^E: ' "$T/lintian.log" || fail "lintian reports errors"
[ $rc -eq 0 ] || { tail -20 "$T/lintian.log"; fail "lintian: exit $rc"; }
blhc "$T/build.log" >"$T/blhc.log" 2>&1 || { head -5 "$T/blhc.log"; fail "blhc: hardening flags missing in the build"; }

# --- install ------------------------------------------------------------------
if [ ! -e /usr/sbin/policy-rc.d ]; then
	policy_rc=/usr/sbin/policy-rc.d
	printf '#!/bin/sh\n# relaywatch deb_package.sh: start no services\nexit 101\n' >"$policy_rc"
	chmod 755 "$policy_rc"
fi
installed=1
t0=$(date +%s)
DEBIAN_FRONTEND=noninteractive dpkg -i "$deb" >"$T/dpkg.log" 2>&1 || { cat "$T/dpkg.log"; fail "dpkg -i: exit $?"; }
echo "dpkg -i: $(( $(date +%s) - t0 ))s"
dpkg-query -W -f='${Status}' relaywatch | grep -q "install ok installed" || fail "not installed after dpkg -i"

pw=$(getent passwd relaywatch) || fail "no relaywatch user"
gr=$(getent group relaywatch) || fail "no relaywatch group"
uid=$(echo "$pw" | cut -d: -f3)
[ "$uid" -lt 1000 ] || fail "relaywatch is not a system user (uid $uid)"
[ "$(echo "$pw" | cut -d: -f6)" = /var/lib/relaywatch ] || fail "relaywatch's home: $pw"
case $(echo "$pw" | cut -d: -f7) in */nologin | */false) ;; *) fail "relaywatch can log in: $pw" ;; esac
[ "$(stat -c '%U:%G %a' /var/lib/relaywatch)" = "relaywatch:relaywatch 750" ] ||
	fail "/var/lib/relaywatch: $(stat -c '%U:%G %a' /var/lib/relaywatch), want relaywatch:relaywatch 750"
dpkg-query -W -f='${Conffiles}\n' relaywatch | grep -q '^ /etc/relaywatch/relaywatch.conf ' ||
	{ dpkg-query -W -f='${Conffiles}\n' relaywatch; fail "/etc/relaywatch/relaywatch.conf is not a conffile"; }
for f in /usr/bin/relaywatch /usr/bin/relaywatch-lab /usr/share/relaywatch/templates/blocked.tpl \
	/lib/systemd/system/relaywatch.service /usr/share/doc/relaywatch/copyright; do
	[ -e "$f" ] || fail "not installed: $f"
done
ls /usr/share/doc/relaywatch/examples/policies/isp.conf* >/dev/null 2>&1 || fail "no example policies"
for p in man1/relaywatch.1 man1/relaywatch-lab.1 man5/relaywatch.conf.5; do
	f=/usr/share/man/$p.gz
	[ -f "$f" ] || fail "no $f"
	LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$f" >/dev/null 2>"$T/man.err" || fail "man -l $f: exit $?"
	[ ! -s "$T/man.err" ] || { cat "$T/man.err"; fail "man --warnings -l $f warns"; }
done
systemd-analyze verify /lib/systemd/system/relaywatch.service >"$T/verify.log" 2>&1 ||
	{ cat "$T/verify.log"; fail "systemd-analyze verify relaywatch.service"; }
[ ! -s "$T/verify.log" ] || { cat "$T/verify.log"; fail "systemd-analyze verify warns about relaywatch.service"; }
[ ! -e /etc/systemd/system/multi-user.target.wants/relaywatch.service ] || fail "the unit was enabled on install"
/usr/bin/relaywatch --help 2>&1 | grep -q "default /etc/relaywatch/relaywatch.conf" ||
	fail "the installed relaywatch does not read /etc/relaywatch/relaywatch.conf"

# --- the shipped configuration keeps the daemon from starting ----------------
chmod 711 "$T"
mkdir "$W" && chown relaywatch:relaywatch "$W" && chmod 700 "$W"
cd "$W" || fail "cd $W"
# as the relaywatch user, without the suite's RELAYWATCH_DB (common.sh's, in $T)
ru() { runuser -u relaywatch -- env -u RELAYWATCH_DB "$@"; }
ru timeout 20 /usr/bin/relaywatch daemon -f >"$T/refuse1.log" 2>&1
rc=$?
[ $rc -eq 2 ] || { cat "$T/refuse1.log"; fail "daemon with the shipped configuration: exit $rc, want 2"; }
grep -q "no policy" "$T/refuse1.log" || { cat "$T/refuse1.log"; fail "daemon: no reason given"; }
grep -q "examples in /usr/share/doc/relaywatch/examples/policies/" "$T/refuse1.log" ||
	{ cat "$T/refuse1.log"; fail "daemon: the hint does not name the installed example policies"; }
cp "$repo/contrib/policies/isp.conf" "$W/policy.conf"
{ cat /etc/relaywatch/relaywatch.conf; echo "policy = $W/policy.conf"; echo "db = $W/refuse.db"
	echo "token_key = $W/key"; } >"$W/shipped.conf"
chown relaywatch:relaywatch "$W/policy.conf" "$W/shipped.conf"
ru timeout 20 /usr/bin/relaywatch --config "$W/shipped.conf" daemon -f >"$T/refuse2.log" 2>&1
rc=$?
[ $rc -eq 2 ] || { cat "$T/refuse2.log"; fail "daemon with a policy but no canary: exit $rc, want 2"; }
grep -q "no canary domain" "$T/refuse2.log" || { cat "$T/refuse2.log"; fail "daemon: no canary not named"; }
echo "the shipped configuration: the daemon refuses (no policy; then no canary_domain)"

# --- the installed daemon, as the relaywatch user, sweeps the installed lab --
HOST=127.47.0.1
LP=$(free_port)
SP=$(free_port)
cat >"$W/rw.conf" <<CFG
[relaywatch]
policy = $W/policy.conf
notify_from = Abuse desk <abuse@desk.test>
noc = noc@desk.test
db = $W/d.db
token_key = $W/key
canary_domain = canary.lab.test
sink_listen = 127.0.0.1:$SP
pid_file = $W/rw.pid
scan_args = --allow-reserved --wait 3 --battery quick --timeout 5 --retry-after 1 --greylist-delay 1
sweep = $HOST
sweep_ports = $LP
sweep_interval = 3600
CFG
echo "127.47.0.0/24,Lab customer,admin@desk.test,A1" >"$W/contacts.csv"
chown relaywatch:relaywatch "$W/rw.conf" "$W/contacts.csv"
ru /usr/bin/relaywatch --config "$W/rw.conf" contacts import "$W/contacts.csv" >"$T/contacts.log" 2>&1 ||
	{ cat "$T/contacts.log"; fail "relaywatch contacts import as the relaywatch user"; }

rw_bg /usr/bin/relaywatch-lab --sink "127.0.0.1:$SP" --canary canary.lab.test --base "$HOST" --port "$LP" \
	--profiles open --truth "$T/truth" >"$T/lab.out" 2>"$T/lab.log"
LAB=$RW_LASTPID
lab_ready "$T/lab.out" "$LAB" "$T/lab.log" "the installed lab"

t0=$(date +%s)
ru /usr/bin/relaywatch --config "$W/rw.conf" daemon -f --tick 1 >"$T/daemon.log" 2>&1 &
D=$!
_rw_pids="$_rw_pids $D"
i=0
until grep -q "event=sweep-result .*host=$HOST .*verdict=" "$T/daemon.log" 2>/dev/null; do
	kill -0 "$D" 2>/dev/null || { cat "$T/daemon.log"; fail "the daemon exited"; }
	i=$((i + 1)); [ $i -lt 600 ] || { tail -20 "$T/daemon.log"; fail "no sweep verdict in the daemon's log within 60 s"; }
	sleep 0.1
done
line=$(grep "event=sweep-result .*host=$HOST " "$T/daemon.log" | head -1)
echo "daemon: $line ($(( $(date +%s) - t0 ))s after its start)"
echo "$line" | grep -q "verdict=open" || fail "the sweep's verdict is not open: $line"
dpid=$(cat "$W/rw.pid" 2>/dev/null)
[ -n "$dpid" ] && [ "$(stat -c %U "/proc/$dpid" 2>/dev/null)" = relaywatch ] ||
	fail "the daemon (pid '$dpid') does not run as the relaywatch user"
t0=$(date +%s)
kill -TERM "$dpid"
i=0
while kill -0 "$D" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
kill -0 "$D" 2>/dev/null && fail "the daemon still runs 10 s after SIGTERM"
wait "$D"
rc=$?
D=""
[ $rc -eq 0 ] || { tail -5 "$T/daemon.log"; fail "the daemon exited $rc after SIGTERM, want 0"; }
echo "daemon stopped in $(( $(date +%s) - t0 ))s"
# the log: key=value fields, never the token key
echo "$line" | grep -Eq "incident=[0-9]+ host=$HOST port=$LP .*verdict=open" ||
	fail "the sweep's line lacks incident=, host=, port=: $line"
key=$(tr -d '\n' <"$W/key" 2>/dev/null)
[ -n "$key" ] || fail "the daemon made no token key at $W/key"
! grep -qF "$key" "$T/daemon.log" || fail "the token key is in the daemon's log"

# --- purge, here rather than in the trap, to check it --------------------------
t0=$(date +%s)
dpkg --purge relaywatch >"$T/purge.log" 2>&1 || { cat "$T/purge.log"; fail "dpkg --purge: exit $?"; }
installed=""
echo "dpkg --purge: $(( $(date +%s) - t0 ))s"
[ ! -e /etc/relaywatch ] || fail "/etc/relaywatch left after the purge"
[ ! -e /var/lib/relaywatch ] || fail "/var/lib/relaywatch left after the purge"
[ ! -e /usr/bin/relaywatch ] || fail "/usr/bin/relaywatch left after the purge"
echo "PASS: built in ${t_build}s, lintian ${t_lintian}s, installed, daemon swept the lab, purged" \
	"(whole test $(( $(date +%s) - t_start ))s)"
exit 0
