"""DELIVER / DATA / DONE end to end: what clients send arrives in the
Maildir and parses back to the same octets (immp(7) DELIVER, DATA)."""

import base64
import email
import email.policy
import os
import re

import pytest

from harness import immp_uuid, run_immp

BODY = "Grüße aus dem Test ✓\nzweite Zeile\n\n-- \nbob\n".encode()
HTML = b"<html><body><p>Hello <b>Alice</b> &amp; co.</p></body></html>\n"
SUBJECT = "Quarterly report ü 2024"


def blob(n=5000):
    # every octet value, NULs and CRs included, plus random tail
    return bytes(range(256)) * 4 + b"\r\n\0\r" + os.urandom(n)


def parse(path):
    return email.message_from_bytes(path.read_bytes(),
                                    policy=email.policy.default)


def leaves(msg):
    return [p for p in msg.walk() if not p.is_multipart()]


def payload(part):
    return part.get_payload(decode=True)


def check_layout(d, user, path, uuid, folder=None):
    md = d.maildir(user, folder)
    for sub in ("cur", "new", "tmp"):
        assert (md / sub).is_dir(), md / sub
    assert re.fullmatch(r"[0-9]+\.%s\.[^/:]+" % re.escape(uuid),
                        path.name), path.name
    assert path.parent == md / "new"


def check_full_message(msg, uuid, sender, attachment, name="blob.bin"):
    assert msg["IMMP-UUID"] == uuid
    assert msg["Subject"] == SUBJECT
    assert sender in str(msg["From"])
    assert "alice@demo.test" in str(msg["To"])
    assert msg["Message-ID"]
    assert msg["Date"]
    assert msg.get_content_type() == "multipart/mixed"
    parts = leaves(msg)
    plain = [p for p in parts if p.get_content_type() == "text/plain"
             and p.get_content_disposition() != "attachment"]
    html = [p for p in parts if p.get_content_type() == "text/html"]
    att = [p for p in parts if p.get_filename() == name]
    assert len(plain) == 1 and payload(plain[0]) == BODY
    assert len(html) == 1 and payload(html[0]) == HTML
    assert len(att) == 1 and payload(att[0]) == attachment
    assert att[0].get_content_disposition() == "attachment"
    alt = [p for p in msg.walk()
           if p.get_content_type() == "multipart/alternative"]
    assert len(alt) == 1
    assert {p.get_content_type() for p in alt[0].iter_parts()} == {
        "text/plain", "text/html"}


def test_immp_client_text_html_attachment(daemon, tmp_path):
    att = blob()
    (tmp_path / "body.txt").write_bytes(BODY)
    (tmp_path / "page.html").write_bytes(HTML)
    (tmp_path / "blob.bin").write_bytes(att)
    r = run_immp(daemon, "bob@demo.test", [
        "-t", "alice@demo.test", "-s", SUBJECT,
        "-a", str(tmp_path / "blob.bin"),
        "--html", str(tmp_path / "page.html"), str(tmp_path / "body.txt")])
    uuid = immp_uuid(r)
    path = daemon.wait_message("alice", uuid)
    check_layout(daemon, "alice", path, uuid)
    check_full_message(parse(path), uuid, "bob@demo.test", att)


def test_python_client_text_html_attachment(daemon):
    att = blob()
    with daemon.login("bob@demo.test") as s:
        uuid = s.deliver(["alice@demo.test"], [
            ("metadata", "text/rfc822-headers",
             ("Subject: %s\n" % SUBJECT).encode(), False),
            ("body.txt", "text/plain", BODY, True),
            ("body.html", "text/html", HTML, True),
            ("blob.bin", "application/octet-stream", att, False),
        ])
    path = daemon.wait_message("alice", uuid)
    check_full_message(parse(path), uuid, "bob@demo.test", att)


def test_body_from_stdin_and_typed_attachment(daemon, tmp_path):
    pdf = b"%PDF-1.4\n" + os.urandom(300)
    (tmp_path / "report.pdf").write_bytes(pdf)
    r = run_immp(daemon, "bob@demo.test",
                 ["-t", "alice@demo.test", "-a", str(tmp_path / "report.pdf"),
                  "-"], stdin=BODY)
    uuid = immp_uuid(r)
    msg = parse(daemon.wait_message("alice", uuid))
    att = [p for p in leaves(msg) if p.get_filename() == "report.pdf"]
    assert len(att) == 1 and payload(att[0]) == pdf
    assert att[0].get_content_type() == "application/pdf"
    plain = [p for p in leaves(msg) if p.get_content_type() == "text/plain"]
    assert payload(plain[0]) == BODY


def test_attachment_name_needing_quotes(daemon):
    name = 'Rapport "final" ünï; 2024.txt'
    data = b"line one\nline two\n"
    with daemon.login("bob@demo.test") as s:
        uuid = s.deliver(["alice@demo.test"], [
            ("body.txt", "text/plain", b"see attached\n", True),
            ('"Rapport \\"final\\" \xfcn\xef; 2024.txt"', "text/plain",
             data, False),
        ])
    msg = parse(daemon.wait_message("alice", uuid))
    att = [p for p in leaves(msg) if p.get_content_disposition() ==
           "attachment"]
    assert len(att) == 1
    assert att[0].get_filename() == name
    assert payload(att[0]) == data


def make_folder(d, user, folder):
    """What a mail reader does to create a Maildir++ folder."""
    md = d.maildir(user, folder)
    for sub in ("cur", "new", "tmp"):
        (md / sub).mkdir(parents=True, exist_ok=True)


def test_plus_address_folder(daemon):
    make_folder(daemon, "alice", "lists")
    with daemon.login("bob@demo.test") as s:
        uuid = s.deliver(["alice+lists@demo.test"], [
            ("body.txt", "text/plain", b"to the lists folder\n", True)])
    path = daemon.wait_message("alice", uuid, folder="lists")
    check_layout(daemon, "alice", path, uuid, folder="lists")
    assert (daemon.maildir("alice", "lists") / "maildirfolder").exists()
    assert not [p for p in daemon.messages("alice") if uuid in p.name]


def test_plus_address_without_folder_goes_to_inbox(daemon):
    """A sender cannot create folders in someone's mailbox."""
    with daemon.login("bob@demo.test") as s:
        uuid = s.deliver(["alice+nosuchfolder@demo.test",
                          "alice+another-missing@demo.test"], [
            ("body.txt", "text/plain", b"to the inbox\n", True)])
    daemon.wait_message("alice", uuid)
    assert not daemon.maildir("alice", "nosuchfolder").exists()
    assert not daemon.maildir("alice", "another-missing").exists()


def test_two_recipients(daemon):
    with daemon.login("alice@demo.test") as s:
        uuid = s.deliver(["alice@demo.test", "bob@demo.test"], [
            ("body.txt", "text/plain", b"for both of us\n", True)])
    a = daemon.wait_message("alice", uuid)
    b = daemon.wait_message("bob", uuid)
    for p in (a, b):
        msg = parse(p)
        assert msg["IMMP-UUID"] == uuid
        to = str(msg["To"])
        assert "alice@demo.test" in to and "bob@demo.test" in to
        assert payload(leaves(msg)[0]) == b"for both of us\n"


def test_two_messages_in_one_session(daemon):
    with daemon.login("bob@demo.test") as s:
        u1 = s.deliver(["alice@demo.test"], [
            ("body.txt", "text/plain", b"first\n", True)])
        u2 = s.deliver(["alice@demo.test"], [
            ("body.txt", "text/plain", b"second\n", True)])
    assert u1 != u2
    assert payload(leaves(parse(daemon.wait_message("alice", u1)))[0]) \
        == b"first\n"
    assert payload(leaves(parse(daemon.wait_message("alice", u2)))[0]) \
        == b"second\n"


def test_pipelined_data_blocks(daemon):
    with daemon.login("bob@demo.test") as s:
        s.cmd("DELIVER TO alice@demo.test")
        s.expect(270)
        # everything in one write: a NOOP and a DATA sharing a line, the
        # literal right after it, then two more blocks
        s.send(b"AS a NOOP; AS b DATA NAME x TYPE text/plain LENGTH 3 "
               b"+CONTENT\r\nabc"
               b"AS c DATA NAME y LENGTH 4\r\n\0\1\2\3"
               b"AS d DATA NAME z LENGTH 0\r\n")
        got = [s.reply().raw for _ in range(7)]
        assert got == [
            b"a: 200 OK.",
            b"b: 271 x Saving part.",
            b"b: 272 x Part saved (3 octets).",
            b"c: 271 y Saving part.",
            b"c: 272 y Part saved (4 octets).",
            b"d: 271 z Saving part.",
            b"d: 272 z Part saved (0 octets).",
        ]
        s.cmd("AS e DONE")
        r = s.final()[-1]
        assert r.id == "e" and r.code == 273, r.raw
        uuid = r.text.split()[0]
    msg = parse(daemon.wait_message("alice", uuid))
    by_name = {p.get_filename(): payload(p) for p in leaves(msg)
               if p.get_filename()}
    assert by_name.get("y") == b"\0\1\2\3"
    assert payload([p for p in leaves(msg)
                    if p.get_content_type() == "text/plain"][0]) == b"abc"


def test_base64_framing_two_empty_lines(daemon):
    data = os.urandom(1000)
    text = base64.encodebytes(data)         # 76-column lines with LF
    lines = text.replace(b"\n", b"\r\n")
    with daemon.login("bob@demo.test") as s:
        s.cmd("DELIVER TO alice@demo.test")
        s.expect(270)
        s.cmd("DATA NAME body.txt TYPE text/plain LENGTH 6 +CONTENT")
        s.send(b"hello\n")
        s.expect(271)
        s.expect(272)
        s.send(b"DATA NAME data.bin +BASE64\r\n" + lines + b"\r\n\r\n")
        r = s.expect(271)
        assert r.text == "data.bin Saving part."
        r = s.expect(272)
        assert r.text == "data.bin Part saved (1000 octets).", r.raw
        # LENGTH + BASE64: CR/LF inside the literal are ignored
        s.cmd("DATA NAME d2.bin LENGTH %d +BASE64" % len(lines))
        s.send(lines)
        s.expect(271)
        r = s.expect(272)
        assert r.text == "d2.bin Part saved (1000 octets).", r.raw
        s.cmd("NOOP")                       # stream still in step
        s.expect(200)
        s.cmd("DONE")
        uuid = s.expect(273).text.split()[0]
    msg = parse(daemon.wait_message("alice", uuid))
    by_name = {p.get_filename(): payload(p) for p in leaves(msg)
               if p.get_filename()}
    assert by_name["data.bin"] == data
    assert by_name["d2.bin"] == data


RAW = (b"From: Bob <bob@demo.test>\n"
       b"To: Alice <alice@demo.test>\n"
       b"Subject: a whole message\n"
       b"Date: Mon, 01 Jan 2024 10:00:00 +0000\n"
       b"Message-ID: <raw-1@demo.test>\n"
       b"MIME-Version: 1.0\n"
       b"Content-Type: text/plain; charset=utf-8\n"
       b"Content-Transfer-Encoding: 8bit\n"
       b"\n"
       b"Body stays exactly as written: \xc3\xa4\xc3\xb6\xc3\xbc\n"
       b"   indented line  \n"
       b"From the start of a line\n"
       b".\n")


def test_raw_message_with_immp(daemon, tmp_path):
    (tmp_path / "message.eml").write_bytes(RAW)
    r = run_immp(daemon, "bob@demo.test",
                 ["-t", "alice@demo.test", "--raw",
                  str(tmp_path / "message.eml")])
    uuid = immp_uuid(r)
    stored = daemon.wait_message("alice", uuid).read_bytes()
    assert stored.endswith(RAW), stored
    head = stored[:len(stored) - len(RAW)]
    assert uuid.encode() in head        # trace headers on top


def test_raw_message_with_python(daemon):
    with daemon.login("bob@demo.test") as s:
        uuid = s.deliver(["alice@demo.test"],
                         [("message.eml", "message/rfc822", RAW, False)])
    stored = daemon.wait_message("alice", uuid).read_bytes()
    assert stored.endswith(RAW)
    msg = email.message_from_bytes(stored, policy=email.policy.default)
    assert msg["Message-ID"] == "<raw-1@demo.test>"


def test_metadata_part_headers(daemon):
    meta = (b"Subject: threading\n"
            b"In-Reply-To: <parent@demo.test>\n"
            b"References: <root@demo.test> <parent@demo.test>\n"
            b"Reply-To: list@demo.test\n"
            b"Cc: bob@demo.test\n")
    with daemon.login("bob@demo.test") as s:
        uuid = s.deliver(["alice@demo.test"], [
            ("metadata", "text/rfc822-headers", meta, False),
            ("body.txt", "text/plain", b"hi\n", True)])
    msg = parse(daemon.wait_message("alice", uuid))
    assert msg["Subject"] == "threading"
    assert msg["In-Reply-To"] == "<parent@demo.test>"
    assert msg["References"] == "<root@demo.test> <parent@demo.test>"
    assert msg["Reply-To"] == "list@demo.test"
    assert "bob@demo.test" in str(msg["Cc"])


@pytest.mark.parametrize("meta", [
    b"Subject: ok\nBcc: spy@evil.test\n",
    b"X-Mailer: nope\n",
    b"From: ceo@demo.test\n",
    b"Subject: a\n\nbody in metadata\n",
    b"not a header line\n",
    b"Subject: " + b"x" * 9000 + b"\n",
], ids=["bcc", "x-header", "from", "body", "garbage", "over 8KiB"])
def test_bad_metadata_part(daemon, meta):
    with daemon.login("bob@demo.test") as s:
        s.cmd("DELIVER TO alice@demo.test")
        s.expect(270)
        s.data("metadata", meta, "text/rfc822-headers")
        codes = []
        while True:
            r = s.final()[-1]
            codes.append(r.code)
            if r.code != 271:
                break
        assert codes[-1] == 434, codes
        assert r.text.startswith("Bad metadata part: "), r.raw
        s.cmd("NOOP")
        s.expect(200)


def test_recipient_errors(daemon):
    with daemon.login("bob@demo.test") as s:
        s.cmd("DELIVER TO nobody@demo.test")
        s.expect(420, "nobody@demo.test: recipient refused.")
        # (other domains are relayed: test_relay.py)
        s.cmd("DELIVER TO helpdesk/alice@demo.test")
        s.expect(420, "helpdesk/alice@demo.test: recipient refused.")
        s.cmd("DELIVER TO alice@@demo.test")
        r = s.final()[-1]
        assert r.code == 421 and r.text.startswith("alice@@demo.test: ")
        # one bad recipient: nothing is started
        s.cmd("DELIVER TO alice@demo.test nobody@demo.test")
        s.expect(420, "nobody@demo.test: recipient refused.")
        s.cmd("DATA NAME x LENGTH 6")
        s.send(b"NOOP\r\n")         # literal, must not run as a command
        s.expect(433, "No DELIVER in progress.")
        s.cmd("AS z NOOP")
        r = s.reply()
        assert r.raw == b"z: 200 OK."
        s.cmd("DELIVER TO " + " ".join(["alice@demo.test"] * 101))
        assert 400 <= s.final()[-1].code <= 499


def test_state_errors(daemon):
    with daemon.login("bob@demo.test") as s:
        s.cmd("DONE")
        assert s.final()[-1].code == 433
        s.cmd("DELIVER TO alice@demo.test")
        s.expect(270)
        s.cmd("DELIVER TO alice@demo.test")
        s.expect(402)
        s.cmd("DATA NAME x TYPE text/plain")
        s.expect(430, "DATA needs LENGTH or +BASE64.")
        s.cmd("DONE")
        s.expect(433, "Empty message.")


def test_deliver_requires_auth(daemon):
    with daemon.session() as s:
        s.greeting()
        s.upgrade()
        s.cmd("DELIVER TO alice@demo.test")
        s.expect(402, "Authentication required.")


def test_hundred_recipients(daemon):
    """100 recipients (the limit) with long plus-address folders: one
    DELIVER, every copy delivered, and a To: header the composer can
    write (a group when the list does not fit in one line)."""
    rcpts = ["alice+folder-with-a-long-name-%03d@demo.test" % i
             for i in range(99)] + ["bob@demo.test"]
    for i in (0, 98):
        make_folder(daemon, "alice", "folder-with-a-long-name-%03d" % i)
    with daemon.login("bob@demo.test") as s:
        s.cmd("DELIVER TO " + " ".join(rcpts))
        s.expect(270)
        s.data("body", b"to many\n", "text/plain", content=True)
        s.expect(271)
        s.expect(272)
        s.cmd("DONE")
        uuid = s.expect(273).text.split()[0]
    path = daemon.wait_message("bob", uuid)
    msg = email.message_from_bytes(path.read_bytes(),
                                 policy=email.policy.default)
    assert str(msg["To"]) == "undisclosed-recipients:;"
    for i in (0, 98):
        daemon.wait_message("alice", uuid,
                            folder="folder-with-a-long-name-%03d" % i)
    daemon.wait_message("alice", uuid)      # the other 97: one INBOX copy
    daemon.assert_healthy()
