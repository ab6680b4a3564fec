"""PUBLISH fan-out against mail to the same recipients (immp(7) PUBLISH).

    B=build PUBLISH_N=1000 /usr/bin/python3 regress/bench/publish-bench.py

One throw-away immpd on a free loopback port, started the way the
integration tests start it (regress/integration/harness.py, Daemon),
with PUBLISH_N (1000) accounts s0000..@demo.test plus the publisher
alice@demo.test.  Every account subscribes to alice/bench@demo.test over
its own session (PUBLISH_THREADS sessions at a time, 8).  Then, in the
same run, on the same daemon and accounts:

  publish   PUBLISH TO the node, one DATA block of 200 octets, DONE:
            the time from sending DONE to the 273 (the copies of at
            most 100 recipients are all queued by then), and from DONE
            until every account holds the push in its Maildir root
            immp-push/;
  mail      the same 200 octets as mail, DELIVER TO 100 recipients per
            message, as many messages as it takes, one after the other
            on one session: the time from the first DELIVER TO until
            every account has the message in its INBOX (Maildir new/).

The directories are polled every 50 ms, for at most 300 s each.  Then
every account must hold exactly one push (none held) and one message,
and the daemon must have logged exactly N pushes stored; otherwise, or
on a timeout, the exit status is 1.  The daemon is stopped and the
temporary directory removed at the end (KEEP=1 keeps the directory)."""

import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
# harness.py reads the build directory when it is imported.
os.environ["IMMPD_TEST_BUILD"] = os.path.join(TOP,
                                              os.environ.get("B", "build"))
sys.path.insert(0, os.path.join(TOP, "regress", "integration"))
import harness  # noqa: E402
import immpclient  # noqa: E402

N = int(os.environ.get("PUBLISH_N", "1000"))
THREADS = int(os.environ.get("PUBLISH_THREADS", "8"))
BODY_SIZE = 200
POLL = 0.05
TIMEOUT = 300
PER_MESSAGE = 100
DOMAIN = harness.DOMAIN
PUBLISHER = "alice@" + DOMAIN
NODE = "alice/bench@" + DOMAIN

# pytest.fail (used by harness on errors) raises this, not an Exception.
Failed = harness.pytest.fail.Exception


class BenchError(Exception):
    pass


def account(i):
    return "s%04d@%s" % (i, DOMAIN)


def body(word):
    """BODY_SIZE octets starting with word and a random tag."""
    head = ("%s %s " % (word, os.urandom(6).hex())).encode()
    return head + b"x" * (BODY_SIZE - len(head) - 1) + b"\n"


def in_pool(fn, items):
    """fn(item) for every item, THREADS at a time; the first error is
    raised."""
    pool = ThreadPoolExecutor(max_workers=THREADS)
    try:
        for _ in pool.map(fn, items):
            pass
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def files(d):
    """The names in directory d (no dot files), [] if it is missing."""
    try:
        return [n for n in os.listdir(d) if not n.startswith(".")]
    except FileNotFoundError:
        return []


def wait_all(dirs, what):
    """Polls every POLL s until each directory of dirs holds a file;
    returns the time it was seen, or raises after TIMEOUT s."""
    pending = list(dirs)
    end = time.monotonic() + TIMEOUT
    while True:
        pending = [p for p in pending if not files(p)]
        now = time.monotonic()
        if not pending:
            return now
        if now > end:
            raise BenchError("%s: %d of %d still missing after %d s "
                             "(first: %s)" % (what, len(pending), len(dirs),
                                              TIMEOUT, pending[0]))
        time.sleep(POLL)


def exactly_one(dirs, what, needle):
    """Every directory of dirs holds one file, containing needle."""
    bad = []
    for p in dirs:
        f = files(p)
        if len(f) != 1:
            bad.append("%s: %d" % (p, len(f)))
        else:
            with open(os.path.join(p, f[0]), "rb") as fp:
                if needle not in fp.read():
                    bad.append("%s: another content" % p)
    if bad:
        raise BenchError("%s: %d of %d wrong, e.g. %s" % (
            what, len(bad), len(dirs), "; ".join(bad[:5])))


def setup(d, accounts):
    """The accounts, the node and the subscriptions; returns the times
    in seconds: accounts added, all subscribed, and the medians of one
    login, of one SUBSCRIBE TO -> 280 and of the last 100 of those."""
    password = harness.random_password()
    t0 = time.monotonic()
    d.add_user(PUBLISHER, password)
    in_pool(lambda a: d.add_user(a, password), accounts)
    t1 = time.monotonic()
    d.start()
    d.wait_ready()
    with d.login(PUBLISHER) as s:
        s.cmd('PUBLISH CREATE %s "Benchmark"' % NODE)
        s.expect(290)
    t2 = time.monotonic()

    logins, subs = [], []

    def subscribe(a):
        u0 = time.monotonic()
        with d.login(a) as s:
            u1 = time.monotonic()
            s.cmd("SUBSCRIBE TO " + NODE)
            s.expect(380)
            s.expect(280)
            u2 = time.monotonic()
        logins.append(u1 - u0)
        subs.append(u2 - u1)
    in_pool(subscribe, accounts)
    t3 = time.monotonic()
    with d.login(PUBLISHER) as s:
        s.cmd("PUBLISH LIST")
        got = [r.text for r in s.final() if r.code == 291]
    if got != ["%s %d Benchmark" % (NODE, len(accounts))]:
        raise BenchError("PUBLISH LIST: %r" % got)
    return (t1 - t0, t3 - t2, statistics.median(logins),
            statistics.median(subs), statistics.median(subs[-100:]))


def run_publish(d, users, data):
    """PUBLISH TO NODE; returns (DONE->273, DONE->all stored) in s."""
    pushdirs = [str(d.maildir(u) / "immp-push") for u in users]
    with d.login(PUBLISHER) as s:
        start = d.logfile.stat().st_size
        s.cmd("PUBLISH TO " + NODE)
        r = s.final()[-1]
        if r.code != 270:
            raise BenchError("PUBLISH TO: %r" % r.raw)
        s.data("event", data, "text/plain")
        s.expect(271)
        s.expect(272)
        t0 = time.monotonic()
        s.cmd("DONE")
        s.expect(273)
        t1 = time.monotonic()
    t2 = wait_all(pushdirs, "pushes stored")
    time.sleep(1)       # a second copy would show up by now
    exactly_one(pushdirs, "pushes", data)
    held = [p for p in users if files(d.maildir(p) / "immp-push-held")]
    if held:
        raise BenchError("held pushes at %d accounts, e.g. %s" % (
            len(held), held[0]))
    with open(d.logfile, "rb") as f:
        f.seek(start)
        log = f.read().decode(errors="replace")
    n = len(re.findall(r"^deliver: push uuid=\S+ rcpt=s\d{4}@%s "
                       r"publisher=%s stored$" % (
                           re.escape(DOMAIN), re.escape(NODE)), log, re.M))
    if n != len(users):
        raise BenchError("%d pushes logged as stored, not %d" % (
            n, len(users)))
    return t1 - t0, t2 - t0


def run_mail(d, accounts, users, data):
    """DELIVER TO PER_MESSAGE recipients at a time on one session;
    returns (first DELIVER->last 273, first DELIVER->all delivered)."""
    newdirs = [str(d.maildir(u) / "new") for u in users]
    part = [("body.txt", "text/plain", data, True)]
    with d.login(PUBLISHER) as s:
        t0 = time.monotonic()
        for i in range(0, len(accounts), PER_MESSAGE):
            s.deliver(accounts[i:i + PER_MESSAGE], part)
        t1 = time.monotonic()
    t2 = wait_all(newdirs, "mail delivered")
    time.sleep(1)
    exactly_one(newdirs, "mail", data)
    return t1 - t0, t2 - t0


def stop(d):
    """Stops d; raises if a process is left or it did not exit 0."""
    if d.proc is None:
        return
    kids = d.descendants()
    d.proc.send_signal(signal.SIGTERM)
    try:
        rc = d.proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        rc = None
    end = time.monotonic() + 20
    while any(harness.alive(p) for p in kids) and time.monotonic() < end:
        time.sleep(0.05)
    left = [p for p in kids if harness.alive(p)]
    if rc is None:
        d.proc.kill()
        d.proc.wait()
    d.kill_leftovers(kids)
    d.proc = None
    if rc != 0 or left:
        raise BenchError("immpd exited %s after SIGTERM, left %s" % (
            rc, left))


def main():
    if N < 1:
        raise SystemExit("PUBLISH_N must be at least 1")
    for prog in ("immpd", "immpctl", "immp-queue", "immp-lookup",
                 "immp-deliver"):
        if not os.access(harness.BUILD / prog, os.X_OK):
            raise SystemExit("%s missing: run make" % (harness.BUILD / prog))

    def terminate(signo, frame):
        raise SystemExit(1)
    signal.signal(signal.SIGTERM, terminate)
    signal.signal(signal.SIGINT, terminate)

    tmp = tempfile.mkdtemp(prefix="immp-publish-bench.", dir="/tmp")
    # See run.sh: new block groups for this run's files.
    subprocess.run(["chattr", "+T", tmp], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    d = None
    rc = 1
    try:
        cert, key = harness.make_cert(tmp)
        d = harness.Daemon(os.path.join(tmp, "d"), cert, key)
        accounts = [account(i) for i in range(N)]
        users = [a.split("@")[0] for a in accounts]
        print("publish-bench: %d subscribers of %s, %d-octet body, "
              "build %s" % (N, NODE, BODY_SIZE, harness.BUILD))
        t_users, t_sub, m_login, m_sub, m_last = setup(d, accounts)
        print("  set-up: %d accounts added in %.1f s, subscribed in %.1f s"
              " (%d sessions at a time)" % (N + 1, t_users, t_sub, THREADS))
        print("  per account (medians): login %.1f ms, SUBSCRIBE TO -> 280"
              " %.1f ms (the last 100: %.1f ms)" % (
                  m_login * 1000, m_sub * 1000, m_last * 1000))
        acc, pub = run_publish(d, users, body("publish"))
        print("  publish: 273 after %.1f ms, all stored after %.2f s"
              % (acc * 1000, pub))
        sent, mail = run_mail(d, accounts, users, body("mail"))
        nmsg = (N + PER_MESSAGE - 1) // PER_MESSAGE
        print("  mail: %d messages, last 273 after %.1f ms, all delivered"
              " after %.2f s" % (nmsg, sent * 1000, mail))
        stop(d)
        pps, dps = N / pub, N / mail
        print()
        print("  %6s %8s %10s %10s %9s %10s %9s %7s" % (
            "N", "setup s", "accept ms", "stored s", "pushes/s",
            "deliver s", "mails/s", "ratio"))
        print("  %6d %8.1f %10.1f %10.2f %9.0f %10.2f %9.0f %7.2f" % (
            N, t_users + t_sub, acc * 1000, pub, pps, mail, dps, pps / dps))
        rc = 0
    except (BenchError, AssertionError, OSError, immpclient.ProtocolError,
            Failed) as e:
        print("publish-bench: %s" % e, file=sys.stderr)
        if d is not None:
            print("the end of the daemon log:\n" + d.log_tail(30),
                  file=sys.stderr)
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if d is not None:
            try:
                stop(d)
            except BenchError as e:
                print("publish-bench: %s" % e, file=sys.stderr)
                rc = 1
            shutil.rmtree(d.sockdir, ignore_errors=True)
        if os.environ.get("KEEP"):
            print("kept %s" % tmp, file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
