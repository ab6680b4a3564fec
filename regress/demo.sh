#!/bin/sh
# make demo: two IMMP hosts in ./demo that relay to each other: a.test on
# 127.0.0.1:1025 (user alice) and b.test on another loopback port (1027
# if free; user bob).  alice's welcome message travels from a.test to
# b.test (AUTH COOKIE with the call-back, TLS pins, the trace), and the
# command lines to try are printed.  Ctrl-C stops both daemons.  Running
# it again reuses ./demo (certificates, users, mail, pins).
# B=<build dir> selects another build directory (default build).

cd "$(dirname "$0")/.." || exit 1
top=$(pwd)
demo="$top/demo"
B=${B:-build}
PY=/usr/bin/python3

sh regress/install-deps.sh || exit 1
make B="$B" || exit 1

# port_free <port>: 0 if 127.0.0.1:<port> can be bound.
port_free() {
	$PY - "$1" <<'EOF'
import socket, sys
s = socket.socket()
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
EOF
}

pa=1025
if ! port_free $pa; then
	echo "demo: port $pa on 127.0.0.1 is busy (another immpd, or" \
	    "another demo still running?); stop it and try again." >&2
	exit 1
fi
pb=1027
if ! port_free $pb; then
	pb=$($PY -c 'import socket; s = socket.socket(); \
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])') || exit 1
fi

mkdir -p "$demo" || exit 1
chmod 700 "$demo"

# setup <domain> <port> <peer domain> <peer port> <user>
setup() {
	d="$demo/$1"
	mkdir -p "$d/mail" || exit 1
	if [ ! -f "$d/cert.pem" ] || [ ! -f "$d/key.pem" ]; then
		echo "demo: making a self-signed certificate for $1"
		openssl req -x509 -newkey ec \
		    -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		    -keyout "$d/key.pem" -out "$d/cert.pem" -days 365 \
		    -subj "/CN=$1" -addext "subjectAltName=DNS:$1" \
		    2>/dev/null || exit 1
		chmod 600 "$d/key.pem"
	fi
	cat >"$d/immpd.conf" <<EOF
# immpd.conf for make demo (see immpd.conf(5))
domain "$1"
listen on 127.0.0.1 port $2 tls-cert "$d/cert.pem" tls-key "$d/key.pem"
table users db:"$d/users.db"
users users
maildir "$d/mail/%{user}/Maildir"
queue "$d/spool"
control-socket "$d/immpd.sock"
retry first 10s max 5m
# relay (immp(7) RELAY): static route to the other demo domain
route "$3" to 127.0.0.1 port $4
domain-secret "$d/domain.secret"
# domain keys (immp(7) ENVELOPES): relayed mail is signed and sealed
keys "$d/keys"
EOF
	if [ ! -f "$d/domain.secret" ]; then
		"$B/immpctl" -f "$d/immpd.conf" secret generate >/dev/null ||
		    exit 1
	fi
	if [ ! -f "$d/keys/$1.key" ]; then
		mkdir -p "$d/keys" && chmod 700 "$d/keys" &&
		    "$B/immpctl" -f "$d/immpd.conf" key generate "$1" \
		    >/dev/null || exit 1
	fi
	if ! grep -q "^$5@$1 " "$demo/credentials" 2>/dev/null ||
	    [ ! -f "$d/users.db" ]; then
		umask 077
		pw=$(openssl rand -base64 12) || exit 1
		printf '%s\n' "$pw" | "$B/immpctl" -f "$d/immpd.conf" \
		    user add -F "$5@$1" >/dev/null || exit 1
		grep -v "^$5@$1 " "$demo/credentials" >"$demo/cred.tmp" \
		    2>/dev/null
		printf '%s@%s %s\n' "$5" "$1" "$pw" >>"$demo/cred.tmp"
		mv "$demo/cred.tmp" "$demo/credentials"
		umask 022
	fi
	awk -v a="$5@$1" '$1 == a { print $2 }' "$demo/credentials" \
	    >"$demo/$5.password"
	chmod 600 "$demo/$5.password" "$demo/credentials"
}

setup a.test $pa b.test $pb alice
setup b.test $pb a.test $pa bob

# start <domain>: starts its daemon, sets $pid
start() {
	echo "demo: starting immpd for $1 (log: demo/$1/immpd.log)"
	IMMPD_LIBEXECDIR="$top/$B" "$B/immpd" -d -v -u \
	    -f "$demo/$1/immpd.conf" >>"$demo/$1/immpd.log" 2>&1 &
	pid=$!
}
start a.test
pida=$pid
start b.test
pidb=$pid

stop() {
	trap - INT TERM
	echo
	echo "demo: stopping both daemons"
	kill -TERM "$pida" "$pidb" 2>/dev/null
	wait "$pida"
	rca=$?
	wait "$pidb"
	rcb=$?
	echo "demo: immpd exited with status $rca (a.test), $rcb (b.test)"
	exit "${1:-0}"
}
trap stop INT TERM

for p in $pa $pb; do
	i=0
	until $PY -c "import socket; socket.create_connection(('127.0.0.1', \
$p), 1)" 2>/dev/null; do
		i=$((i + 1))
		if ! kill -0 "$pida" 2>/dev/null ||
		    ! kill -0 "$pidb" 2>/dev/null || [ "$i" -gt 100 ]; then
			echo "demo: immpd did not start; see" \
			    "demo/a.test/immpd.log and demo/b.test/immpd.log" >&2
			stop 1
		fi
		sleep 0.1
	done
done

cat >"$demo/welcome.txt" <<'EOF'
Hello Bob,

welcome to IMMP.  This message was written at a.test and relayed to
b.test: a.test's server authenticated with AUTH COOKIE, and b.test
called a.test back to check the cookie.  It travelled in an envelope
signed by a.test and sealed to b.test, so the wire named only the
domain; the IMMP-Envelope header shows b.test's verdict, IMMP-Trace
the hop.  The attachment is the configuration of the sending server.

-- 
alice
EOF

ia="$B/immp --ca demo/a.test/cert.pem -H 127.0.0.1:$pa"
ib="$B/immp --ca demo/b.test/cert.pem -H 127.0.0.1:$pb"
echo "demo: sending a welcome message from alice@a.test to bob@b.test"
out=$($ia -u alice@a.test --password-file demo/alice.password send \
    -t bob@b.test -s "Welcome to IMMP relay" -a demo/a.test/immpd.conf \
    demo/welcome.txt)
rc=$?
echo "$out"
if [ "$rc" -ne 0 ]; then
	echo "demo: sending failed (exit $rc); see demo/a.test/immpd.log" >&2
	stop 1
fi

# The relayed copy has a new UUID at b.test: look for the text.
i=0
file=""
while [ -z "$file" ]; do
	file=$(grep -l "relayed to" "$demo"/b.test/mail/bob/Maildir/new/* \
	    2>/dev/null | head -n 1)
	[ -n "$file" ] && break
	i=$((i + 1))
	if [ "$i" -gt 200 ]; then
		echo "demo: the message did not arrive; see" \
		    "demo/a.test/immpd.log and demo/b.test/immpd.log" >&2
		stop 1
	fi
	sleep 0.1
done
echo "demo: relayed and delivered to ${file#$top/}"
grep "^IMMP-Envelope:" "$file"
grep -A1 "^IMMP-Trace:" "$file"
echo

cat <<EOF
Both hosts are running.  Accounts and passwords are in demo/credentials.

Answer as bob at b.test (relayed back to a.test):
  echo 'Hi Alice!' | $ib -u bob@b.test \\
      --password-file demo/bob.password send -t alice@a.test -s Hello -

Send a file as alice, password from the environment:
  IMMP_PASSWORD='$(cat "$demo/alice.password")' $ia -u alice@a.test \\
      send -t bob@b.test -s Report -a LICENSE demo/welcome.txt

See the dialogue with -v; read the mail in demo/<domain>/mail/<user>/
Maildir/new (e.g. mutt -f demo/b.test/mail/bob/Maildir); the pins each
host learned: $B/immpctl -f demo/a.test/immpd.conf show pins.
Logs: demo/a.test/immpd.log, demo/b.test/immpd.log.

Press Ctrl-C to stop the daemons.
EOF

wait "$pida"
wait "$pidb"
trap - INT TERM
echo "demo: a daemon exited; see demo/a.test/immpd.log and" \
    "demo/b.test/immpd.log" >&2
stop 1
