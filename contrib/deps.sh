#!/bin/sh
# deps.sh - install the Debian packages in debian-packages.txt that are
# missing; as non-root, print the exact apt-get line instead.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
missing=""
for p in $(grep -v '^#' "$here/debian-packages.txt" | tr -s ' \n' ' '); do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
if [ -z "$missing" ]; then
	echo "deps: all Debian packages present"
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing:$missing"
	echo "deps: run as root: apt-get install -y$missing"
	exit 1
fi
echo "deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
# postfix asks debconf questions; "No configuration" keeps it from starting a system instance
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections 2>/dev/null || true
# The tests run their own daemons on loopback; the packages' maintainer
# scripts would start system ones on every interface (tinyproxy :8888,
# squid :3128, danted). A policy-rc.d that denies every action keeps them
# stopped while installing (unless one is there already, e.g. .ci/run's).
policy_rc=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
	policy_rc=/usr/sbin/policy-rc.d
	trap 'rm -f "$policy_rc"' EXIT
	trap 'rm -f "$policy_rc"; exit 130' INT TERM
	printf '#!/bin/sh\n# relaywatch deps.sh: start no services while installing\nexit 101\n' >"$policy_rc"
	chmod 755 "$policy_rc"
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing
[ -z "$policy_rc" ] || { rm -f "$policy_rc"; policy_rc=""; }
# ... and they are not to start at boot either: the proxies (and the
# PostgreSQL cluster) we just installed are stopped and disabled (ones installed before are left alone)
for p in $missing; do
	case $p in
	tinyproxy) svc=tinyproxy ;;
	squid) svc=squid ;;
	dante-server) svc=danted ;;
	postgresql) svc=postgresql ;;
	*) continue ;;
	esac
	if [ -d /run/systemd/system ]; then
		systemctl disable --now "$svc.service" >/dev/null 2>&1 || true
	else
		[ ! -x "/etc/init.d/$svc" ] || "/etc/init.d/$svc" stop >/dev/null 2>&1 || true
		update-rc.d "$svc" disable >/dev/null 2>&1 || true
		# the unit's links too, for a later boot under systemd
		deb-systemd-helper disable "$svc.service" >/dev/null 2>&1 || true
	fi
	echo "deps: $svc: system service stopped and disabled (the tests start their own on loopback)"
done
