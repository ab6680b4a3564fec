#!/bin/sh
# Starts a throw-away immpd (like the integration tests: -d -u, temporary
# directory, self-signed certificate) and runs immp-bench against it.
#   N sessions (8), M messages per session (250), S octets each (2048):
#   N=16 M=100 S=65536 sh regress/bench/run.sh
# B names the build directory (build): B=build-x sh regress/bench/run.sh
# Needs make and make build/immp-bench (make bench does both).

cd "$(dirname "$0")/../.." || exit 1
top=$(pwd)
N=${N:-8}
M=${M:-250}
S=${S:-2048}
B=${B:-build}
. regress/bench/lib.sh

bench_need immpd immpctl immp-bench

tmp=$(mktemp -d /tmp/immp-bench.XXXXXX) || exit 1
# ext4: spread the spool and the mailboxes over block groups chosen
# afresh for every run (Orlov allocator: top directory flag, and names
# that differ from run to run), away from the inodes the previous run
# freed.  Without a journal, ext4 skips recently freed inodes when it
# allocates one, one by one; a run right after another would measure
# the clean-up of the last one rather than the daemon.
chattr +T "$tmp" 2>/dev/null
mail=$(mktemp -d "$tmp/mail.XXXXXX") || exit 1
spool=$(mktemp -d "$tmp/spool.XXXXXX") || exit 1
bench_traps

port=$(bench_freeport)
bench_cert "$tmp" demo.test
cat >"$tmp/immpd.conf" <<EOC
domain "demo.test"
listen on 127.0.0.1 port $port tls-cert "$tmp/cert.pem" tls-key "$tmp/key.pem"
table users db:"$tmp/users.db"
users users
maildir "$mail/%{user}/Maildir"
queue "$spool"
control-socket "$tmp/immpd.sock"
max-sessions 4096
limit connections 0 per 1m
limit messages 0 per 1m
EOC
openssl rand -base64 12 >"$tmp/password"
for u in bench sink; do
	"$B/immpctl" -f "$tmp/immpd.conf" user add "$u@demo.test" \
	    <"$tmp/password" || exit 1
done

bench_start "$tmp/immpd.conf" "$tmp/immpd.log" "$port" immpd
pid=$bench_pid

echo "immp-bench: $N sessions x $M messages x $S octets on 127.0.0.1:$port"
"$B/immp-bench" -H "127.0.0.1:$port" -C "$tmp/cert.pem" \
    -u bench@demo.test -P "$tmp/password" -t sink@demo.test \
    -n "$N" -m "$M" -s "$S" -d "$mail/sink/Maildir/new"
rc=$?

echo "peak resident memory (VmHWM):"
for c in $pid $(ps -o pid= --ppid "$pid" 2>/dev/null); do
	[ -r "/proc/$c/status" ] || continue
	printf '  %-40s %s\n' "$(tr '\0' ' ' <"/proc/$c/cmdline" | cut -c1-40)" \
	    "$(sed -n 's/^VmHWM:[[:space:]]*//p' "/proc/$c/status")"
done
if [ "$rc" -ne 0 ]; then
	echo "immp-bench failed; the end of the daemon log:" >&2
	tail -n 30 "$tmp/immpd.log" >&2
fi
exit "$rc"
