"""Load: LOAD_SESSIONS (default 1000) concurrent sessions, each upgraded
to TLS and authenticated with AUTH SECRET, held idle at the same time.
Every one must still answer NOOP afterwards and the daemon must serve a
normal delivery meanwhile.  No timing is asserted.

The network process's memory is read before and after (VmRSS and Pss
from /proc/PID/smaps_rollup) and printed per session;
regress/bench/idle-sessions.py runs the same as a benchmark
(hold_sessions below)."""

import concurrent.futures
import os
import resource

import pytest

from immpclient import Session

SESSIONS = int(os.environ.get("LOAD_SESSIONS", "1000"))


def raise_nofile(need):
    """Raises RLIMIT_NOFILE of this process (and of the daemons it
    starts from now on) to at least need, up to the hard limit; returns
    the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = need if hard == resource.RLIM_INFINITY else min(need, hard)
    if soft == resource.RLIM_INFINITY or soft >= want:
        return soft
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    except (ValueError, OSError):
        return soft
    return want


def daemon_conf(n):
    """Configuration lines for n sessions from one address (127.0.0.1):
    enough sessions, no per-address connection rate limit."""
    return "max-sessions %d\nlimit connections 0 per 1m" % (n + 64)


def memory(pid):
    """(VmRSS, Pss) of pid in KiB."""
    rss = pss = 0
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    with open("/proc/%d/smaps_rollup" % pid) as f:
        for line in f:
            if line.startswith("Pss:"):
                pss = int(line.split()[1])
    return rss, pss


def login(d, account):
    s = Session(d.port, cafile=str(d.cert), timeout=60)
    try:
        s.login(account, d.users[account])
    except Exception:
        s.close()
        raise
    return s


def hold_sessions(d, n, account="bob@demo.test", workers=8):
    """Opens n authenticated sessions on daemon d and keeps them;
    returns (sessions, before, after) where before/after are the network
    process's (VmRSS, Pss) in KiB around the whole operation (a first
    session is opened and closed before, so that one-time allocations
    of TLS and the first login are not counted per session)."""
    net = d.children()["network"]
    login(d, account).close()
    before = memory(net)
    sessions = []
    with concurrent.futures.ThreadPoolExecutor(workers) as ex:
        futs = [ex.submit(login, d, account) for _ in range(n)]
        for f in futs:
            sessions.append(f.result())
    after = memory(net)
    return sessions, before, after


def report(n, before, after):
    drss = after[0] - before[0]
    dpss = after[1] - before[1]
    return ("%d authenticated idle sessions held; network process VmRSS "
            "%d -> %d KiB, Pss %d -> %d KiB: %.1f KiB/session (RSS), "
            "%.1f KiB/session (Pss)" % (n, before[0], after[0], before[1],
                                        after[1], drss / n, dpss / n))


def test_hold_authenticated_sessions(fresh_daemon):
    if raise_nofile(SESSIONS + 200) < SESSIONS + 64:
        pytest.skip("RLIMIT_NOFILE too low for %d sessions" % SESSIONS)
    d = fresh_daemon(extra_conf=daemon_conf(SESSIONS))
    sessions, before, after = hold_sessions(d, SESSIONS)
    try:
        # The daemon serves a normal delivery with all of them open.
        d.assert_healthy()
        # Every one is alive and answers in order.
        for s in sessions:
            s.cmd("NOOP")
        for i, s in enumerate(sessions):
            r = s.final()[-1]
            assert r.code == 200, (i, r.raw)
        print(report(len(sessions), before, after))
        assert set(d.children()) == {"network", "queue", "lookup",
                                     "deliver"}
    finally:
        for s in sessions:
            s.close()
