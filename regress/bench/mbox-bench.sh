#!/bin/sh
# Mailbox benchmark (immp(7) MBOX): fills one INBOX with MBOX_N messages
# (100000) written straight into cur/, then in the same run times
#   - mblaze's "mlist | mscan" over that Maildir,
#   - the store side in-process (build/immp-mbox-bench: index build,
#     CHECK, INDEX of the whole folder, FETCH),
#   - CHECK, INDEX and FETCH over a real TLS session against a
#     throw-away immpd (-d -u, as run.sh starts it).
# B names the build directory (build).  Needs make all and
# make build/immp-mbox-bench (make bench does both).

cd "$(dirname "$0")/../.." || exit 1
top=$(pwd)
B=${B:-build}
N=${MBOX_N:-100000}
. regress/bench/lib.sh

bench_need immpd immpctl immp-mbox-bench

tmp=$(mktemp -d /tmp/immp-mbox-bench.XXXXXX) || exit 1
bench_traps

md="$tmp/mail/bench/Maildir"
ms() { $PY -c 'import time; print("%.0f" % (time.monotonic() * 1000))'; }

echo "mbox-bench: $N messages in one folder"
t0=$(ms)
"$B/immp-mbox-bench" fill "$md" "$N" >"$tmp/uuid" || exit 1
t1=$(ms)
echo "  fill (files written)        $((t1 - t0)) ms"
uuid=$(cat "$tmp/uuid")

if command -v mlist >/dev/null && command -v mscan >/dev/null; then
	t0=$(ms)
	MBLAZE="$tmp/mblaze" mlist "$md" | MBLAZE="$tmp/mblaze" mscan \
	    >"$tmp/mscan.out" 2>/dev/null
	t1=$(ms)
	echo "mblaze (same Maildir):"
	echo "  mlist | mscan               $((t1 - t0)) ms   ($(wc -l \
	    <"$tmp/mscan.out") lines)"
else
	echo "mblaze: not installed (regress/install-deps.sh)"
fi

echo "store side, in-process:"
"$B/immp-mbox-bench" time "$md" "$uuid" || exit 1

port=$(bench_freeport)
bench_cert "$tmp" demo.test
cat >"$tmp/immpd.conf" <<EOC
domain "demo.test"
listen on 127.0.0.1 port $port tls-cert "$tmp/cert.pem" tls-key "$tmp/key.pem"
table users db:"$tmp/users.db"
users users
maildir "$tmp/mail/%{user}/Maildir"
queue "$tmp/spool"
control-socket "$tmp/immpd.sock"
EOC
mkdir -p "$tmp/spool"
openssl rand -base64 12 >"$tmp/password"
"$B/immpctl" -f "$tmp/immpd.conf" user add bench@demo.test \
    <"$tmp/password" || exit 1
bench_start "$tmp/immpd.conf" "$tmp/immpd.log" "$port" immpd
echo "over TLS (immpd, one session):"
$PY regress/bench/mbox-bench.py "$port" "$tmp/cert.pem" bench@demo.test \
    "$tmp/password" "$uuid"
rc=$?
if [ "$rc" -ne 0 ]; then
	echo "mbox-bench over TLS failed; the end of the daemon log:" >&2
	tail -n 30 "$tmp/immpd.log" >&2
fi
exit "$rc"
