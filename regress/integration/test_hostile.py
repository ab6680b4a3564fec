"""Hostile input: every bad line gets its 4xx, the session goes on, and
afterwards the daemon still greets and delivers (immp(7) ERRORS)."""

import os
import time

import pytest

from immpclient import wait_for


def hostile(d, *, tls=True, auth=True):
    s = d.session()
    s.greeting()
    if tls:
        s.upgrade()
    if auth:
        r, _ = s.auth("bob@demo.test", d.users["bob@demo.test"])
        assert r.code == 210, r.raw
    return s


@pytest.mark.parametrize("tls,auth", [(False, False), (True, False),
                                      (True, True)],
                         ids=["plain", "tls", "authenticated"])
def test_overlong_line(daemon, tls, auth):
    with hostile(daemon, tls=tls, auth=auth) as s:
        s.send(b"NOOP " + b"A" * 9000 + b"\r\n")
        s.expect(400, "Line too long.")
        s.cmd("NOOP")
        s.expect(200)
        # just at the limit is fine: 8192 octets without CRLF
        s.send(b"NOOP" + b" " * (8192 - 4) + b"\r\n")
        r = s.final()[-1]
        assert r.code == 200, r.raw
        # one over is not
        s.send(b"NOOP" + b" " * (8193 - 4) + b"\r\n")
        s.expect(400, "Line too long.")
        s.cmd("NOOP")
        s.expect(200)
    daemon.assert_healthy()


def test_huge_line_without_newline(daemon):
    """1 MB without a line end: refused, and the daemon lives."""
    with hostile(daemon, tls=True, auth=False) as s:
        s.send(b"X" * (1 << 20))
        s.send(b"\r\nNOOP\r\n")
        s.expect(400, "Line too long.")
        s.expect(200)
    daemon.assert_healthy()


@pytest.mark.parametrize("line", [b"NO\0OP", b"NOOP\0", b"\0",
                                  b"NOOP \x01", b"NOOP \x1b[2J",
                                  b"NOOP \x7f"],
                         ids=["nul-inside", "nul-end", "nul-only",
                              "soh", "escape", "del"])
def test_control_characters(daemon, line):
    with hostile(daemon, auth=False) as s:
        s.send(line + b"\r\n")
        s.expect(400, "Control character in command.")
        s.cmd("NOOP")
        s.expect(200)
    daemon.assert_healthy()


@pytest.mark.parametrize("param", [b"al\xffice@demo.test",
                                   b"\xc3\x28@demo.test",
                                   b"\xed\xa0\x80@demo.test",
                                   b"\xc0\xaf@demo.test",
                                   b"\xf4\x90\x80\x80@demo.test",
                                   b"alice\xe2\x82@demo.test"],
                         ids=["ff", "bad-continuation", "surrogate",
                              "overlong", "above-10ffff", "truncated"])
def test_invalid_utf8(daemon, param):
    with hostile(daemon) as s:
        s.send(b"DELIVER TO " + param + b"\r\n")
        s.expect(400, "Invalid UTF-8.")
        s.cmd("NOOP")
        s.expect(200)
    daemon.assert_healthy()


def test_bad_base64(daemon):
    with hostile(daemon) as s:
        s.cmd("DELIVER TO alice@demo.test")
        s.expect(270)
        s.cmd("DATA NAME x LENGTH 8 +BASE64")
        s.send(b"!!!!!!!!")
        codes = [r.code for r in (s.final()[-1], )]
        if codes[0] == 271:
            codes.append(s.final()[-1].code)
        assert codes[-1] == 431, codes
        s.send(b"DATA NAME y +BASE64\r\nQUJD\r\n*bad*\r\n\r\n\r\n")
        r = s.final()[-1]
        if r.code == 271:
            r = s.final()[-1]
        assert r.code == 431 and r.text == "y: invalid base64.", r.raw
        # only the part is dropped: the message is still open
        s.data("z", b"fine\n", "text/plain", content=True)
        s.expect(271)
        s.expect(272)
        s.cmd("DONE")
        uuid = s.expect(273).text.split()[0]
    path = daemon.wait_message("alice", uuid)
    data = path.read_bytes()
    assert b"fine" in data
    daemon.assert_healthy()


def spool_files(d, sub):
    p = d.spool / sub
    try:
        return sorted(x.name for x in p.iterdir())
    except FileNotFoundError:
        return []


def test_truncated_literal_then_disconnect(daemon):
    before_new = len(daemon.messages("alice"))
    before_queue = spool_files(daemon, "queue")
    s = hostile(daemon)
    s.cmd("DELIVER TO alice@demo.test")
    s.expect(270)
    s.cmd("DATA NAME big LENGTH 100000")
    s.send(b"0123456789")
    time.sleep(0.3)
    s.close()
    assert wait_for(lambda: spool_files(daemon, "incoming") == [], 10), \
        spool_files(daemon, "incoming")
    time.sleep(1)
    assert len(daemon.messages("alice")) == before_new
    assert spool_files(daemon, "queue") == before_queue
    daemon.assert_healthy()


def test_disconnect_with_open_message(daemon):
    """A message with complete parts but no DONE is never delivered."""
    before = len(daemon.messages("alice"))
    s = hostile(daemon)
    s.cmd("DELIVER TO alice@demo.test")
    s.expect(270)
    s.data("body.txt", b"never sent\n", "text/plain", content=True)
    s.expect(271)
    s.expect(272)
    s.close()
    assert wait_for(lambda: spool_files(daemon, "incoming") == [], 10)
    time.sleep(1)
    assert len(daemon.messages("alice")) == before
    daemon.assert_healthy()


def test_unknown_command(daemon):
    with hostile(daemon) as s:
        s.cmd("FROBNICATE the daemon")
        s.expect(401, "Unknown command.")
        s.cmd("AS x1 FROBNICATE")
        r = s.final()[-1]
        assert r.id == "x1" and r.code == 401, r.raw
        s.cmd("NOOP")
        s.expect(200)
    daemon.assert_healthy()


@pytest.mark.parametrize("pid", ["a" * 40, "a" * 33, "bad!id", "é"],
                         ids=["40", "33", "punct", "non-ascii"])
def test_bad_pipeline_id(daemon, pid):
    with hostile(daemon) as s:
        s.cmd("AS %s NOOP" % pid)
        s.expect(400, "Bad pipeline id.")
        s.cmd("AS %s NOOP" % ("b" * 32))
        r = s.reply()
        assert r.raw == ("%s: 200 OK." % ("b" * 32)).encode()
    daemon.assert_healthy()


@pytest.mark.parametrize("line", [
    b'NOOP "unterminated',
    b"NOOP;;NOOP",
    b";",
    b"AS",
    b"AS x",
    b"NOOP " + b"w " * 40,
    b"DATA NAME x LENGTH -1",
    b"DATA NAME x LENGTH 99999999999999999999999",
    b"DATA NAME x LENGTH 1x",
], ids=["quote", "empty-cmd", "semicolon", "as-alone", "as-no-cmd",
        "many-words", "negative-length", "huge-length", "junk-length"])
def test_malformed_lines(daemon, line):
    with hostile(daemon) as s:
        s.send(line + b"\r\n")
        r = s.final()[-1]
        assert 400 <= r.code <= 499, r.raw
        s.cmd("AS ok NOOP")
        while True:             # several replies are allowed before it
            r = s.reply()
            if r.id == "ok":
                break
            assert 400 <= r.code <= 499, r.raw
        assert r.code == 200
    daemon.assert_healthy()


def test_bare_lf_accepted(daemon):
    with hostile(daemon, tls=False, auth=False) as s:
        s.send(b"NOOP\n")
        s.expect(200)


def test_many_connections_at_once(daemon):
    socks = [daemon.session() for _ in range(50)]
    for s in socks:
        s.greeting()
    for s in socks:
        s.close()
    daemon.assert_healthy()


def test_tls_garbage_after_upgrade(daemon):
    s = daemon.session()
    s.greeting()
    s.cmd("UPGRADE TLS")
    s.expect(204)
    s.send(os.urandom(2000))
    s.at_eof(5)
    s.close()
    daemon.assert_healthy()


def test_message_too_large(fresh_daemon):
    d = fresh_daemon(extra_conf="max-message-size 64K")
    with hostile(d) as s:
        s.cmd("DELIVER TO alice@demo.test")
        s.expect(270)
        s.data("a.bin", os.urandom(40000))
        s.expect(271)
        s.expect(272)
        try:
            s.data("b.bin", os.urandom(40000))
        except OSError:
            pass
        codes = []
        while True:
            try:
                r = s.final()[-1]
            except (ConnectionError, OSError):
                break
            codes.append(r.code)
            if r.code == 432:
                break
        assert 432 in codes, codes
        assert s.at_eof(10)
    assert wait_for(lambda: spool_files(d, "incoming") == [], 10)
    assert d.messages("alice") == []
    d.assert_healthy()


def test_base64_high_octets_refused(daemon):
    """Octets 0x80-0xff are not base64, whatever the library thinks."""
    with hostile(daemon) as s:
        s.cmd("DELIVER TO alice@demo.test")
        s.expect(270)
        s.cmd("DATA NAME hi LENGTH 8 +BASE64")
        s.send(b"QUJD\xff\xff\xff\xff")
        s.expect(271)
        s.expect(431, "hi: invalid base64.")
        s.cmd("NOOP")
        s.expect(200)
    daemon.assert_healthy()


@pytest.mark.parametrize("meta", [b"Subject: no line end",
                                  b"Subject: x\n\n",
                                  b"Subject: " + b"s" * 950 + b"\n"],
                         ids=["no-lf", "empty-line", "long-subject"])
def test_metadata_the_composer_would_refuse(daemon, meta):
    """What the composer refuses is refused at 272, never after a 273."""
    with hostile(daemon) as s:
        s.cmd("DELIVER TO alice@demo.test")
        s.expect(270)
        s.data("metadata", meta, "text/rfc822-headers")
        s.expect(271)
        r = s.final()[-1]
        assert r.code == 434, r.raw
        s.data("body", b"text\n", "text/plain", content=True)
        s.expect(271)
        s.expect(272)
        s.cmd("DONE")
        uuid = s.expect(273).text.split()[0]
    daemon.wait_message("alice", uuid)
    daemon.assert_healthy()


@pytest.mark.parametrize("folder", [".x", "x.", "a..b"])
def test_folder_names_maildir_cannot_hold(daemon, folder):
    with hostile(daemon) as s:
        s.cmd("DELIVER TO alice+%s@demo.test" % folder)
        r = s.final()[-1]
        assert r.code == 421, r.raw
    daemon.assert_healthy()
