"""MBOX with hostile and malformed arguments (immp(7) MAILBOXES, MBOX):
every bad form gets its reply code, nothing outside the Maildir is
touched, and the daemon goes on serving."""

import os

import pytest

from test_mbox import ALICE, index, one, parse_mime, send, wait_uuid

U = "0123abcd-0123-4567-89ab-0123456789ab"

# (arguments after "MBOX", expected code)
CASES = [
    # syntax
    ("", 400),
    ("FROB /INBOX", 400),
    ("LIST /INBOX", 400),
    ("LIST +JSON", 400),
    ("CHECK", 400),
    ("CHECK /INBOX /Sent", 400),
    ("CHECK /INBOX -RECURSIVE", 400),
    ("CHECK /INBOX +FOO", 400),
    ("CHECK /INBOX#" + U, 400),
    ("INDEX", 400),
    ("INDEX /INBOX LIMIT", 400),
    ("INDEX /INBOX LIMIT 0", 400),
    ("INDEX /INBOX LIMIT 10001", 400),
    ("INDEX /INBOX LIMIT 99999999999999999999999999", 400),
    ("INDEX /INBOX LIMIT -5", 400),
    ("INDEX /INBOX LIMIT 010", 400),
    ("INDEX /INBOX LIMIT 5 LIMIT 6", 400),
    ("INDEX /INBOX FROM 0", 400),
    ("INDEX /INBOX FROM 4294967296", 400),
    ("INDEX /INBOX SINCE x", 400),
    ("INDEX /INBOX SINCE 99999999999999999999", 400),
    ("INDEX /INBOX BOGUS 5", 400),
    ("INDEX /INBOX::bogus", 400),
    ("INDEX /INBOX:: ", 400),
    ("INDEX /INBOX -JSON", 400),
    ("FETCH /INBOX", 400),
    ("FETCH /INBOX#", 400),
    ("FETCH /INBOX#" + U.upper(), 400),
    ("FETCH /INBOX#" + U[:-1], 400),
    ("FETCH /INBOX#" + U + "0", 400),
    ("FETCH /INBOX#" + U.replace("-", "_"), 400),
    ("FETCH /INBOX#../../etc/passwd", 400),
    ("FETCH /INBOX#%s PART" % U, 400),
    ("FETCH /INBOX#%s PART 0" % U, 400),
    ("FETCH /INBOX#%s PART 1..2" % U, 400),
    ("FETCH /INBOX#%s PART 1.x" % U, 400),
    ("FETCH /INBOX#%s PART %s" % (U, ".".join(["1"] * 20)), 400),
    ("FETCH /INBOX#%s +PRETTY" % U, 400),
    ("FETCH /INBOX#%s +READ" % U, 400),
    ("FETCH /INBOX#%s -DELETE" % U, 400),
    ("FETCH /INBOX#%s +JSON +JSON" % U, 400),
    ("FETCH /INBOX#%s +EVIL" % U, 400),
    ("FLAG /INBOX#" + U, 400),
    ("FLAG /INBOX %s" % "+SEEN", 400),
    ("FLAG /INBOX#%s +SEEN -seen" % U, 400),
    ("FLAG /INBOX#%s +%s" % (U, "k" * 33), 400),
    ("COPY /INBOX#%s" % U, 400),
    ("COPY /INBOX /Sent", 400),
    ("MOVE /INBOX#%s /Sent#%s" % (U, U), 400),
    ("CREATE", 400),
    ("CREATE /a /b", 400),
    ("CREATE /a#" + U, 400),
    ("RENAME /a", 400),
    ("EXPUNGE", 400),
    ("EXPUNGE /INBOX#zz", 400),
    # bad mailbox ids
    ("CHECK imid:alice@demo.test/INBOX", 400),
    ("CHECK alice+x@demo.test/INBOX", 400),
    ("CHECK alice@-bad-/INBOX", 400),
    ("CHECK a/b/alice@demo.test/INBOX", 400),
    # invalid folder names: never touch the disk
    ("CHECK INBOX", 444),
    ("CHECK ../x", 444),
    ("CHECK /../x", 444),
    ("CHECK /.x/..", 444),
    ("CHECK /a/../b", 444),
    ("CHECK /.hidden", 444),
    ("CHECK /a.b", 444),
    ("CHECK /a//b", 444),
    ("CHECK /a/", 444),
    ("CHECK /", 444),
    ("CHECK //", 444),
    ('CHECK "/a b"', 444),
    ('CHECK "/Entwürfe"', 444),
    ('CHECK "/日本"', 444),
    ('CHECK "/a\\\\b"', 444),
    ("CHECK /a:b", 444),
    ("CHECK /a*", 444),
    ("CHECK /%s" % ("x" * 65), 444),
    ("CHECK " + "/abcdefghijklmnopqrstuvwxy" * 8, 444),   # 208 octets
    ("CHECK " + "/a" * 9, 444),
    ("CREATE /tmp/../../../../etc", 444),
    ("CREATE ../../../../tmp/evil", 444),
    ("CREATE /.x/..", 444),
    ("CREATE /x.", 444),
    ("RENAME /Sent ../x", 444),
    ("RENAME /Sent /.", 444),
    ("COPY /INBOX#%s ../x" % U, 444),
    ("MOVE /INBOX#%s /a/../../b" % U, 444),
    ("MOVE /INBOX#%s bob@demo.test/INBOX" % U, 444),
    ("INDEX /a/..::all", 444),
    # other people's mailboxes
    ("CHECK bob@demo.test/INBOX", 445),
    ("FETCH bob@demo.test/INBOX#" + U, 445),
    ("CHECK alice@other.test/INBOX", 445),
    ("CHECK helpdesk/bob@demo.test/INBOX", 445),
    ("CHECK helpdesk/alice@demo.test/INBOX", 445),     # no mailboxes table
    # well-formed, but nothing there
    ("CHECK /Nope", 440),
    ("INDEX /Nope/Deeper", 440),
    ("FETCH /Nope#" + U, 440),
    ("FETCH /INBOX#" + U, 441),
    ("FLAG /INBOX#%s +SEEN" % U, 441),
    ("COPY /INBOX#%s /Sent" % U, 441),
    ("COPY /INBOX#%s /Nope" % U, (440, 441)),
    ("EXPUNGE /INBOX#" + U, (248, 441)),
    ("DELETE /Nope", 440),
]


@pytest.mark.parametrize("args,code", CASES,
                         ids=[c[0][:40] or "empty" for c in CASES])
def test_bad_arguments(daemon, args, code):
    with daemon.login() as s:
        s.cmd("AS h MBOX " + args if args else "AS h MBOX")
        lines = s.answer("h")
        assert len(lines) == 1, lines
        want = code if isinstance(code, tuple) else (code,)
        assert lines[0].code in want, (args, lines[0].raw)
        # the session is fine afterwards
        s.cmd("NOOP")
        assert s.answer()[-1].code == 200


def test_nothing_created_outside(daemon):
    with daemon.login() as s:
        one(s, "CHECK /INBOX", 240)     # the mailbox exists from here
    before = set(os.listdir(daemon.base))
    before_mail = set(os.listdir(daemon.mail))
    with daemon.login() as s:
        for a in ("CREATE ../../x", "CREATE /..", "CREATE /.x/..",
                  "CREATE /a/../../../b", 'CREATE "/x/../../y"',
                  "RENAME /Sent ../../z"):
            assert s.mbox(a)[-1].code in (400, 444)
        one(s, "CREATE /Fine", 245)
    assert set(os.listdir(daemon.base)) == before
    assert set(os.listdir(daemon.mail)) == before_mail
    md = daemon.maildir("alice")
    names = sorted(p.name for p in md.iterdir() if p.name.startswith("."))
    assert ".Fine" in names
    assert not [n for n in names if ".." in n or n in (".", "..")]
    assert not (daemon.mail / "x").exists()


def test_state_checks(daemon):
    with daemon.session() as s:
        s.greeting()
        s.cmd("MBOX LIST")
        assert s.answer()[-1].code == 403
        s.upgrade()
        for a in ("LIST", "CHECK /INBOX", "FETCH /INBOX#" + U,
                  "CHECK ../x"):
            s.cmd("MBOX " + a)
            assert s.answer()[-1].code == 402, a
        # half way through AUTH SECRET is not LOCAL either
        s.auth_secret(ALICE)
        s.cmd("MBOX LIST")
        assert s.answer()[-1].code == 402


def test_too_many_switches_and_long_line(daemon):
    with daemon.login() as s:
        s.cmd("MBOX FLAG /INBOX#%s %s" % (
            U, " ".join("+k%d" % i for i in range(40))))
        assert s.answer()[-1].code == 400
        s.cmd("MBOX CHECK /" + "a" * 9000)
        assert s.answer()[-1].code == 400
        s.cmd("AS q MBOX CHECK /INBOX")
        assert s.answer("q")[-1].code == 240


def test_hostile_folder_names_from_other_programs(daemon):
    """Folders another program made with names outside the grammar are
    skipped by LIST and cannot be reached."""
    with daemon.login() as s:
        one(s, "CHECK /INBOX", 240)
    md = daemon.maildir("alice")
    for name in (".odd..name", ".&AOQ-ndern", ".with space", ".a.", "..x"):
        for sub in ("cur", "new", "tmp"):
            (md / name / sub).mkdir(parents=True, exist_ok=True)
    with daemon.login() as s:
        lines = s.mbox("LIST")
        assert not lines[-1].more
        for r in lines:
            assert r.code == 244, r.raw
            path = r.text.split(" ", 1)[0]
            assert " " not in path and ".." not in path and "&" not in \
                path, r.raw
        assert "/INBOX" in [r.text.split(" ", 1)[0] for r in lines]


def test_daemon_survives(daemon):
    uuid = send(daemon, "after the storm")
    with daemon.login() as s:
        wait_uuid(s, uuid)
        assert uuid in [m["uuid"] for m in index(s)[0]]
    daemon.assert_healthy()
    for role in ("network", "deliver"):
        assert role in daemon.children()


def test_disconnect_inside_answers(daemon):
    """Clients that go away in the middle of a literal, of a long INDEX
    or with many pipelined requests in flight leave nothing behind."""
    big = os.urandom(1024 * 1024)
    uuid = send(daemon, "big one", extra=[("b.bin",
                                           "application/octet-stream", big,
                                           False)])
    with daemon.login() as s:
        wait_uuid(s, uuid)
    for n in (1, 30):
        with daemon.login() as s:
            s.cmd("; ".join("AS p%d MBOX FETCH /INBOX#%s -READ" % (i, uuid)
                            for i in range(min(n, 16))))
            if n > 1:
                for i in range(n):
                    s.cmd("AS q%d MBOX INDEX /INBOX" % i)
            s.sock.recv(1000)       # the first octets only, then gone
    with daemon.login() as s:
        s.cmd("AS a MBOX FETCH /INBOX#%s -READ; AS b NOOP" % uuid)
        r, data = s.literal("a")
        assert r.code == 251
        got = [p.get_payload(decode=True) for p in
               parse_mime(data).walk() if p.get_filename() == "b.bin"]
        assert got == [big]
        assert s.answer("b")[-1].code == 200
    daemon.assert_healthy()
