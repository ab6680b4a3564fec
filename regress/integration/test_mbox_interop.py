"""Interoperability of mailbox access (immp(7) MAILBOXES): an independent
Maildir reader (mblaze's mlist, mflag, mshow) sees what was done over
IMMP, IMMP sees what mblaze did; our immp(1) client drives every
mailbox command; a shared mailbox through the mailboxes table."""

import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

import harness
from harness import run_immp_cmd
from test_mbox import (ALICE, BOB, LINE240, by_uuid, index, one, send,
                       wait_uuid)

MBLAZE = all(shutil.which(t) for t in ("mlist", "mflag", "mshow"))
need_mblaze = pytest.mark.skipif(not MBLAZE,
                                 reason="mblaze is not installed "
                                 "(regress/install-deps.sh)")


def mb(d, *args):
    """Runs an mblaze tool with its own empty profile; returns stdout."""
    env = dict(os.environ)
    env["MBLAZE"] = str(d.base / "mblaze")
    os.makedirs(env["MBLAZE"], exist_ok=True)
    r = subprocess.run(list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=env, timeout=30)
    assert r.returncode in (0, 1), (args, r.stderr)
    return r.stdout.decode(errors="replace")


def mlist(d, folder=None, *flags):
    out = mb(d, "mlist", *flags, str(d.maildir("alice", folder)))
    return [Path(p) for p in out.splitlines() if p]


def uuid_of_file(path, msgs):
    """The message of msgs whose UUID is in the file name."""
    for m in msgs:
        if m["uuid"] in path.name:
            return m
    return None


@need_mblaze
def test_mblaze_sees_imap_changes(daemon):
    u1 = send(daemon, "interop one", b"first body\n")
    u2 = send(daemon, "interop two", b"second body\n")
    u3 = send(daemon, "interop three", b"third body\n")
    with daemon.login() as s:
        for u in (u1, u2, u3):
            wait_uuid(s, u)
        one(s, "FLAG /INBOX#%s +SEEN +FLAGGED" % u1, 246)
        one(s, "FLAG /INBOX#%s +ANSWERED" % u2, 246)
        one(s, "CREATE /Lists/Rust", 245)
        one(s, "MOVE /INBOX#%s /Lists/Rust" % u3, 247)
        inbox = index(s)[0]
    files = mlist(daemon)
    names = " ".join(p.name for p in files)
    assert u1 in names and u2 in names and u3 not in names
    assert len(files) == len(inbox)
    flagged = mlist(daemon, None, "-F")
    assert [p for p in flagged if u1 in p.name]
    assert not [p for p in flagged if u2 in p.name]
    assert [p for p in mlist(daemon, None, "-R") if u2 in p.name]
    assert [p for p in mlist(daemon, None, "-S") if u1 in p.name]
    assert [p for p in mlist(daemon, None, "-s") if u2 in p.name]
    rust = mlist(daemon, "Lists.Rust")
    assert len(rust) == 1 and u3 in rust[0].name
    # mshow reads the same message that FETCH gives
    out = mb(daemon, "mshow", "-n", "-h", "subject", str(rust[0]))
    assert "interop three" in out and "third body" in out


@need_mblaze
def test_mflag_seen_over_imap(daemon):
    uuid = send(daemon, "flag me elsewhere")
    with daemon.login() as s:
        m0 = wait_uuid(s, uuid)
        assert "\\Flagged" not in m0["flags"]
        _, summ0, _ = index(s)
    f = [p for p in mlist(daemon) if uuid in p.name]
    assert len(f) == 1
    mb(daemon, "mflag", "-F", "-S", str(f[0]))
    time.sleep(2.2)         # past the index's settle time
    with daemon.login() as s:
        m1 = by_uuid(index(s)[0], uuid)
        assert {"\\Flagged", "\\Seen"} <= m1["flags"]
        assert m1["modseq"] > m0["modseq"]
        msgs, _, _ = index(s, "/INBOX", "SINCE %d" % summ0["highestmodseq"])
        assert uuid in [m["uuid"] for m in msgs]
    # and back: mflag -f clears it
    f = [p for p in mlist(daemon) if uuid in p.name]
    mb(daemon, "mflag", "-f", str(f[0]))
    time.sleep(2.2)
    with daemon.login() as s:
        assert "\\Flagged" not in by_uuid(index(s)[0], uuid)["flags"]


@need_mblaze
def test_message_added_by_other_program(daemon):
    with daemon.login() as s:
        one(s, "CHECK /INBOX", 240)
    md = daemon.maildir("alice")
    name = "1700000001.M1P1.otherhost"
    (md / "tmp" / name).write_bytes(b"From: x@other.test\nSubject: "
                                    b"dropped in\n\nhello\n")
    os.rename(md / "tmp" / name, md / "new" / name)
    with daemon.login() as s:
        msgs = index(s)[0]
        found = [m for m in msgs if m["subject"] == '"dropped in"']
        assert len(found) == 1
        uuid = found[0]["uuid"]
        r, data = s.fetch("/INBOX#" + uuid)
        assert r.code == 251 and data.endswith(b"hello\n")
    # the same UUID after the index is rebuilt (derived from the name)
    for p in md.rglob("immp-index.db"):
        p.unlink()
    with daemon.login() as s:
        assert [m["uuid"] for m in index(s)[0]
                if m["subject"] == '"dropped in"'] == [uuid]
    assert [p for p in mlist(daemon, None, "-S") if name in p.name]


def immp(d, *args, account=ALICE, timeout=60):
    return run_immp_cmd(d, account, list(args), timeout=timeout)


def ok(r):
    assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
    return r.stdout.decode()


def test_immp_client_commands(daemon, tmp_path):
    att = os.urandom(5000)
    uuid = send(daemon, "client test", "Grüße\n".encode(),
                extra=[("x.bin", "application/octet-stream", att, False)])
    with daemon.login() as s:
        m = wait_uuid(s, uuid)
    out = ok(immp(daemon, "check"))
    assert LINE240.match(out.strip()), out
    out = ok(immp(daemon, "check", "-r"))
    assert "/Sent " in out and "/INBOX " in out
    out = ok(immp(daemon, "index", "--unread"))
    assert uuid in out and out.splitlines()[0].split(" ")[0].isdigit()
    out = ok(immp(daemon, "index", "--json", "--limit", "10000"))
    objs = [json.loads(line) for line in out.splitlines()]
    assert uuid in [o["uuid"] for o in objs]
    out = ok(immp(daemon, "index", "--since", "0", "--from", "1"))
    assert uuid in out
    # fetch to a file, exact octets, stays unread with --keep-unread
    dest = tmp_path / "m.eml"
    ok(immp(daemon, "fetch", "/INBOX#" + uuid, "-o", str(dest),
            "--keep-unread"))
    stored = [p for p in (daemon.maildir("alice") / "cur").iterdir()
              if uuid in p.name]
    assert dest.read_bytes() == stored[0].read_bytes()
    assert oct(dest.stat().st_mode & 0o777) == "0o600"
    with daemon.login() as s:
        assert "\\Seen" not in by_uuid(index(s)[0], uuid)["flags"]
    r = immp(daemon, "fetch", "/INBOX#" + uuid, "--json", "--pretty")
    o = json.loads(ok(r))
    assert o["uuid"] == uuid and o["uid"] == m["uid"]
    # flag, keywords, unknown flag syntax
    out = ok(immp(daemon, "flag", "/INBOX#" + uuid, "+flagged", "-seen",
                  "+todo"))
    assert "\\Flagged" in out and "todo" in out and "\\Seen" not in out
    r = immp(daemon, "flag", "/INBOX#" + uuid, "flagged")
    assert r.returncode == 1
    # folders
    ok(immp(daemon, "mkdir", "/Client"))
    assert immp(daemon, "mkdir", "/Client").returncode == 1
    assert immp(daemon, "mkdir", "../evil").returncode == 1
    out = ok(immp(daemon, "folders"))
    assert re.search(r"^/Client t=0 u=0$", out, re.M), out
    ok(immp(daemon, "copy", "/INBOX#" + uuid, "/Client"))
    ok(immp(daemon, "rename", "/Client", "/Client2"))
    out = ok(immp(daemon, "move", "/Client2#" + uuid, "/Drafts"))
    assert out.startswith("/Drafts#%s uid=" % uuid)
    ok(immp(daemon, "delete", "/Drafts#" + uuid))
    with daemon.login() as s:
        assert by_uuid(index(s, "/Drafts")[0], uuid) is None
        assert by_uuid(index(s)[0], uuid) is not None
    ok(immp(daemon, "rmdir", "/Client2"))
    r = immp(daemon, "check", "/Client2")
    assert r.returncode == 1 and b"440" in r.stderr
    r = immp(daemon, "fetch", "/INBOX#" + "0" * 8 + "-0000-0000-0000-" +
             "0" * 12)
    assert r.returncode == 1 and b"441" in r.stderr
    # bad arguments are refused before connecting
    assert immp(daemon, "index", "--limit", "x").returncode == 1
    assert immp(daemon, "fetch").returncode == 1


def test_immp_watch(daemon):
    pwfile = daemon.base / "password-watch"
    pwfile.write_text(daemon.users[ALICE] + "\n")
    os.chmod(pwfile, 0o600)
    p = subprocess.Popen([harness.binary("immp"), "-H",
                          "127.0.0.1:%d" % daemon.port, "-u", ALICE,
                          "--password-file", str(pwfile), "--ca",
                          str(daemon.cert), "watch"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert p.stdout.readline().startswith(b"immp: watching")
        uuid = send(daemon, "watched")
        line = p.stdout.readline().decode()
        assert re.match(r"^150 /INBOX#%s uid=[0-9]+\r?\n$" % uuid, line), \
            line
        with daemon.login() as s:
            wait_uuid(s, uuid)
            one(s, "FLAG /INBOX#%s +FLAGGED" % uuid, 246)
        line = p.stdout.readline().decode()
        assert line.startswith("151 /INBOX#%s " % uuid), line
        p.send_signal(signal.SIGINT)
        assert p.wait(10) == 0
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def makemap(d, name, text):
    src = d.base / (name + ".txt")
    src.write_text(text)
    db = d.base / (name + ".db")
    r = subprocess.run([harness.binary("immpctl"), "makemap", "-t", "plain",
                        str(src), str(db)], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=30)
    assert r.returncode == 0, r.stdout
    return db


def test_shared_mailbox(tmp_path_factory, certs):
    """alice is linked to helpdesk@demo.test by the mailboxes table; bob
    is not."""
    base = tmp_path_factory.mktemp("shared")
    users = {a: harness.random_password() for a in
             (ALICE, BOB, "helpdesk@demo.test")}
    table = base / "mailboxes.db"
    d = harness.Daemon(base / "d", certs["cert"], certs["key"],
                       users=users,
                       extra_conf='table shared db:"%s"\nmailboxes shared'
                       % table)
    makemap(d, "mailboxes", "alice@demo.test helpdesk@demo.test\n")
    os.replace(d.base / "mailboxes.db", table)
    d.start()
    try:
        uuid = send(d, "help me", rcpt="helpdesk@demo.test")
        with d.login() as s, d.login("helpdesk@demo.test") as h:
            wait_uuid(h, uuid)
            ref = "helpdesk/alice@demo.test/INBOX"
            m = wait_uuid(s, uuid, ref)
            r, data = s.fetch("%s#%s" % (ref, uuid))
            assert r.code == 251 and b"help me" in data
            assert r.text.startswith("/INBOX#%s " % uuid)
            assert by_uuid(index(s)[0], uuid) is None     # not alice's
            one(s, "FLAG %s#%s +FLAGGED" % (ref, uuid), 246)
            n = h.wait_note()           # the owner's session is told
            assert n.code == 151 and uuid in n.text
            # alice used the shared mailbox: she hears of its changes
            one(h, "FLAG /INBOX#%s +ANSWERED" % uuid, 246)
            n = s.wait_note()
            assert n.code == 151 and uuid in n.text
            assert m["uid"] == by_uuid(index(h)[0], uuid)["uid"]
        with d.login(BOB) as b:
            assert b.mbox("CHECK helpdesk/bob@demo.test/INBOX")[-1].code \
                == 445
            assert b.mbox("CHECK helpdesk/alice@demo.test/INBOX")[-1] \
                .code == 445
    finally:
        d.stop()
