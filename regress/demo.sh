#!/bin/sh
# make demo: a running IMMP host for demo.test on 127.0.0.1:1025 in ./demo,
# with users alice and bob, a first message from alice to bob, and the
# command lines to try.  Ctrl-C stops the daemon.  Running it again reuses
# ./demo (certificate, users, mail).

cd "$(dirname "$0")/.." || exit 1
top=$(pwd)
demo="$top/demo"
port=1025
PY=/usr/bin/python3

sh regress/install-deps.sh || exit 1
make || exit 1

if ! $PY - "$port" <<'EOF'
import socket, sys
s = socket.socket()
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
EOF
then
	echo "demo: port $port on 127.0.0.1 is busy (another immpd, or" \
	    "another demo still running?); stop it and try again." >&2
	exit 1
fi

mkdir -p "$demo/mail" || exit 1
chmod 700 "$demo"

if [ ! -f "$demo/cert.pem" ] || [ ! -f "$demo/key.pem" ]; then
	echo "demo: making a self-signed certificate for demo.test"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
	    -nodes -keyout "$demo/key.pem" -out "$demo/cert.pem" -days 365 \
	    -subj /CN=demo.test -addext subjectAltName=DNS:demo.test \
	    2>/dev/null || exit 1
	chmod 600 "$demo/key.pem"
fi

cat >"$demo/immpd.conf" <<EOF
# immpd.conf for make demo (see immpd.conf(5))
domain "demo.test"
listen on 127.0.0.1 port $port tls-cert "$demo/cert.pem" tls-key "$demo/key.pem"
table users db:"$demo/users.db"
users users
maildir "$demo/mail/%{user}/Maildir"
queue "$demo/spool"
control-socket "$demo/immpd.sock"
retry first 10s max 5m
EOF

if [ ! -s "$demo/credentials" ] || [ ! -f "$demo/users.db" ]; then
	umask 077
	: >"$demo/credentials"
	for u in alice bob; do
		pw=$(openssl rand -base64 12) || exit 1
		printf '%s\n' "$pw" | build/immpctl -f "$demo/immpd.conf" \
		    user add "$u@demo.test" || exit 1
		printf '%s@demo.test %s\n' "$u" "$pw" >>"$demo/credentials"
	done
	umask 022
fi
chmod 600 "$demo/credentials"
for u in alice bob; do
	awk -v a="$u@demo.test" '$1 == a { print $2 }' "$demo/credentials" \
	    >"$demo/$u.password"
	chmod 600 "$demo/$u.password"
done

echo "demo: starting immpd (log: demo/immpd.log)"
IMMPD_LIBEXECDIR="$top/build" build/immpd -d -v -u -f "$demo/immpd.conf" \
    >>"$demo/immpd.log" 2>&1 &
pid=$!

stop() {
	trap - INT TERM
	echo
	echo "demo: stopping immpd"
	kill -TERM "$pid" 2>/dev/null
	wait "$pid"
	rc=$?
	echo "demo: immpd exited with status $rc"
	exit "${1:-0}"
}
trap stop INT TERM

i=0
until $PY -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" \
    2>/dev/null; do
	i=$((i + 1))
	if ! kill -0 "$pid" 2>/dev/null || [ "$i" -gt 100 ]; then
		echo "demo: immpd did not start; the end of demo/immpd.log:" >&2
		tail -n 30 "$demo/immpd.log" >&2
		kill -TERM "$pid" 2>/dev/null
		exit 1
	fi
	sleep 0.1
done

cat >"$demo/welcome.txt" <<'EOF'
Hello Bob,

welcome to IMMP on demo.test.  The attachment is the configuration of
the server that delivered this message.

-- 
alice
EOF

immp="build/immp --ca demo/cert.pem -H 127.0.0.1:$port"
echo "demo: sending a welcome message from alice to bob"
out=$($immp -u alice@demo.test --password-file demo/alice.password send \
    -t bob@demo.test -s "Welcome to demo.test" -a demo/immpd.conf \
    demo/welcome.txt)
rc=$?
echo "$out"
if [ "$rc" -ne 0 ]; then
	echo "demo: sending failed (exit $rc); see demo/immpd.log" >&2
	stop 1
fi
uuid=$(echo "$out" | sed -n 's/^immp: message \([0-9a-f-]*\) accepted$/\1/p')

i=0
file=""
while [ -z "$file" ]; do
	file=$(ls "$demo/mail/bob/Maildir/new/" 2>/dev/null | grep -F "$uuid" |
	    head -n 1)
	[ -n "$file" ] && break
	i=$((i + 1))
	if [ "$i" -gt 100 ]; then
		echo "demo: the message did not arrive; see demo/immpd.log" >&2
		stop 1
	fi
	sleep 0.1
done
echo "demo: delivered to demo/mail/bob/Maildir/new/$file"
echo

bobpw=$(cat "$demo/bob.password")
cat <<EOF
The host is running.  Accounts and passwords are in demo/credentials.

Send a message as bob (password from a file):
  echo 'Hi Alice!' | $immp -u bob@demo.test \\
      --password-file demo/bob.password send -t alice@demo.test -s Hello -

Send a file with a subject, as alice, password from the environment:
  IMMP_PASSWORD='$(cat "$demo/alice.password")' $immp -u alice@demo.test \\
      send -t bob@demo.test -s Report -a LICENSE demo/welcome.txt

Or be asked for the password (it is $bobpw):
  $immp -u bob@demo.test send -t alice@demo.test demo/welcome.txt

See the dialogue with -v; read the mail in demo/mail/<user>/Maildir/new
(e.g. mutt -f demo/mail/bob/Maildir).  Log: demo/immpd.log.

Press Ctrl-C to stop the daemon.
EOF

wait "$pid"
rc=$?
trap - INT TERM
echo "demo: immpd exited with status $rc; see demo/immpd.log" >&2
exit 1
