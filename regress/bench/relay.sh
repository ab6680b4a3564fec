#!/bin/sh
# Relay benchmark: two throw-away daemons on this machine, a.test and
# b.test, with static routes to each other (immp(7) RELAY).  N sessions
# at a.test (8) deliver M messages (250) of S octets (2048) each to
# sink@b.test; immp-bench reports accepted/s at a.test, delivered/s end
# to end (files in b.test's Maildir), the DELIVER -> 273 latency and,
# with -A, the latency from the 273 at a.test to the file at b.test.
#   N=16 M=100 S=65536 sh regress/bench/relay.sh
# B names the build directory (build).  Needs make and make
# $B/immp-bench.  Compare delivered/s with regress/bench/run.sh.

cd "$(dirname "$0")/../.." || exit 1
top=$(pwd)
N=${N:-8}
M=${M:-250}
S=${S:-2048}
B=${B:-build}
. regress/bench/lib.sh

bench_need immpd immpctl immp-bench

tmp=$(mktemp -d /tmp/immp-relay-bench.XXXXXX) || exit 1
chattr +T "$tmp" 2>/dev/null	# see run.sh
bench_traps

pa=$(bench_freeport)
pb=$(bench_freeport)
openssl rand -base64 12 >"$tmp/password"

# host <domain> <port> <peer> <peer port> <user>
host() {
	d=$(mktemp -d "$tmp/$1.XXXXXX") || exit 1
	eval "dir_$(echo "$1" | tr . _)=$d"
	bench_cert "$d" "$1"
	cat >"$d/immpd.conf" <<EOC
domain "$1"
listen on 127.0.0.1 port $2 tls-cert "$d/cert.pem" tls-key "$d/key.pem"
table users db:"$d/users.db"
users users
maildir "$d/mail/%{user}/Maildir"
queue "$d/spool"
control-socket "$d/immpd.sock"
max-sessions 4096
route "$3" to 127.0.0.1 port $4
relay max-connections ${RC:-8}
# the load comes from one address and one domain: no rate limits
limit messages 0 per 1m
limit domain-messages 0 per 1m
EOC
	"$B/immpctl" -f "$d/immpd.conf" user add "$5@$1" <"$tmp/password" ||
	    exit 1
	bench_start "$d/immpd.conf" "$d/immpd.log" "$2" "immpd for $1"
}
host a.test "$pa" b.test "$pb" bench
host b.test "$pb" a.test "$pa" sink

echo "immp-bench relay: $N sessions x $M messages x $S octets," \
    "bench@a.test (port $pa) -> sink@b.test (port $pb)"
"$B/immp-bench" -H "127.0.0.1:$pa" -C "$dir_a_test/cert.pem" \
    -u bench@a.test -P "$tmp/password" -t sink@b.test \
    -n "$N" -m "$M" -s "$S" -d "$dir_b_test/mail/sink/Maildir/new" -A
rc=$?
if [ "$rc" -ne 0 ]; then
	echo "immp-bench failed; the ends of the daemon logs:" >&2
	tail -n 20 "$dir_a_test/immpd.log" "$dir_b_test/immpd.log" >&2
fi
exit "$rc"
