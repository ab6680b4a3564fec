"""Mailbox access over IMMP end to end (immp(7) MAILBOXES, MBOX,
NOTIFICATIONS): real daemons, real TLS, the Python client.  Messages are
delivered with DELIVER and read back with MBOX; UIDs, UIDVALIDITY and
MODSEQ follow the rules of immp(7); pipelined answers never mix."""

import email
import email.policy
import json
import os
import re
import time

import immpclient

UUID_RE = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
QW = r'"(?:[^"\\]|\\.)*"'
LINE241 = re.compile(r"^([0-9]+) (%s) ([0-9]+) (\S+) ([0-9]+) "
                     r"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:"
                     r"[0-9]{2}Z) (%s) (%s)$" % (UUID_RE, QW, QW))
LINE240 = re.compile(r"^(\S+) u=([0-9]+) t=([0-9]+) uidvalidity=([0-9]+) "
                     r"uidnext=([0-9]+) highestmodseq=([0-9]+)$")
LINE242 = re.compile(r"^([0-9]+) messages uidvalidity=([0-9]+) "
                     r"highestmodseq=([0-9]+)(?: next=([0-9]+))?$")
ALICE = "alice@demo.test"
BOB = "bob@demo.test"


# -- helpers, also used by test_mbox_hostile.py and test_mbox_interop.py --

def send(d, subject="hello", body=b"hi\n", rcpt=ALICE, sender=BOB,
         extra=()):
    """Delivers one message (metadata + text body + extra parts) to the
    INBOX of rcpt and returns its UUID once the file is in the Maildir
    (new/ or cur/): a session opened afterwards is not told of it."""
    parts = [("metadata", "text/rfc822-headers",
              ("Subject: %s\n" % subject).encode(), False),
             ("body.txt", "text/plain", body, True)] + list(extra)
    with d.login(sender) as s:
        uuid = s.deliver([rcpt], parts)
    user = rcpt.split("@")[0]

    def there():
        return [p for sub in ("new", "cur")
                for p in d.messages(user, sub=sub) if uuid in p.name]
    assert immpclient.wait_for(there, 20), "%s not delivered:\n%s" % (
        uuid, d.log_tail())
    return uuid


def parse_flags(text):
    return set() if text == "-" else set(text.split(","))


def index(s, folder="/INBOX", extra=""):
    """MBOX INDEX: (list of message dicts, dict of the 242 line, list of
    vanished uids)."""
    lines = s.mbox("INDEX %s%s" % (folder, " " + extra if extra else ""))
    last = lines[-1]
    assert last.code == 242, last.raw
    m = LINE242.match(last.text)
    assert m, last.raw
    summary = {"n": int(m.group(1)), "uidvalidity": int(m.group(2)),
               "highestmodseq": int(m.group(3)),
               "next": int(m.group(4)) if m.group(4) else None}
    msgs, vanished = [], []
    for r in lines[:-1]:
        assert r.more
        if r.code == 243:
            assert r.text.startswith("vanished "), r.raw
            uids = r.text.split(" ", 1)[1].split(",")
            assert 1 <= len(uids) <= 100
            vanished += [int(u) for u in uids]
            continue
        if r.code == 250:
            o = json.loads(r.text)
            msgs.append({"uid": o["uid"], "uuid": o["uuid"],
                         "modseq": o["modseq"], "flags": set(o["flags"]),
                         "size": o["size"], "date": o["date"],
                         "from": o["from"], "subject": o["subject"]})
            continue
        assert r.code == 241, r.raw
        m = LINE241.match(r.text)
        assert m, r.raw
        msgs.append({"uid": int(m.group(1)), "uuid": m.group(2),
                     "modseq": int(m.group(3)),
                     "flags": parse_flags(m.group(4)),
                     "size": int(m.group(5)), "date": m.group(6),
                     "from": m.group(7), "subject": m.group(8)})
    assert summary["n"] == len(msgs), (summary, len(msgs))
    return msgs, summary, vanished


def check(s, folder="/INBOX"):
    lines = s.mbox("CHECK " + folder)
    assert len(lines) == 1 and lines[0].code == 240, lines
    m = LINE240.match(lines[0].text)
    assert m, lines[0].raw
    return {"path": m.group(1), "u": int(m.group(2)), "t": int(m.group(3)),
            "uidvalidity": int(m.group(4)), "uidnext": int(m.group(5)),
            "highestmodseq": int(m.group(6))}


def wait_uuid(s, uuid, folder="/INBOX", timeout=20):
    """The INDEX entry of uuid in folder, polling until it is there."""
    end = time.monotonic() + timeout
    while True:
        msgs, _, _ = index(s, folder)
        for m in msgs:
            if m["uuid"] == uuid:
                return m
        assert time.monotonic() < end, "%s never showed up in %s" % (
            uuid, folder)
        time.sleep(0.2)


def by_uuid(msgs, uuid):
    found = [m for m in msgs if m["uuid"] == uuid]
    assert len(found) <= 1
    return found[0] if found else None


def one(s, args, code, pid=None):
    """MBOX args with a one-line answer of code; returns the Reply."""
    lines = s.mbox(args, pid)
    assert len(lines) == 1 and lines[0].code == code, (args, lines)
    return lines[0]


def parse_mime(data):
    return email.message_from_bytes(data, policy=email.policy.default)


# -- tests ---------------------------------------------------------------

def test_list_has_default_folders(daemon):
    with daemon.login() as s:
        lines = s.mbox("LIST")
        assert not lines[-1].more
        paths = {}
        for r in lines:
            assert r.code == 244, r.raw
            m = re.match(r"^(\S+) t=([0-9]+) u=([0-9]+)$", r.text)
            assert m, r.raw
            paths[m.group(1)] = (int(m.group(2)), int(m.group(3)))
        for p in ("/INBOX", "/Drafts", "/Sent", "/Junk"):
            assert p in paths, paths
        # the default folders exist on disk as Maildir++ folders
        for f in ("Drafts", "Sent", "Junk"):
            assert (daemon.maildir("alice", f) / "cur").is_dir()


def test_check_index_fetch_mime(daemon):
    att = bytes(range(256)) * 20 + os.urandom(3000)
    body = "Grüße ✓\nline two\n".encode()
    uuid = send(daemon, "Report ü 2026", body,
                extra=[("blob.bin", "application/octet-stream", att,
                        False)])
    with daemon.login() as s:
        m = wait_uuid(s, uuid)
        assert "\\Seen" not in m["flags"]
        assert m["subject"] == '"Report ü 2026"'
        assert "bob@demo.test" in m["from"]
        st = check(s)
        assert st["path"] == "/INBOX"
        assert st["t"] >= 1 and st["u"] >= 1
        assert st["uidnext"] > m["uid"]
        assert st["highestmodseq"] >= m["modseq"]

        r, data = s.fetch("/INBOX#" + uuid)
        assert r.code == 251, r.raw
        assert r.text == "/INBOX#%s LENGTH %d" % (uuid, len(data))
        assert len(data) == m["size"]
        stored = [p for p in (daemon.maildir("alice") / "cur").iterdir()
                  if uuid in p.name]
        assert len(stored) == 1 and stored[0].read_bytes() == data
        msg = parse_mime(data)
        assert msg["IMMP-UUID"] == uuid
        assert msg["Subject"] == "Report ü 2026"
        leaves = [p for p in msg.walk() if not p.is_multipart()]
        got = {p.get_filename() or p.get_content_type():
               p.get_payload(decode=True) for p in leaves}
        assert got["blob.bin"] == att
        assert body in got.values()
        # the session goes on normally after the literal
        s.cmd("NOOP")
        assert s.answer()[-1].code == 200
        # FETCH set \Seen, and the file name says so (Maildir info S)
        m2 = by_uuid(index(s)[0], uuid)
        assert "\\Seen" in m2["flags"] and m2["modseq"] > m["modseq"]
        stored = [p for p in (daemon.maildir("alice") / "cur").iterdir()
                  if uuid in p.name]
        assert re.search(r":2,[A-Z]*S", stored[0].name), stored[0].name


def test_fetch_keep_unread(daemon):
    uuid = send(daemon, "unread stays")
    with daemon.login() as s:
        wait_uuid(s, uuid)
        r, data = s.fetch("/INBOX#" + uuid, "-READ")
        assert r.code == 251 and data
        assert "\\Seen" not in by_uuid(index(s)[0], uuid)["flags"]
        msgs, _, _ = index(s, "/INBOX::unread")
        assert by_uuid(msgs, uuid) is not None
        assert all("\\Seen" not in m["flags"] for m in msgs)


def test_fetch_json_and_part(daemon):
    att = os.urandom(2000)
    body = "JSON body ✓\n".encode()
    uuid = send(daemon, "json test", body,
                extra=[("a.bin", "application/octet-stream", att, False)])
    with daemon.login() as s:
        m = wait_uuid(s, uuid)
        r, data = s.fetch("/INBOX#" + uuid, "+JSON")
        assert r.code == 250, r.raw
        assert r.text == "/INBOX#%s LENGTH %d" % (uuid, len(data))
        assert b"\n" not in data.strip()
        o = json.loads(data)
        assert o["uuid"] == uuid and o["uid"] == m["uid"]
        assert o["envelope"]["subject"] == "json test"
        parts = o["parts"]
        texts = [p for p in parts if p.get("text") is not None]
        assert any(p["text"] == body.decode() for p in texts), parts
        bins = [p for p in parts if p.get("base64") is not None]
        import base64
        assert any(base64.b64decode(p["base64"]) == att for p in bins)
        r2, pretty = s.fetch("/INBOX#" + uuid, "+JSON +PRETTY")
        assert r2.code == 250 and b"\n  " in pretty
        assert json.loads(pretty)["parts"] == parts
        # a single part, transfer encoding removed
        pid = [p for p in bins if base64.b64decode(p["base64"]) == att][0]
        r3, raw = s.fetch("/INBOX#" + uuid, "PART " + pid["id"])
        assert r3.code == 251, r3.raw
        assert " PART %s TYPE " % pid["id"] in r3.text
        assert raw == att
        r4, none = s.fetch("/INBOX#" + uuid, "PART 99")
        assert r4.code == 446 and none is None


def test_uids_ascending_never_reused(daemon):
    with daemon.login() as s:
        u1 = send(daemon, "u1")
        u2 = send(daemon, "u2")
        m1, m2 = wait_uuid(s, u1), wait_uuid(s, u2)
        v0 = check(s)["uidvalidity"]
        one(s, "FLAG /INBOX#%s +DELETED" % u2, 246)
        r = one(s, "EXPUNGE /INBOX#%s" % u2, 248)
        assert r.text.startswith("1 ")
        r, _ = s.fetch("/INBOX#" + u2)
        assert r.code == 441
        u3 = send(daemon, "u3")
        m3 = wait_uuid(s, u3)
        assert m3["uid"] > max(m1["uid"], m2["uid"])
        msgs, summ, _ = index(s)
        uids = [m["uid"] for m in msgs]
        assert uids == sorted(uids) and len(set(uids)) == len(uids)
        assert m2["uid"] not in uids
        assert summ["uidvalidity"] == v0 == check(s)["uidvalidity"]


def test_delete_and_recreate_changes_uidvalidity(daemon):
    uuid = send(daemon, "to copy")
    with daemon.login() as s:
        wait_uuid(s, uuid)
        one(s, "CREATE /Recreate", 245)
        r = one(s, "COPY /INBOX#%s /Recreate" % uuid, 247)
        assert r.text.startswith("/Recreate#%s uid=" % uuid)
        c1 = check(s, "/Recreate")
        assert c1["t"] == 1
        one(s, "DELETE /Recreate", 245)
        assert s.mbox("CHECK /Recreate")[-1].code == 440
        one(s, "CREATE /Recreate", 245)
        c2 = check(s, "/Recreate")
        assert c2["t"] == 0 and c2["uidvalidity"] != c1["uidvalidity"]
        one(s, "COPY /INBOX#%s /Recreate" % uuid, 247)
        one(s, "DELETE /Recreate", 245)


def test_modseq_and_since(daemon):
    a = send(daemon, "since a")
    b = send(daemon, "since b")
    c = send(daemon, "since c")
    with daemon.login() as s:
        for u in (a, b, c):
            wait_uuid(s, u)
        _, summ, _ = index(s)
        base = summ["highestmodseq"]
        ma = by_uuid(index(s)[0], a)
        r1 = one(s, "FLAG /INBOX#%s +FLAGGED +Work" % a, 246)
        m = re.match(r"^/INBOX#%s uid=([0-9]+) modseq=([0-9]+) "
                     r"flags=(\S+)$" % a, r1.text)
        assert m, r1.raw
        ms1 = int(m.group(2))
        assert ms1 > ma["modseq"] and ms1 > base
        assert parse_flags(m.group(3)) >= {"\\Flagged", "work"}
        r2 = one(s, "FLAG /INBOX#%s -flagged" % a, 246)
        ms2 = int(re.search(r"modseq=([0-9]+)", r2.text).group(1))
        assert ms2 > ms1
        assert "\\Flagged" not in r2.text and "work" in r2.text
        one(s, "FLAG /INBOX#%s +DELETED" % b, 246)
        mb = by_uuid(index(s)[0], b)
        one(s, "EXPUNGE /INBOX", 248)
        msgs, summ2, vanished = index(s, "/INBOX", "SINCE %d" % base)
        assert [m["uuid"] for m in msgs] == [a], msgs
        assert msgs[0]["modseq"] == ms2
        assert vanished == [mb["uid"]]
        assert summ2["highestmodseq"] >= ms2
        # nothing changed since the newest MODSEQ
        msgs, _, vanished = index(s, "/INBOX",
                                  "SINCE %d" % summ2["highestmodseq"])
        assert msgs == [] and vanished == []
        assert by_uuid(index(s)[0], c) is not None


def test_index_paging_and_selectors(daemon):
    uuids = [send(daemon, "page %d" % i) for i in range(5)]
    with daemon.login() as s:
        for u in uuids:
            wait_uuid(s, u)
        allm, _, _ = index(s)
        got, start = [], None
        while True:
            msgs, summ, _ = index(s, "/INBOX", "LIMIT 2" + (
                " FROM %d" % start if start else ""))
            assert len(msgs) <= 2
            got += msgs
            if summ["next"] is None:
                break
            assert summ["next"] > msgs[-1]["uid"]
            start = summ["next"]
        assert [m["uid"] for m in got] == [m["uid"] for m in allm]
        one(s, "FLAG /INBOX#%s +FLAGGED" % uuids[0], 246)
        flagged, _, _ = index(s, "/INBOX::FLAGGED")
        assert uuids[0] in [m["uuid"] for m in flagged]
        assert all("\\Flagged" in m["flags"] for m in flagged)
        # +JSON gives the same messages as the text form
        js, _, _ = index(s, "/INBOX", "+JSON")
        assert [(m["uid"], m["uuid"], m["flags"]) for m in js] == [
            (m["uid"], m["uuid"], m["flags"]) for m in index(s)[0]]


def test_copy_and_move(daemon):
    uuid = send(daemon, "move me")
    with daemon.login() as s:
        wait_uuid(s, uuid)
        r = one(s, "COPY /INBOX#%s /Drafts" % uuid, 247)
        assert re.match(r"^/Drafts#%s uid=[0-9]+$" % uuid, r.text), r.raw
        one(s, "CREATE /Archive/2026", 245)
        r = one(s, "MOVE /Drafts#%s /Archive/2026" % uuid, 247)
        assert r.text.startswith("/Archive/2026#%s uid=" % uuid)
        assert by_uuid(index(s, "/Drafts")[0], uuid) is None
        assert by_uuid(index(s, "/Archive/2026")[0], uuid) is not None
        assert by_uuid(index(s)[0], uuid) is not None
        assert (daemon.maildir("alice", "Archive.2026") / "cur").is_dir()
        r, data = s.fetch("/Archive/2026#" + uuid)
        assert r.code == 251 and b"move me" in data
        r, _ = s.fetch("/Drafts#" + uuid)
        assert r.code == 441


def test_folder_operations(daemon):
    with daemon.login() as s:
        one(s, "CREATE /Lists", 245)
        r = one(s, "CREATE /Lists/Rust", 245)
        assert r.text == "Folder /Lists/Rust created."
        assert (daemon.maildir("alice", "Lists.Rust") / "new").is_dir()
        one(s, "CREATE /Lists/Rust", 442)
        one(s, "DELETE /Lists", 443)            # has a subfolder
        for f in ("/INBOX", "/inbox", "/Sent", "/Drafts", "/junk"):
            one(s, "DELETE " + f, 443)
            one(s, "RENAME %s /Other" % f, 443)
        one(s, "DELETE /Nope", 440)
        one(s, "RENAME /Nope /Nope2", 440)
        r = one(s, "RENAME /Lists /Groups", 245)
        assert r.text == "Folder /Lists renamed to /Groups."
        assert check(s, "/Groups/Rust")["t"] == 0
        assert s.mbox("CHECK /Lists/Rust")[-1].code == 440
        one(s, "CREATE /Taken", 245)
        one(s, "RENAME /Groups /Taken", 443)
        one(s, "DELETE /Groups/Rust", 245)
        one(s, "DELETE /Groups", 245)
        one(s, "DELETE /Taken", 245)
        rec = s.mbox("CHECK / +RECURSIVE")
        assert rec[-1].code == 240
        paths = [LINE240.match(r.text).group(1) for r in rec]
        assert "/INBOX" in paths and "/Sent" in paths


def test_check_case_of_default_folders(daemon):
    with daemon.login() as s:
        assert check(s, "/inbox")["path"] == "/INBOX"
        assert check(s, "/SENT")["path"] == "/Sent"
        assert check(s, "alice@demo.test/Junk")["path"] == "/Junk"


def test_notifications_two_sessions(daemon):
    uuid = send(daemon, "notify")
    with daemon.login() as s1, daemon.login() as s2:
        wait_uuid(s1, uuid)
        wait_uuid(s2, uuid)
        r = one(s1, "FLAG /INBOX#%s +FLAGGED" % uuid, 246)
        n = s2.wait_note()
        assert n.code == 151 and n.id is None
        assert n.text == r.text, (n.raw, r.raw)
        # the session that made the change is not told
        s1.cmd("NOOP")
        assert [x.code for x in s1.answer()] == [200]
        assert s1.notes_list() == []
        # a delivery is told to both live sessions
        new = send(daemon, "live")
        for s in (s1, s2):
            n = s.wait_note(20)
            assert n.code == 150, n.raw
            assert re.match(r"^/INBOX#%s uid=[0-9]+$" % new, n.text), n.raw
        # folder events and expunges
        one(s2, "CREATE /Notified", 245)
        n = s1.wait_note()
        assert n.code == 153 and n.text == "/Notified created", n.raw
        one(s2, "DELETE /Notified", 245)
        assert s1.wait_note().text == "/Notified deleted"
        one(s2, "FLAG /INBOX#%s +DELETED" % new, 246)
        assert s1.wait_note().code == 151
        one(s2, "EXPUNGE /INBOX#%s" % new, 248)
        n = s1.wait_note()
        assert n.code == 152 and n.text.startswith("/INBOX#%s uid=" % new)
        assert n.text.endswith(" expunged")
    # bob hears nothing of alice's mailbox
    with daemon.login(BOB) as sb:
        send(daemon, "not for bob")
        sb.cmd("NOOP")
        time.sleep(1)
        assert [x.code for x in sb.answer()] == [200]
        assert sb.notes_list() == []


def test_set_notify_none_silences_mailbox_lines(daemon):
    uuid = send(daemon, "quiet please")
    with daemon.login() as s1, daemon.login() as s2:
        wait_uuid(s1, uuid)
        s2.cmd("SET NOTIFY=NONE")
        assert s2.answer()[-1].code == 230
        one(s1, "FLAG /INBOX#%s +FLAGGED" % uuid, 246)
        send(daemon, "also quiet")
        time.sleep(1)
        s2.cmd("SET NOTIFY=ALL")
        assert s2.answer()[-1].code == 230
        assert s2.notes_list() == []
        one(s1, "FLAG /INBOX#%s -FLAGGED" % uuid, 246)
        assert s2.wait_note().code == 151


def test_pipelined_fetches_do_not_interleave(daemon):
    big = os.urandom(300 * 1024)
    u1 = send(daemon, "pipe one", extra=[("big.bin",
                                          "application/octet-stream", big,
                                          False)])
    u2 = send(daemon, "pipe two", b"second\n")
    with daemon.login() as s:
        wait_uuid(s, u1)
        wait_uuid(s, u2)
        _, d1 = s.fetch("/INBOX#" + u1, "-READ")
        _, d2 = s.fetch("/INBOX#" + u2, "-READ")
        s.cmd("AS a MBOX FETCH /INBOX#%s -READ; AS b MBOX FETCH "
              "/INBOX#%s -READ; AS c MBOX INDEX /INBOX; "
              "AS d MBOX FETCH /INBOX#%s +JSON -READ; AS e NOOP"
              % (u1, u2, u1))
        ra, da = s.literal("a")
        rb, db = s.literal("b")
        lc = s.answer("c")
        rd, dd = s.literal("d")
        le = s.answer("e")
        assert (ra.id, rb.id, rd.id) == ("a", "b", "d")
        assert da == d1 and db == d2
        assert all(r.id == "c" for r in lc) and lc[-1].code == 242
        assert [r.code for r in lc[:-1]] == [241] * (len(lc) - 1)
        assert json.loads(dd)["uuid"] == u1
        assert le[-1].code == 200


def test_pop3_style_delete_on_quit(daemon):
    keep = send(daemon, "pop keep")
    gone = send(daemon, "pop gone")
    with daemon.login() as s:
        wait_uuid(s, keep)
        wait_uuid(s, gone)
        # fetched +DELETE but the connection drops: nothing is lost
        r, data = s.fetch("/INBOX#" + keep, "+DELETE")
        assert r.code == 251 and b"pop keep" in data
    with daemon.login() as s:
        m = by_uuid(index(s)[0], keep)
        assert m is not None and "\\Deleted" in m["flags"]
        one(s, "FLAG /INBOX#%s -DELETED" % keep, 246)
        # fetched +DELETE, then \Deleted cleared again: it stays
        r, _ = s.fetch("/INBOX#" + keep, "+DELETE")
        assert r.code == 251
        one(s, "FLAG /INBOX#%s -DELETED" % keep, 246)
        r, data = s.fetch("/INBOX#" + gone, "+DELETE")
        assert r.code == 251 and b"pop gone" in data
        s.cmd("QUIT")
        assert s.answer()[-1].code == 201
        assert s.at_eof()
    with daemon.login() as s:
        msgs = index(s)[0]
        assert by_uuid(msgs, gone) is None
        assert by_uuid(msgs, keep) is not None
        r, _ = s.fetch("/INBOX#" + gone)
        assert r.code == 441
    assert not [p for p in (daemon.maildir("alice") / "cur").iterdir()
                if gone in p.name]


def test_index_loss_rebuilds_same_uuids_and_flags(daemon):
    u1 = send(daemon, "rebuild 1")
    u2 = send(daemon, "rebuild 2")
    with daemon.login() as s:
        wait_uuid(s, u1)
        wait_uuid(s, u2)
        one(s, "FLAG /INBOX#%s +FLAGGED +ANSWERED" % u1, 246)
        one(s, "COPY /INBOX#%s /Sent" % u2, 247)
        # keywords live in the index only (immp(7) MAILBOXES): compare
        # the system flags, which the file names keep
        before = {m["uuid"]: {f for f in m["flags"] if f[0] == "\\"}
                  for m in index(s)[0]}
        assert before[u1] == {"\\Flagged", "\\Answered"}
        sent_before = {m["uuid"] for m in index(s, "/Sent")[0]}
        v_before = check(s)["uidvalidity"]
    dbs = list(daemon.maildir("alice").rglob("immp-index.db"))
    assert dbs, "no index files"
    for p in dbs:
        p.unlink()
    with daemon.login() as s:
        st = check(s)
        assert st["t"] == len(before)
        assert st["uidvalidity"] != v_before
        after = {m["uuid"]: {f for f in m["flags"] if f[0] == "\\"}
                 for m in index(s)[0]}
        assert after == before
        assert {m["uuid"] for m in index(s, "/Sent")[0]} == sent_before
        msgs = index(s)[0]
        uids = [m["uid"] for m in msgs]
        assert uids == sorted(uids) and len(set(uids)) == len(uids)
    assert list(daemon.maildir("alice").glob("immp-index.db"))


def test_large_index_is_streamed(daemon):
    """3000 messages put into a folder by another program: INDEX streams
    them all (well beyond the output buffer), and a pipelined command
    after it still gets its answer."""
    with daemon.login() as s:
        one(s, "CREATE /Bulk", 245)
    cur = daemon.maildir("alice", "Bulk") / "cur"
    for i in range(3000):
        (cur / ("1700000000.%d_0.otherhost:2,S" % i)).write_bytes(
            b"From: x%d@other.test\nSubject: bulk %d\n\nbody %d\n"
            % (i, i, i))
    with daemon.login() as s:
        s.cmd("AS x MBOX INDEX /Bulk; AS y MBOX CHECK /Bulk")
        lx = s.answer("x")
        ly = s.answer("y")
        assert len(lx) == 3001 and lx[-1].code == 242
        subjects = {LINE241.match(r.text).group(8) for r in lx[:-1]}
        assert len(subjects) == 3000 and '"bulk 2999"' in subjects
        assert LINE240.match(ly[0].text).group(3) == "3000"
        uuids = [LINE241.match(r.text).group(2) for r in lx[:-1]]
        assert len(set(uuids)) == 3000
        assert all(LINE241.match(r.text).group(4) == "\\Seen"
                   for r in lx[:-1])


def test_notification_waits_for_literal(daemon):
    """A notification raised while a large literal is on its way comes
    after the literal, never inside it."""
    big = os.urandom(2 * 1024 * 1024)
    uuid = send(daemon, "large", extra=[("big.bin",
                                         "application/octet-stream", big,
                                         False)])
    small = send(daemon, "small")
    with daemon.login() as s1, daemon.login() as s2:
        wait_uuid(s1, uuid)
        wait_uuid(s1, small)
        s2.cmd("MBOX FETCH /INBOX#%s -READ" % uuid)
        time.sleep(0.5)         # s2 reads nothing: its output is full
        one(s1, "FLAG /INBOX#%s +FLAGGED" % small, 246)
        time.sleep(0.5)
        r, data = s2.literal()
        assert r.code == 251
        msg = parse_mime(data)
        got = [p.get_payload(decode=True) for p in msg.walk()
               if p.get_filename() == "big.bin"]
        assert got == [big]
        n = s2.wait_note()
        assert n.code == 151 and small in n.text


def test_large_message_fetch(daemon):
    big = os.urandom(3 * 1024 * 1024 + 17)
    uuid = send(daemon, "three megabytes",
                extra=[("big.bin", "application/octet-stream", big,
                        False)])
    with daemon.login() as s:
        wait_uuid(s, uuid)
        r, data = s.fetch("/INBOX#" + uuid, "-READ")
        msg = parse_mime(data)
        assert [p.get_payload(decode=True) for p in msg.walk()
                if p.get_filename() == "big.bin"] == [big]
