# Shell functions of the benchmark scripts (run.sh, relay.sh,
# mbox-bench.sh), sourced from the top of the tree after they set B and
# tmp:  . regress/bench/lib.sh

PY=/usr/bin/python3
bench_pids=			# daemons that bench_cleanup stops

# bench_need prog...: exits unless every prog is built in $B.
bench_need() {
	for p in "$@"; do
		[ -x "$B/$p" ] || { echo "$B/$p missing: run make bench" >&2;
		    exit 1; }
	done
}

# bench_cleanup: stops the daemons of $bench_pids and removes $tmp (kept,
# and said so, when KEEP is set).  bench_traps installs it.
bench_cleanup() {
	for p in $bench_pids; do
		kill -TERM "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	[ -n "$KEEP" ] && { echo "kept $tmp" >&2; return; }
	rm -rf "$tmp"
}

bench_traps() {
	trap bench_cleanup EXIT
	trap 'exit 1' INT TERM
}

# bench_freeport: a TCP port on 127.0.0.1 that was free a moment ago.
bench_freeport() {
	$PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# bench_cert dir name: a self-signed certificate for name (SAN DNS:name)
# in dir/cert.pem, its key in dir/key.pem.
bench_cert() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
	    -nodes -keyout "$1/key.pem" -out "$1/cert.pem" -days 2 \
	    -subj "/CN=$2" -addext "subjectAltName=DNS:$2" 2>/dev/null ||
	    exit 1
}

# bench_start conf log port what: starts immpd -d -u with conf, its
# stderr in log, adds it to $bench_pids (its pid in $bench_pid) and
# waits up to 10 s until port answers; else prints "<what> did not
# start:" and the log, and exits.
bench_start() {
	IMMPD_LIBEXECDIR="$top/$B" "$B/immpd" -d -u -f "$1" 2>"$2" &
	bench_pid=$!
	bench_pids="$bench_pids $bench_pid"
	i=0
	until $PY -c "import socket; socket.create_connection(('127.0.0.1', \
$3), 1)" 2>/dev/null; do
		i=$((i + 1))
		if [ "$i" -gt 100 ] || ! kill -0 "$bench_pid" 2>/dev/null; then
			echo "$4 did not start:" >&2
			cat "$2" >&2
			exit 1
		fi
		sleep 0.1
	done
}
