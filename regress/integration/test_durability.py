"""A 273 is a promise (DESIGN §4): crash the delivery or the queue
process after the reply, restart, and the message arrives exactly once."""

import email
import email.policy
import os
import signal
import time

from harness import alive, proc_children
from immpclient import wait_for


def tree(pid):
    out, todo = [pid], [pid]
    while todo:
        for child in proc_children(todo.pop()):
            out.append(child)
            todo.append(child)
    return out


def copies(d, user, uuid):
    """Every file in user's Maildir (new and cur, all folders) that is
    the message uuid, by name or by its IMMP-UUID header."""
    found = []
    root = d.maildir(user)
    for dirpath, _, files in os.walk(root):
        if os.path.basename(dirpath) not in ("new", "cur"):
            continue
        for f in files:
            p = os.path.join(dirpath, f)
            with open(p, "rb") as fh:
                msg = email.message_from_binary_file(
                    fh, policy=email.policy.default)
            if uuid in f or msg["IMMP-UUID"] == uuid:
                found.append(p)
    return found


def crash_and_recover(d, victim):
    kids = d.children()
    assert {"network", "queue", "lookup", "deliver"} <= set(kids), kids
    stopped = tree(kids["deliver"])
    for pid in stopped:
        os.kill(pid, signal.SIGSTOP)
    try:
        with d.login("bob@demo.test") as s:
            uuid = s.deliver(["alice@demo.test"], [
                ("metadata", "text/rfc822-headers", b"Subject: durable\n",
                 False),
                ("body.txt", "text/plain", b"survives a crash\n", True)])
        # 273 means committed: the envelope is in queue/
        assert (d.spool / "queue" / (uuid + ".env")).is_file()
        assert (d.spool / "queue" / (uuid + ".msg")).is_file()
        time.sleep(0.5)
        assert copies(d, "alice", uuid) == []      # deliver is stopped

        os.kill(kids[victim], signal.SIGKILL)
        rc = d.wait_exit(15)
        assert rc is not None, "immpd did not exit after its %s died" % (
            victim)
        assert rc != 0, "immpd exited 0 after its %s was killed" % victim
        others = [pid for r, pid in kids.items()
                  if pid not in stopped and r != victim]
        assert wait_for(lambda: not any(alive(p) for p in others), 10), \
            "children left after the parent exited: %s" % [
                p for p in others if alive(p)]
    finally:
        for pid in stopped:
            if alive(pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                    os.kill(pid, signal.SIGCONT)
                except ProcessLookupError:
                    pass
    wait_for(lambda: not any(alive(p) for p in stopped), 10)

    d.start()
    d.wait_message("alice", uuid)
    time.sleep(3)       # longer than "retry first 2s": no second copy
    got = copies(d, "alice", uuid)
    assert len(got) == 1, got
    with open(got[0], "rb") as fh:
        msg = email.message_from_binary_file(fh,
                                             policy=email.policy.default)
    assert msg["Subject"] == "durable"
    assert wait_for(lambda: not any((d.spool / "queue").iterdir()), 15), \
        list((d.spool / "queue").iterdir())
    d.stop()


def test_kill_deliver_after_273(fresh_daemon):
    crash_and_recover(fresh_daemon(), "deliver")


def test_kill_queue_after_273(fresh_daemon):
    crash_and_recover(fresh_daemon(), "queue")


def test_restart_with_queued_mail_and_clean_shutdown(fresh_daemon):
    """SIGTERM while a message waits for the (stopped) deliver process:
    after a restart it is delivered once."""
    d = fresh_daemon()
    kids = d.children()
    stopped = tree(kids["deliver"])
    for pid in stopped:
        os.kill(pid, signal.SIGSTOP)
    with d.login("bob@demo.test") as s:
        uuid = s.deliver(["alice@demo.test"], [
            ("body.txt", "text/plain", b"queued over a restart\n", True)])
    for pid in stopped:
        os.kill(pid, signal.SIGCONT)
    d.stop()
    d.start()
    d.wait_message("alice", uuid)
    time.sleep(3)
    assert len(copies(d, "alice", uuid)) == 1


def test_incoming_emptied_at_start(fresh_daemon):
    """A half-received spool file left by a crash is removed at start."""
    d = fresh_daemon()
    d.stop()
    junk = d.spool / "incoming" / "00000000-0000-4000-8000-000000000000"
    junk.parent.mkdir(parents=True, exist_ok=True)
    junk.write_bytes(b"half a message")
    stray = d.spool / "queue" / "00000000-0000-4000-8000-000000000001.msg"
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_bytes(b"no envelope")
    d.start()
    assert wait_for(lambda: not junk.exists() and not stray.exists(), 10)
    d.assert_healthy()


def test_corrupt_envelope_is_set_aside(fresh_daemon):
    d = fresh_daemon()
    d.stop()
    bad = d.spool / "queue" / "00000000-0000-4000-8000-000000000002.env"
    bad.parent.mkdir(parents=True, exist_ok=True)
    bad.write_bytes(b"rcpt=\0\nversion=zzz\ngarbage\n" * 3)
    (d.spool / "queue" /
     "00000000-0000-4000-8000-000000000002.msg").write_bytes(b"x")
    d.start()
    assert wait_for(lambda: not bad.exists(), 10)
    assert (d.spool / "corrupt").is_dir()
    assert any((d.spool / "corrupt").iterdir())
    d.assert_healthy()
