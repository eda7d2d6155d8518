#!/bin/sh
# web_user.sh - `relaywatch user`: add from a password file and from stdin
# (not a TTY: one line), refuse a bad role or name (exit 2) and a second
# add of a name, `list --json` holds the users, `token add` prints a token
# once ("rwt_" + 64 hex) and the store keeps only its SHA-256, the
# password only as a scrypt hash; `token del` and `user del` work, and a
# missing user is exit 1.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"

[ -x "$RW" ] || skip "no $RW"
command -v python3 >/dev/null 2>&1 || skip "no python3"
db="$T/web.db"

printf 'correct horse\n' >"$T/pw"
"$RW" user add alice --role operator --password-file "$T/pw" --db "$db" >"$T/add.out" 2>&1 ||
	{ cat "$T/add.out"; fail "add from a password file"; }
printf 'battery staple\n' | "$RW" user add bob --role viewer --db "$db" >"$T/add2.out" 2>&1 ||
	{ cat "$T/add2.out"; fail "add from stdin"; }

"$RW" user add carol --role admin --password-file "$T/pw" --db "$db" >/dev/null 2>&1
[ $? -eq 2 ] || fail "a bad role: want exit 2"
"$RW" user add carol --password-file "$T/pw" --db "$db" >/dev/null 2>&1
[ $? -eq 2 ] || fail "no role: want exit 2"
"$RW" user add 'bad name' --role viewer --password-file "$T/pw" --db "$db" >/dev/null 2>&1
[ $? -eq 2 ] || fail "a bad name: want exit 2"
"$RW" user add alice --role viewer --password-file "$T/pw" --db "$db" >/dev/null 2>&1
[ $? -eq 2 ] || fail "adding alice twice: want exit 2"
printf '\n' | "$RW" user add dave --role viewer --db "$db" >/dev/null 2>&1
[ $? -eq 2 ] || fail "an empty password: want exit 2"

"$RW" user list --json --db "$db" >"$T/list.json" || fail "list --json"
python3 - "$T/list.json" <<'PY' || fail "list --json: $(cat "$T/list.json")"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
got = [(r["name"], r["role"], r["disabled"]) for r in rows]
assert got == [("alice", "operator", False), ("bob", "viewer", False)], got
assert all(isinstance(r["created"], int) and r["created"] > 0 for r in rows)
PY

tok=$("$RW" user token add bob --label ci --db "$db" 2>/dev/null) || fail "token add"
echo "$tok" | grep -Eq '^rwt_[0-9a-f]{64}$' || fail "token add printed '$tok'"
python3 - "$db" "$tok" <<'PY' || fail "the store keeps the token or password in clear"
import hashlib, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
tok = sys.argv[2]
hashes = [r[0] for r in db.execute("SELECT hash FROM api_tokens")]
assert hashes == [hashlib.sha256(tok.encode()).hexdigest()], hashes
for (h,) in db.execute("SELECT hash FROM users"):
    assert h.startswith("scrypt$15$8$1$") and "horse" not in h and "staple" not in h, h
dump = "\n".join(db.iterdump())
assert tok not in dump
PY
"$RW" user token list bob --json --db "$db" | grep -q '"label":"ci"' || fail "token list"
"$RW" user token del bob 1 --db "$db" >/dev/null || fail "token del"
"$RW" user token del bob 1 --db "$db" >/dev/null 2>&1
[ $? -eq 1 ] || fail "deleting a deleted token: want exit 1"

"$RW" user disable bob --db "$db" >/dev/null || fail "disable"
"$RW" user list --json --db "$db" | grep -q '"name":"bob".*"disabled":true' || fail "bob not disabled"
printf 'new one\n' | "$RW" user passwd alice --db "$db" >/dev/null || fail "passwd"
"$RW" user del bob --db "$db" >/dev/null || fail "del"
"$RW" user del bob --db "$db" >/dev/null 2>&1
[ $? -eq 1 ] || fail "deleting a missing user: want exit 1"
n=$("$RW" user list --json --db "$db" | wc -l)
[ "$n" -eq 1 ] || fail "after del: $n users, want 1"
"$RW" user frobnicate --db "$db" >/dev/null 2>&1
[ $? -eq 2 ] || fail "an unknown verb: want exit 2"
echo "PASS: user add (file, stdin), list --json, tokens shown once and kept hashed, del"
exit 0
