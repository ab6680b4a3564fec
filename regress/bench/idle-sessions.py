#!/usr/bin/python3
"""Idle-session benchmark: starts a throw-away immpd (like the
integration tests), opens N sessions (default 1000; argument or
SESSIONS=), each upgraded to TLS and authenticated with AUTH SECRET (a
user with low Argon2id cost), holds them all at once and prints the
network process's memory per session.  The last line is machine
readable:

    idle-sessions N RSS_KIB_PER_SESSION PSS_KIB_PER_SESSION

B names the build directory (default build)."""

import os
import shutil
import sys
import tempfile
from pathlib import Path

TOP = Path(__file__).resolve().parents[2]
os.environ.setdefault("IMMPD_TEST_BUILD",
                      str(TOP / os.environ.get("B", "build")))
sys.path.insert(0, str(TOP / "regress" / "integration"))

import harness                              # noqa: E402
import test_load                            # noqa: E402


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else \
        int(os.environ.get("SESSIONS", "1000"))
    limit = test_load.raise_nofile(n + 200)
    if limit < n + 64:
        print("RLIMIT_NOFILE is %d: too low for %d sessions" % (limit, n))
        return 1
    base = Path(tempfile.mkdtemp(prefix="immp-idle-"))
    d = None
    try:
        cert, key = harness.make_cert(base)
        d = harness.Daemon(base / "d", cert, key,
                           users={"bob@demo.test": harness.random_password()},
                           extra_conf=test_load.daemon_conf(n))
        d.start()
        sessions, before, after = test_load.hold_sessions(d, n)
        alive = 0
        for s in sessions:
            s.cmd("NOOP")
        for s in sessions:
            if s.final()[-1].code == 200:
                alive += 1
        print(test_load.report(len(sessions), before, after))
        print("%d of %d answered NOOP afterwards" % (alive, n))
        for s in sessions:
            s.close()
        print("idle-sessions %d %.1f %.1f" % (
            alive, (after[0] - before[0]) / n, (after[1] - before[1]) / n))
        return 0 if alive == n else 1
    finally:
        if d is not None and d.proc is not None:
            d.stop(check=False)
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
