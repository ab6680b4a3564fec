"""Privilege separation as installed (no -u): every child runs as its
own user, in its chroot, under a seccomp filter (DESIGN §3)."""

import os
import pwd
import shutil
import tempfile

import pytest

from harness import Daemon, random_password

NEEDED_USERS = ("_immpd", "_immpq", "nobody")


def missing_users():
    out = []
    for u in NEEDED_USERS:
        try:
            pwd.getpwnam(u)
        except KeyError:
            out.append(u)
    return out


pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0,
                       reason="privilege separation needs root"),
    pytest.mark.skipif(bool(missing_users()),
                       reason="system users missing: %s (make "
                       "install-users creates them)" % " ".join(
                           missing_users())),
]


def status(pid):
    with open("/proc/%d/status" % pid) as f:
        return dict(line.split(":", 1) for line in f if ":" in line)


def uids(pid):
    return [int(x) for x in status(pid)["Uid"].split()]


@pytest.fixture
def privsep_daemon(certs):
    base = tempfile.mkdtemp(prefix="immpd-privsep-", dir="/tmp")
    os.chmod(base, 0o755)
    immpd = pwd.getpwnam("_immpd")
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
    # certificates readable before the drop only: copy them in
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
    d.ids = {"_immpd": immpd.pw_uid, "_immpq": immpq.pw_uid,
             "nobody": nobody.pw_uid}
    d.empty = empty
    yield d
    d.stop()
    shutil.rmtree(base, ignore_errors=True)


def test_children_users_roots_and_seccomp(privsep_daemon):
    d = privsep_daemon
    kids = d.children()
    assert set(kids) == {"network", "queue", "lookup", "deliver"}, kids
    want_uid = {"network": d.ids["_immpd"], "lookup": d.ids["_immpd"],
                "queue": d.ids["_immpq"], "deliver": 0}
    for name, pid in kids.items():
        assert uids(pid) == [want_uid[name]] * 4, (name, status(pid)["Uid"])
        assert status(pid)["Seccomp"].strip() == "2", name
    assert os.readlink("/proc/%d/root" % kids["network"]) == \
        os.path.realpath(d.empty)
    assert os.readlink("/proc/%d/root" % kids["queue"]) == \
        os.path.realpath(d.spool)
    assert os.readlink("/proc/%d/root" % kids["deliver"]) == "/"


def test_delivery_as_mailbox_owner(privsep_daemon):
    d = privsep_daemon
    uuid = d.assert_healthy()
    path = d.wait_message("alice", uuid)
    assert os.stat(path).st_uid == d.ids["nobody"]
    assert os.stat(d.maildir("alice")).st_mode & 0o777 == 0o700
