"""MBOX CHECK, INDEX and FETCH over a real TLS session (mbox-bench.sh).

    mbox-bench.py PORT CERT ACCOUNT PASSWORD-FILE UUID

Logs in, waits until the folder has settled (the index is trusted only
when new/ and cur/ have not changed for 2 s), then prints the median
wall time of each command as the client sees it, last octet included.
The multi-line INDEX answer is read in bulk, not line by line, so that
the client's own parsing does not dominate the figure."""

import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..",
                                "integration"))
from immpclient import Session  # noqa: E402


def timed(k, fn):
    v = []
    for _ in range(k):
        t0 = time.monotonic()
        out = fn()
        v.append((time.monotonic() - t0) * 1000)
    return statistics.median(v), out


def index_bulk(s, args):
    """Sends MBOX INDEX args, reads up to its final 242 line; returns
    (lines, final line)."""
    s.cmd("MBOX INDEX " + args)
    buf = bytearray(s.buf)
    s.buf = b""
    pos = 0
    while True:
        if buf[:4] == b"242 ":
            start = 0
        else:
            i = buf.find(b"\r\n242 ", pos)
            start = i + 2 if i != -1 else -1
        if start != -1:
            end = buf.find(b"\r\n", start)
            if end != -1:
                s.buf = bytes(buf[end + 2:])
                return buf.count(b"\r\n", 0, start), bytes(buf[start:end])
        if buf[:1] in (b"4", b"7") and b"\r\n" in buf:
            raise SystemExit("INDEX failed: %r" % buf.split(b"\r\n")[0])
        pos = max(0, len(buf) - 8)
        chunk = s.sock.recv(1 << 20)
        if not chunk:
            raise SystemExit("connection closed")
        buf += chunk


def main():
    port, cert, account, pwfile, uuid = sys.argv[1:6]
    password = open(pwfile).read().strip()
    s = Session(int(port), cafile=cert, timeout=120)
    s.login(account, password)
    r = s.mbox("CHECK /INBOX")[-1]
    if r.code != 240:
        raise SystemExit("MBOX CHECK failed: %r" % r.raw)
    time.sleep(3)
    t, r = timed(51, lambda: s.mbox("CHECK /INBOX")[-1])
    print("  MBOX CHECK                  %9.3f ms   (median of 51; %s)"
          % (t, r.raw.decode()[:60]))
    t, (n, last) = timed(5, lambda: index_bulk(s, "/INBOX"))
    print("  MBOX INDEX /INBOX           %9.1f ms   (median of 5; %d lines;"
          " %s)" % (t, n, last.decode()[:40]))
    t, (r, body) = timed(21, lambda: s.fetch("/INBOX#" + uuid, "-READ"))
    if body is None:
        raise SystemExit("MBOX FETCH failed: %r" % r.raw)
    print("  MBOX FETCH -READ            %9.3f ms   (median of 21; %d "
          "octets)" % (t, len(body)))
    s.cmd("QUIT")


if __name__ == "__main__":
    main()
