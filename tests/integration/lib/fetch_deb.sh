# fetch_deb.sh - unpack Debian packages into a private root for peer tests
# (sourced after common.sh, POSIX sh). The one fetch/unpack implementation
# for every peer that is not installed (exim.sh, opensmtpd.sh, sendmail.sh).
#
# A peer that cannot be installed next to the machine's own packages (a
# second MTA conflicts with Postfix) is downloaded with `apt-get download`
# and unpacked with `dpkg-deb -x` into a directory of its own; nothing is
# installed, no maintainer script runs, and dpkg's database is not touched.
# Library packages that the peer depends on and that are not installed are
# unpacked beside it (the caller points LD_LIBRARY_PATH at fetch_deb_libpath).
# Other dependencies (debconf, adduser, cron, the package's -base and -config
# companions) are ignored: they serve the installed package, not a binary
# started by hand.
#
#   fetch_deb [-f FIXUP] ROOT FILE PKG...
#                           unpack PKG and its missing libraries into ROOT,
#                           once: a later call with the same PKG list finds
#                           ROOT/.fetched and ROOT/FILE (the file the caller
#                           needs) and returns at once. FIXUP, a command, is
#                           run with the unpacked tree as its argument before
#                           that tree becomes ROOT (clear a setuid bit...).
#                           Returns 0, 2 when a package cannot be downloaded
#                           (no network, no mirror, no apt-get: the caller
#                           skips), 3 when another caller held ROOT.lock for
#                           FETCH_DEB_LOCK_WAIT seconds, 1 on any other error.
#   fetch_deb_require [-f FIXUP] ROOT FILE PKG...
#                           fetch_deb for a test script: skip (77) on 2, and
#                           on 3 too when FETCH_DEB_BUSY is "skip"; fail on
#                           any other error
#   fetch_deb_peer NAME     the cache directory for peer NAME:
#                           $RW_PEERS/NAME, by default build/peers/NAME in the
#                           source tree (shared by every build directory)
#   fetch_deb_libpath ROOT  the library directories under ROOT, ':'-separated
#   fetch_deb_missing ROOT BIN
#                           ldd's "not found" lines for BIN with ROOT's
#                           libraries on the path (nothing when it links)
#   fetch_deb_version ROOT PKG
#                           the version of PKG that was unpacked into ROOT
#
# Concurrent callers are serialised with flock on ROOT.lock; ROOT is built in
# ROOT.tmp.<pid> and renamed into place only when complete.
#
# LIMITS: FETCH_DEB_TIMEOUT seconds (120) per apt-get command, 30 packages,
# FETCH_DEB_LOCK_WAIT seconds (120) waiting for another caller's lock.

FETCH_DEB_TIMEOUT=${FETCH_DEB_TIMEOUT:-120}
FETCH_DEB_LOCK_WAIT=${FETCH_DEB_LOCK_WAIT:-120}
FETCH_DEB_BUSY=${FETCH_DEB_BUSY:-fail}
FETCH_DEB_MAX=30

# _fd_installed PKG - dpkg says PKG is installed
_fd_installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

# _fd_download DIR PKG... - apt-get download into DIR; refresh the package
# lists once when the first attempt fails (a fresh image has none)
_fd_download() {
	_fdd=$1; shift
	# as root, apt would drop to _apt, who cannot write into $_fdd
	set -- -q -o APT::Sandbox::User=root download "$@"
	(cd "$_fdd" && timeout "$FETCH_DEB_TIMEOUT" apt-get "$@") && return 0
	echo "fetch_deb: download failed; refreshing the package lists once"
	timeout "$FETCH_DEB_TIMEOUT" apt-get -q update >/dev/null 2>&1 || return 2
	(cd "$_fdd" && timeout "$FETCH_DEB_TIMEOUT" apt-get "$@") || return 2
}

# _fd_missing_libs DEB - library packages DEB depends on that are neither
# installed nor already in the download directory (one group is satisfied
# by any of its alternatives; version constraints are not compared)
_fd_missing_libs() {
	{ dpkg-deb -f "$1" Pre-Depends; dpkg-deb -f "$1" Depends; } 2>/dev/null |
	tr ',' '\n' | sed 's/([^)]*)//g; s/:[a-z0-9]*//g; s/[[:space:]]//g' |
	while read -r _grp; do
		[ -n "$_grp" ] || continue
		_need=""
		for _alt in $(echo "$_grp" | tr '|' ' '); do
			if _fd_installed "$_alt" || ls "$(dirname "$1")/${_alt}_"*.deb >/dev/null 2>&1; then
				_need=""; break
			fi
			[ -n "$_need" ] || _need=$_alt
		done
		case $_need in lib*) echo "$_need" ;; esac
	done
}

# _fd_done ROOT FILE WANT - ROOT holds a complete unpacking of WANT
_fd_done() {
	[ -f "$1/.fetched" ] && [ -e "$1/$2" ] && [ "$(sed 1q "$1/.fetched")" = "$3" ]
}

# fetch_deb [-f FIXUP] ROOT FILE PKG... - unpack PKG and its missing libraries into ROOT
fetch_deb() {
	_fdfix=""
	if [ "$1" = -f ]; then _fdfix=$2; shift 2; fi
	_fdroot=$1 _fdfile=$2; shift 2
	_fdwant="$*"
	_fd_done "$_fdroot" "$_fdfile" "$_fdwant" && return 0
	for _c in apt-get dpkg-deb dpkg-query flock; do
		command -v $_c >/dev/null 2>&1 || { echo "fetch_deb: no $_c"; return 2; }
	done
	mkdir -p "$(dirname "$_fdroot")" || return 1
	exec 9>"$_fdroot.lock"
	flock -w "$FETCH_DEB_LOCK_WAIT" 9 || {
		exec 9>&-; echo "fetch_deb: $_fdroot.lock held for ${FETCH_DEB_LOCK_WAIT}s"; return 3; }
	# another caller may have finished while we waited
	if _fd_done "$_fdroot" "$_fdfile" "$_fdwant"; then
		exec 9>&-; return 0
	fi
	_fdtmp="$_fdroot.tmp.$$"
	rm -rf "$_fdtmp"
	mkdir -p "$_fdtmp/debs" "$_fdtmp/root"
	_fdrc=0
	_fdnew="$*"
	_fdn=0
	while [ -n "$_fdnew" ]; do
		_fdn=$((_fdn + $(echo $_fdnew | wc -w)))
		if [ $_fdn -gt $FETCH_DEB_MAX ]; then
			echo "fetch_deb: more than $FETCH_DEB_MAX packages needed for $_fdwant"
			_fdrc=1; break
		fi
		echo "fetch_deb: downloading" $_fdnew
		_fd_download "$_fdtmp/debs" $_fdnew || { _fdrc=$?; break; }
		_fdnext=""
		for _p in $_fdnew; do
			for _deb in "$_fdtmp/debs/${_p}_"*.deb; do
				for _l in $(_fd_missing_libs "$_deb"); do
					case " $_fdnext " in *" $_l "*) ;; *) _fdnext="$_fdnext $_l" ;; esac
				done
			done
		done
		_fdnew=$(echo $_fdnext)
	done
	if [ $_fdrc -eq 0 ]; then
		for _deb in "$_fdtmp/debs"/*.deb; do
			echo "fetch_deb: unpacking $(basename "$_deb")"
			dpkg-deb -x "$_deb" "$_fdtmp/root" || { _fdrc=1; break; }
		done
	fi
	if [ $_fdrc -eq 0 ] && [ ! -e "$_fdtmp/root/$_fdfile" ]; then
		echo "fetch_deb: $_fdwant holds no $_fdfile"
		_fdrc=1
	fi
	if [ $_fdrc -eq 0 ] && [ -n "$_fdfix" ]; then
		$_fdfix "$_fdtmp/root" || { echo "fetch_deb: $_fdfix failed"; _fdrc=1; }
	fi
	if [ $_fdrc -eq 0 ]; then
		{ echo "$_fdwant"; (cd "$_fdtmp/debs" && ls); } >"$_fdtmp/root/.fetched"
		rm -rf "$_fdroot"
		mv "$_fdtmp/root" "$_fdroot" || _fdrc=1
	fi
	rm -rf "$_fdtmp"
	exec 9>&-
	return $_fdrc
}

# fetch_deb_libpath ROOT - ROOT's directories that hold shared libraries
fetch_deb_libpath() {
	find "$1" -name 'lib*.so*' \( -type f -o -type l \) 2>/dev/null |
		sed 's|/[^/]*$||' | sort -u | tr '\n' ':' | sed 's/:$//'
}

# fetch_deb_require [-f FIXUP] ROOT FILE PKG... - fetch_deb, or skip/fail the test
fetch_deb_require() {
	_fdr=""
	if [ "$1" = -f ]; then _fdr="-f $2"; shift 2; fi
	fetch_deb $_fdr "$@"
	case $?,$FETCH_DEB_BUSY in
	0,*) ;;
	2,*) shift 2; skip "cannot download $* from the Debian mirrors" ;;
	3,skip) skip "another test holds $1.lock" ;;
	*) _fdr=$1; shift 2; fail "cannot unpack $* into $_fdr" ;;
	esac
}

# fetch_deb_peer NAME - the cache directory for peer NAME
fetch_deb_peer() {
	echo "${RW_PEERS:-$(cd "${here:-$(dirname "$0")}/../.." && pwd)/build/peers}/$1"
}

# fetch_deb_missing ROOT BIN - the libraries BIN cannot find, if any
fetch_deb_missing() {
	LD_LIBRARY_PATH="$(fetch_deb_libpath "$1")" ldd "$2" 2>&1 | grep 'not found'
}

# fetch_deb_version ROOT PKG - PKG's version, from the file names in ROOT/.fetched
fetch_deb_version() {
	sed -n "s/^$2_\([^_]*\)_.*/\1/p" "$1/.fetched" | sed 's/%3a/:/'
}
