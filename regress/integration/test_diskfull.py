"""Disk full (DESIGN §4): the spool and the mail store on a small tmpfs.
Messages are accepted while delivery is held, then the file system is
filled: new messages must get a 7xx (never a 273 that is not kept, never
a 4xx, never a dead daemon), the queued ones must wait, not vanish.
When space is freed the service resumes by itself, without a restart:
a new message is accepted and delivered, and every message answered 273
is in its Maildir exactly once and complete.

Needs root (mount -t tmpfs); skipped otherwise or if the mount fails."""

import email
import email.policy
import errno
import hashlib
import os
import signal
import subprocess
import tempfile
import time

import pytest

from harness import Daemon, random_password, proc_children
from immpclient import Session, wait_for

SIZE_MIB = 12
BODY = 48 * 1024


def tree(pid):
    out, todo = [pid], [pid]
    while todo:
        for child in proc_children(todo.pop()):
            out.append(child)
            todo.append(child)
    return out


@pytest.fixture
def small_fs():
    if os.geteuid() != 0:
        pytest.skip("disk-full test needs root to mount a tmpfs (uid %d)"
                    % os.geteuid())
    base = tempfile.mkdtemp(prefix="immpd-diskfull-", dir="/tmp")
    store = os.path.join(base, "store")
    os.mkdir(store)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o",
                        "size=%dm,mode=0755" % SIZE_MIB, "tmpfs", store],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if r.returncode != 0:
        os.rmdir(store)
        os.rmdir(base)
        pytest.skip("cannot mount a tmpfs: %s" % r.stdout.decode(
            errors="replace").strip())
    try:
        yield base, store
    finally:
        subprocess.run(["umount", "-l", store])
        subprocess.run(["rm", "-rf", base])


def fill(path):
    """Writes path until the file system is full; returns the size."""
    n = 0
    chunk = b"\0" * 65536
    with open(path, "wb", buffering=0) as f:
        while True:
            try:
                n += f.write(chunk)
            except OSError as e:
                assert e.errno in (errno.ENOSPC, errno.EDQUOT), e
                break
        # the last few octets of a page
        for size in (4096, 512, 1):
            while True:
                try:
                    n += f.write(chunk[:size])
                except OSError:
                    break
    return n


def try_send(d, s, rcpt, body):
    """One message on an authenticated session: ("273", uuid) or
    ("7xx", code) if refused at DELIVER, DATA or DONE."""
    s.cmd("DELIVER TO %s" % rcpt)
    r = s.final()[-1]
    if r.code != 270:
        return ("refused", r.code)
    s.data("body.txt", body, "text/plain", True, pid="q1")
    while True:
        r = s.final()[-1]
        if r.code == 271:
            continue
        break
    if r.code != 272:
        # the message is dropped; DONE must say there is none
        return ("refused", r.code)
    s.cmd("DONE")
    r = s.final()[-1]
    if r.code == 273:
        return ("273", r.text.split(" ", 1)[0])
    return ("refused", r.code)


def body(tag):
    head = b"diskfull " + tag.encode() + b"\n"
    return head + os.urandom(BODY).hex().encode()[:BODY] + b"\n"


def delivered(d):
    """{uuid: [sha256 of the text part, ...]} over new/ and cur/."""
    out = {}
    for dirpath, _, files in os.walk(d.mail):
        if os.path.basename(dirpath) not in ("new", "cur"):
            continue
        for f in files:
            with open(os.path.join(dirpath, f), "rb") as fh:
                msg = email.message_from_binary_file(
                    fh, policy=email.policy.default)
            assert msg.defects == [], (f, msg.defects)
            parts = [p.get_payload(decode=True) for p in msg.walk()
                     if not p.is_multipart() and (p.get_payload(
                         decode=True) or b"").startswith(b"diskfull ")]
            assert len(parts) == 1, f
            out.setdefault(str(msg["IMMP-UUID"]), []).append(
                hashlib.sha256(parts[0]).hexdigest())
    return out


def test_disk_full_and_recovery(small_fs, certs):
    base, store = small_fs
    os.mkdir(os.path.join(store, "mail"))
    os.mkdir(os.path.join(store, "spool"), 0o700)
    os.symlink(os.path.join(store, "mail"), os.path.join(base, "mail"))
    os.symlink(os.path.join(store, "spool"), os.path.join(base, "spool"))
    d = Daemon(base, certs["cert"], certs["key"],
               users={"alice@demo.test": random_password(),
                      "bob@demo.test": random_password()})
    d.start()
    sent = {}                   # uuid -> sha256 of the body
    try:
        s = Session(d.port, cafile=str(d.cert))
        s.login("bob@demo.test", d.users["bob@demo.test"])

        # 1. Delivery held: messages accepted, waiting in the queue.
        held = tree(d.children()["deliver"])
        for pid in held:
            os.kill(pid, signal.SIGSTOP)
        for i in range(5):
            b = body("queued-%d" % i)
            res, uuid = try_send(d, s, "alice@demo.test", b)
            assert res == "273", (res, uuid)
            sent[uuid] = hashlib.sha256(b).hexdigest()
        queued = set(sent)

        # 2. The file system fills up: new messages get 7xx.
        filler = os.path.join(store, "filler")
        fill(filler)
        codes = []
        for i in range(20):
            b = body("full-%d" % i)
            res, got = try_send(d, s, "alice@demo.test", b)
            if res == "273":
                sent[got] = hashlib.sha256(b).hexdigest()
            else:
                assert 700 <= got < 800, "refused with %s on a full " \
                    "disk" % got
                codes.append(got)
        assert codes, "a full disk refused nothing:\n" + d.log_tail(40)
        # delivery resumes into the full disk: it must fail and retry
        for pid in held:
            os.kill(pid, signal.SIGCONT)
        time.sleep(3)
        assert set(d.children()) == {"network", "queue", "lookup",
                                     "deliver"}, d.log_tail(40)
        got = delivered(d)
        for uuid, shas in got.items():
            assert shas == [sent[uuid]], (uuid, "partial or duplicate")

        # 3. Space freed: service resumes by itself (no restart).
        pids = d.children()
        os.unlink(filler)
        b = body("after")
        s2 = Session(d.port, cafile=str(d.cert))
        s2.login("bob@demo.test", d.users["bob@demo.test"])
        res, uuid = try_send(d, s2, "alice@demo.test", b)
        assert res == "273", (res, uuid, d.log_tail(40))
        sent[uuid] = hashlib.sha256(b).hexdigest()
        s2.close()
        s.close()
        ok = wait_for(lambda: set(delivered(d)) >= set(sent), 40, step=0.5)
        assert ok, "not delivered after space was " \
            "freed: %s\n%s" % (set(sent) - set(delivered(d)),
                               d.log_tail(60))
        assert d.children() == pids, "a process was restarted"
        got = delivered(d)
        for uuid in sent:
            assert got[uuid] == [sent[uuid]], uuid
        assert queued <= set(got)
        print("disk full: %d accepted, refused with %s, all delivered "
              "once" % (len(sent), sorted(set(codes))))
    finally:
        d.stop(check=False)
