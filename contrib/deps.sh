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
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing
