"""Sandbox proof (DESIGN §3): with the test hook IMMPD_SANDBOX_PROBE=1,
every child tries, right after sandbox_drop, to open /etc/passwd (for
reading and for writing) and to execute /bin/true, and logs the outcome
("sandbox probe: <role>: <what>: refused (<errno>)" or "ALLOWED").  The
tests read those lines and /proc/PID/{root,status}, then check that the
daemon still serves a normal session.

As root (privilege separation as installed): network, queue and lookup
run as their users, network and queue in their chroots, all under
seccomp (Seccomp: 2); deliver's per-owner workers run as the mailbox
owner under deliver's filter (checked from /proc: the probe runs only
at sandbox_drop, which workers do not call).  Unprivileged (immpd -u)
only the seccomp part applies and is checked."""

import os
import pwd
import re
import shutil

import pytest

import immpclient
from harness import (BUILD, Daemon, missing_privsep_users, privsep_daemon,
                     proc_children, proc_status as status, random_password)

PROBE_RE = re.compile(
    r"sandbox probe: (\w+): (open /etc/passwd|open /etc/passwd for writing|"
    r"exec /bin/true): (refused \(([^)]*)\)|ALLOWED)")

EPERM = os.strerror(1)
EACCES = os.strerror(13)
ENOENT = os.strerror(2)


def probes(d, timeout=10):
    """{(role, what): errno text or "ALLOWED"} from the daemon's log,
    waiting until all four processes have logged their exec attempt."""
    def read():
        out = {}
        for m in PROBE_RE.finditer(d.logfile.read_text(errors="replace")):
            out[(m.group(1), m.group(2))] = m.group(4) or "ALLOWED"
        roles = {r for (r, w) in out if w == "exec /bin/true"}
        return out if roles >= {"network", "queue", "lookup",
                                "deliver"} else None
    got = immpclient.wait_for(read, timeout)
    assert got, "probe lines missing:\n" + d.log_tail()
    return got


def check_seccomp_part(d, got):
    """What seccomp alone guarantees, with or without root."""
    # No process may execute a program: refused by the filter (EPERM),
    # before any path lookup, so not ENOENT even inside a chroot.
    for r in ("network", "queue", "lookup", "deliver"):
        assert got[(r, "exec /bin/true")] == EPERM, (r, got)
    # The network process opens nothing at all.
    assert got[("network", "open /etc/passwd")] == EPERM, got
    assert got[("network", "open /etc/passwd for writing")] == EPERM, got
    # lookup reads tables only: opening for writing is refused by the
    # filter, not merely by file permissions.
    assert got[("lookup", "open /etc/passwd for writing")] == EPERM, got
    # Every child is alive after its probe and under a filter (and has
    # said it is ready: the probe lines of all four alone do not show
    # that the parent has seen them).
    kids = d.wait_ready()
    assert set(kids) == {"network", "queue", "lookup", "deliver"}, kids
    for r, pid in kids.items():
        assert status(pid)["Seccomp"].strip() == "2", r
    return kids


def test_probe_unprivileged(fresh_daemon, monkeypatch):
    monkeypatch.setenv("IMMPD_SANDBOX_PROBE", "1")
    d = fresh_daemon()
    got = probes(d)
    check_seccomp_part(d, got)
    d.assert_healthy()
    assert d.children().keys() == {"network", "queue", "lookup", "deliver"}


def test_wait_ready_waits_for_a_slow_child(certs, tmp_path, monkeypatch):
    """The greeting comes from the network process alone; a child that
    starts late (here immp-queue behind a shell that sleeps first) is
    not there yet.  wait_ready waits for it, sandboxed."""
    libexec = tmp_path / "libexec"
    libexec.mkdir()
    for prog in ("immp-lookup", "immp-deliver"):
        os.symlink(BUILD / prog, libexec / prog)
    slow = libexec / "immp-queue"
    slow.write_text('#!/bin/sh\nsleep 2\nexec "%s" "$@"\n' %
                    (BUILD / "immp-queue"))
    os.chmod(slow, 0o755)
    monkeypatch.setenv("IMMPD_SANDBOX_PROBE", "1")
    d = Daemon(tmp_path / "d", certs["cert"], certs["key"],
               users={"alice@demo.test": random_password()})
    d.libexec = libexec
    d.start()
    try:
        kids = d.wait_ready()
        assert set(kids) == {"network", "queue", "lookup", "deliver"}, kids
        assert status(kids["queue"])["Seccomp"].strip() == "2"
        assert ("queue", "exec /bin/true") in probes(d, timeout=0)
    finally:
        d.stop()


def test_probe_off_by_default(fresh_daemon, monkeypatch):
    monkeypatch.delenv("IMMPD_SANDBOX_PROBE", raising=False)
    d = fresh_daemon()
    d.assert_healthy()
    assert "sandbox probe" not in d.logfile.read_text(errors="replace")


# -- as installed (root) ----------------------------------------------------

@pytest.fixture
def privsep_probe_daemon(certs, monkeypatch):
    if os.geteuid() != 0:
        pytest.skip("chroot and user change need root (this run is uid "
                    "%d); the seccomp part ran unprivileged" % os.geteuid())
    if missing_privsep_users():
        pytest.skip("system users missing: %s (make install-users "
                    "creates them)" % " ".join(missing_privsep_users()))
    monkeypatch.setenv("IMMPD_SANDBOX_PROBE", "1")
    d = privsep_daemon(certs, "immpd-sandbox-")
    d.start()
    yield d
    d.stop()
    shutil.rmtree(d.base, ignore_errors=True)


def test_probe_as_installed(privsep_probe_daemon):
    d = privsep_probe_daemon
    got = probes(d)
    kids = check_seccomp_part(d, got)
    immpd = pwd.getpwnam("_immpd")
    immpq = pwd.getpwnam("_immpq")
    want = {"network": (immpd.pw_uid, immpd.pw_gid),
            "lookup": (immpd.pw_uid, immpd.pw_gid),
            "queue": (immpq.pw_uid, immpq.pw_gid),
            "deliver": (0, 0)}
    for r, pid in kids.items():
        st = status(pid)
        uid, gid = want[r]
        assert [int(x) for x in st["Uid"].split()] == [uid] * 4, (r, st)
        assert [int(x) for x in st["Gid"].split()] == [gid] * 4, (r, st)
    roots = {r: os.readlink("/proc/%d/root" % pid)
             for r, pid in kids.items()}
    assert roots["network"] == os.path.realpath(d.empty), roots
    assert roots["queue"] == os.path.realpath(d.spool), roots
    # queue: the filter lets it open files, its chroot (the spool)
    # holds no /etc/passwd.
    assert got[("queue", "open /etc/passwd")] == ENOENT, got
    assert got[("queue", "open /etc/passwd for writing")] == ENOENT, got
    # lookup is not chrooted (it reopens tables by absolute path): as
    # _immpd it may read world-readable files, never write them.
    assert got[("lookup", "open /etc/passwd for writing")] == EPERM, got
    # deliver runs as root in / by design; only exec is refused there.
    assert got[("deliver", "exec /bin/true")] == EPERM, got
    # The daemon still serves a normal session, delivering as the
    # mailbox owner.
    uuid = d.assert_healthy()
    path = d.wait_message("alice", uuid)
    nobody = pwd.getpwnam("nobody")
    assert os.stat(path).st_uid == nobody.pw_uid
    # deliver's per-mailbox-owner worker (it stays for the next batch):
    # the owner's ids, deliver's filter inherited (no exec), no way
    # back to root.  It has no chroot: it writes the owner's Maildir.
    workers = [p for p in proc_children(kids["deliver"])]
    assert workers, "no delivery worker left to inspect"
    for pid in workers:
        st = status(pid)
        assert [int(x) for x in st["Uid"].split()] == [nobody.pw_uid] * 4, st
        assert [int(x) for x in st["Gid"].split()] == [nobody.pw_gid] * 4, st
        assert st["Seccomp"].strip() == "2", st
        assert st["NoNewPrivs"].strip() == "1", st
