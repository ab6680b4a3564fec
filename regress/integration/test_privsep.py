"""Privilege separation as installed (no -u): every child runs as its
own user, in its chroot, under a seccomp filter (DESIGN §3)."""

import os
import pwd
import shutil

import pytest

from harness import (missing_privsep_users, privsep_daemon as new_privsep,
                     proc_status as status, proc_uids as uids)

# test_control.py asks this module which users are missing.
missing_users = missing_privsep_users

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0,
                       reason="privilege separation needs root"),
    pytest.mark.skipif(bool(missing_users()),
                       reason="system users missing: %s (make "
                       "install-users creates them)" % " ".join(
                           missing_users())),
]


@pytest.fixture
def privsep_daemon(certs):
    d = new_privsep(certs, "immpd-privsep-")
    d.start()
    d.ids = {u: pwd.getpwnam(u).pw_uid
             for u in ("_immpd", "_immpq", "nobody")}
    yield d
    d.stop()
    shutil.rmtree(d.base, ignore_errors=True)


def test_children_users_roots_and_seccomp(privsep_daemon):
    d = privsep_daemon
    # The greeting comes from the network process alone: wait until
    # every child has dropped its privileges and said so.
    kids = d.wait_ready()
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
