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
import tempfile

import pytest

import immpclient
from harness import Daemon, proc_children, random_password

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


def status(pid):
    with open("/proc/%d/status" % pid) as f:
        return dict(line.split(":", 1) for line in f if ":" in line)


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
    # Every child is alive after its probe and under a filter.
    kids = d.children()
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


def test_probe_off_by_default(fresh_daemon, monkeypatch):
    monkeypatch.delenv("IMMPD_SANDBOX_PROBE", raising=False)
    d = fresh_daemon()
    d.assert_healthy()
    assert "sandbox probe" not in d.logfile.read_text(errors="replace")


# -- as installed (root) ----------------------------------------------------

NEEDED_USERS = ("_immpd", "_immpq", "nobody")


def missing_users():
    out = []
    for u in NEEDED_USERS:
        try:
            pwd.getpwnam(u)
        except KeyError:
            out.append(u)
    return out


@pytest.fixture
def privsep_probe_daemon(certs, monkeypatch):
    if os.geteuid() != 0:
        pytest.skip("chroot and user change need root (this run is uid "
                    "%d); the seccomp part ran unprivileged" % os.geteuid())
    if missing_users():
        pytest.skip("system users missing: %s (make install-users "
                    "creates them)" % " ".join(missing_users()))
    monkeypatch.setenv("IMMPD_SANDBOX_PROBE", "1")
    base = tempfile.mkdtemp(prefix="immpd-sandbox-", dir="/tmp")
    os.chmod(base, 0o755)
    immpq = pwd.getpwnam("_immpq")
    nobody = pwd.getpwnam("nobody")
    empty = os.path.join(base, "empty")
    os.mkdir(empty, 0o755)
    spool = os.path.join(base, "spool")
    os.mkdir(spool, 0o700)
    os.chown(spool, immpq.pw_uid, immpq.pw_gid)
    mail = os.path.join(base, "mail")
    os.mkdir(mail, 0o755)
    os.chown(mail, nobody.pw_uid, nobody.pw_gid)
    cert = os.path.join(base, "cert.pem")
    key = os.path.join(base, "key.pem")
    shutil.copy(certs["cert"], cert)
    shutil.copy(certs["key"], key)
    os.chmod(key, 0o600)
    d = Daemon(base, cert, key, privsep=True, maildir_user="nobody",
               extra_conf='user "_immpd"\nqueue-user "_immpq"\n'
               'chroot "%s"' % empty)
    d.add_user("alice@demo.test", random_password())
    d.add_user("bob@demo.test", random_password())
    os.chmod(d.users_db, 0o644)
    d.start()
    d.empty = empty
    yield d
    d.stop()
    shutil.rmtree(base, ignore_errors=True)


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
