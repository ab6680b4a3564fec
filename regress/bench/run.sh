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
PY=/usr/bin/python3

for p in immpd immpctl immp-bench; do
	[ -x "$B/$p" ] || { echo "$B/$p missing: run make bench" >&2;
	    exit 1; }
done

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
pid=
cleanup() {
	if [ -n "$pid" ]; then
		kill -TERM "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

port=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$tmp/key.pem" -out "$tmp/cert.pem" -days 2 -subj /CN=demo.test \
    -addext subjectAltName=DNS:demo.test 2>/dev/null || exit 1
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

IMMPD_LIBEXECDIR="$top/$B" "$B/immpd" -d -u -f "$tmp/immpd.conf" \
    2>"$tmp/immpd.log" &
pid=$!
i=0
until $PY -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" \
    2>/dev/null; do
	i=$((i + 1))
	if [ "$i" -gt 100 ] || ! kill -0 "$pid" 2>/dev/null; then
		echo "immpd did not start:" >&2
		cat "$tmp/immpd.log" >&2
		exit 1
	fi
	sleep 0.1
done

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
