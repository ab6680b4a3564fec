"""Inter-domain relay (immp(7) RELAY, AUTH COOKIE): two real daemons,
a.test and b.test, on loopback with static routes to each other, each
with its own certificate."""

import os
import re
import socket
import subprocess
import threading
import time

import pytest

import immpclient
from harness import (Daemon, binary, free_port, make_cert,
                     random_password)

A, B = "a.test", "b.test"


class Pair:
    """Two daemons for a.test and b.test that route to each other."""

    def __init__(self, tmp_path_factory, name, a_extra="", b_extra="",
                 start_b=True, start_a=True):
        base = tmp_path_factory.mktemp(name)
        self.certdir = base / "certs"
        self.certdir.mkdir()
        ca, ka = make_cert(self.certdir, A, "a")
        cb, kb = make_cert(self.certdir, B, "b")
        self.pa, self.pb = free_port(), free_port()
        self.a = Daemon(base / "a", ca, ka, domain=A, port=self.pa,
                        users={"alice@a.test": random_password(),
                               "carol@a.test": random_password()},
                        extra_conf='route "b.test" to 127.0.0.1 port %d\n'
                        % self.pb + a_extra)
        self.b = Daemon(base / "b", cb, kb, domain=B, port=self.pb,
                        users={"bob@b.test": random_password()},
                        extra_conf='route "a.test" to 127.0.0.1 port %d\n'
                        % self.pa + b_extra)
        if start_a:
            self.a.start()
        if start_b:
            self.b.start()

    def stop(self):
        """Stops both, even when the first one's stop fails (raised
        after the second is stopped)."""
        failed = None
        for d in (self.a, self.b):
            if d.proc is not None:
                try:
                    d.stop()
                except BaseException as e:  # pytest.fail's exception too
                    failed = failed or e
        if failed is not None:
            raise failed


def session(d, **kw):
    return d.session(servername=d.domain, **kw)


def login(d, account):
    s = session(d)
    s.login(account, d.users[account])
    return s


def send(d, account, rcpts, body=b"hello\n", extra="", subject=None):
    """Delivers one message from account at d; returns the UUID."""
    parts = []
    if subject:
        parts.append(("meta", "text/rfc822-headers",
                      ("Subject: %s\r\n" % subject).encode(), False))
    parts.append(("body.txt", "text/plain", body, True))
    with login(d, account) as s:
        if extra:
            s.cmd("DELIVER TO " + " ".join(rcpts) + " " + extra)
            s.expect(270)
            for i, (n, t, p, c) in enumerate(parts):
                s.data(n, p, t, c, pid="q%d" % i)
            for _ in parts:
                while True:
                    r = s.reply()
                    if r.code == 272:
                        break
                    assert r.code == 271, r.raw
            s.cmd("DONE")
            return s.expect(273).text.split(" ", 1)[0]
        return s.deliver(rcpts, parts)


def find_body(d, user, needle, timeout=30):
    """The path of the message in user's new/ that holds needle."""
    def find():
        for p in d.messages(user):
            if needle in p.read_bytes():
                return p
        return None
    return immpclient.wait_for(find, timeout)


def log_has(d, pattern, timeout=20):
    rx = re.compile(pattern)
    return immpclient.wait_for(
        lambda: rx.search(d.logfile.read_text(errors="replace")), timeout)


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    p = Pair(tmp_path_factory, "relay")
    yield p
    p.stop()


def test_relay_both_ways_with_trace(pair):
    tag = os.urandom(6).hex().encode()
    send(pair.a, "alice@a.test", ["bob@b.test"], b"to bob " + tag + b"\n",
         subject="hello bob")
    got = find_body(pair.b, "bob", tag)
    assert got, "not relayed to b.test:\n" + pair.b.log_tail()
    text = got.read_bytes()
    assert b"alice@a.test" in text
    assert b"Subject: hello bob" in text
    # The trace of the hop (draft 5.1), as headers, not as a part.
    assert re.search(rb"IMMP-Trace: received-from=a\.test \(127\.0\.0\.1\);"
                     rb"\n\treceived-via=b\.test; ", text), text
    assert b"x-immp-trace" not in text
    assert log_has(pair.b, r"session auth id=\S+ cookie issuer=a\.test "
                   r"result=ok")
    # And back.
    tag2 = os.urandom(6).hex().encode()
    send(pair.b, "bob@b.test", ["alice@a.test"], b"to alice " + tag2)
    got = find_body(pair.a, "alice", tag2)
    assert got, "not relayed to a.test:\n" + pair.a.log_tail()
    assert b"bob@b.test" in got.read_bytes()


# -- AUTH COOKIE ------------------------------------------------------------

def cookie(secret, receiver, issuer, nonce):
    import hmac
    import hashlib
    return immpclient.b64(hmac.new(
        secret, ("%s %s %s" % (receiver, issuer, nonce)).encode(),
        hashlib.sha256).digest())


@pytest.fixture(scope="module")
def dialback(tmp_path_factory):
    """a.test with a known domain secret; b.test with a route to c.test
    where a socket accepts but never answers."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    secret_dir = tmp_path_factory.mktemp("secret")
    secret = secret_dir / "domain.secret"
    p = Pair(tmp_path_factory, "dialback",
             a_extra='domain-secret "%s"\n' % secret,
             b_extra='route "c.test" to 127.0.0.1 port %d\n'
             % silent.getsockname()[1], start_b=False, start_a=False)
    # immpctl makes the secret (the daemons of a.test would share it).
    r = subprocess.run([binary("immpctl"), "-f", str(p.a.conf), "secret",
                        "generate"], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=30)
    assert r.returncode == 0, r.stdout
    assert oct(secret.stat().st_mode & 0o777) == "0o600"
    p.a.start()
    p.b.start()
    p.secret = secret.read_bytes()
    assert len(p.secret) == 32
    yield p
    p.stop()
    silent.close()


def cookie_session(p, issuer="a.test", receiver="b.test", secret=None,
                   nonce=None):
    """A session at b.test that sent AUTH COOKIE; returns (session,
    final reply after 301)."""
    s = session(p.b)
    s.greeting()
    s.upgrade()
    value = cookie(secret or p.secret, receiver, issuer,
                   nonce or s.nonce)
    s.cmd("AUTH COOKIE %s %s" % (issuer, value))
    s.expect(301)
    return s, s.final()[-1], value


def test_cookie_valid(dialback):
    s, r, _ = cookie_session(dialback)
    assert r.code == 210 and r.text == \
        "Authentication accepted for mailer-daemon@a.test", r.raw
    # A remote domain may deliver to b.test's users.
    tag = os.urandom(6).hex().encode()
    s.cmd("DELIVER TO bob@b.test FROM alice@a.test")
    s.expect(270)
    s.data("m", b"from a remote " + tag, "text/plain", True)
    s.expect(271)
    s.expect(272)
    s.cmd("DONE")
    s.expect(273)
    s.close()
    assert find_body(dialback.b, "bob", tag)


def test_cookie_forged(dialback):
    s, r, _ = cookie_session(dialback, secret=os.urandom(32))
    assert r.code == 413, r.raw
    assert s.at_eof()
    assert log_has(dialback.a, r"cookie verify receiver=b\.test "
                   r"issuer=a\.test result=invalid")


def test_cookie_for_another_receiver(dialback):
    s, r, _ = cookie_session(dialback, receiver="c.test")
    assert r.code == 413, r.raw
    assert s.at_eof()


def test_cookie_replayed_on_second_session(dialback):
    s1, r1, value = cookie_session(dialback)
    assert r1.code == 210, r1.raw
    s1.close()
    s2 = session(dialback.b)
    s2.greeting()
    s2.upgrade()
    s2.cmd("AUTH COOKIE a.test %s" % value)
    s2.expect(301)
    r2 = s2.final()[-1]
    assert r2.code == 413, r2.raw
    assert s2.at_eof()


def test_cookie_callback_does_not_answer(dialback):
    t0 = time.monotonic()
    s, r, _ = cookie_session(dialback, issuer="c.test",
                             secret=os.urandom(32))
    assert r.code == 413, r.raw
    assert time.monotonic() - t0 < 14
    assert s.at_eof()


def test_cookie_hostile_arguments(dialback):
    with session(dialback.b) as s:
        s.greeting()
        s.upgrade()
        for bad in ["AUTH COOKIE", "AUTH COOKIE a.test",
                    "AUTH COOKIE a..test AAAA",
                    "AUTH COOKIE a.test notbase64!!",
                    "AUTH COOKIE a.test " + immpclient.b64(b"x" * 31),
                    "AUTH COOKIE a.test " + immpclient.b64(b"x" * 33),
                    "AUTH COOKIE -a.test " + immpclient.b64(b"x" * 32),
                    "AUTH COOKIE a.test " + "A" * 5000,
                    "AUTH VERIFY b.test a.test",
                    "AUTH VERIFY b.test a.test n!once " +
                    immpclient.b64(b"x" * 32)]:
            s.cmd(bad)
            r = s.final()[-1]
            assert r.code == 400, (bad, r.raw)
        # Our own domain is never accepted as an issuer.
        s.cmd("AUTH COOKIE b.test " + immpclient.b64(b"x" * 32))
        assert s.final()[-1].code == 413


def test_verify_answers_only_for_its_domain(dialback):
    """AUTH VERIFY at a.test: valid for a good cookie, invalid for one
    for another issuer or a changed nonce."""
    with session(dialback.a) as s:
        s.greeting()
        s.upgrade()
        good = cookie(dialback.secret, "b.test", "a.test", "NONCE1234")
        s.cmd("AS t1 AUTH VERIFY b.test a.test NONCE1234 " + good)
        r = s.final()[-1]
        assert (r.id, r.code) == ("t1", 211), r.raw
        s.cmd("AUTH VERIFY b.test a.test NONCE1235 " + good)
        assert s.final()[-1].code == 412
        s.cmd("AUTH VERIFY b.test c.test NONCE1234 " + good)
        assert s.final()[-1].code == 412
        # base64 may begin with "+": quoted, it is a word, not a switch
        plus = cookie(dialback.secret, "b.test", "a.test", "+NONCE/12")
        s.cmd('AUTH VERIFY b.test a.test "+NONCE/12" "%s"' % plus)
        assert s.final()[-1].code == 211


# -- relay policy -----------------------------------------------------------

def test_open_relay_unauthenticated(dialback):
    with session(dialback.b) as s:
        s.greeting()
        s.upgrade()
        s.cmd("DELIVER TO someone@c.test")
        assert s.final()[-1].code == 402
    assert log_has(dialback.b, r"relay denied id=\S+ addr=127\.0\.0\.1 "
                   r"from=- reason=not-authenticated")


def test_open_relay_remote_authenticated(dialback):
    s, r, _ = cookie_session(dialback)
    assert r.code == 210, r.raw
    s.cmd("DELIVER TO carol@a.test")
    r = s.final()[-1]
    assert r.code == 422 and "relaying denied" in r.text, r.raw
    s.cmd("DELIVER TO someone@c.test bob@b.test")
    assert s.final()[-1].code == 422
    # FROM must be in the authenticated domain.
    s.cmd("DELIVER TO bob@b.test FROM eve@c.test")
    assert s.final()[-1].code == 400
    s.close()
    assert log_has(dialback.b, r"relay denied id=\S+ addr=127\.0\.0\.1 "
                   r"from=a\.test rcpt-domain=a\.test")


def test_local_user_cannot_send_trace_or_from(pair):
    with login(pair.a, "alice@a.test") as s:
        s.cmd("DELIVER TO bob@b.test FROM alice@a.test")
        assert s.final()[-1].code == 400
        s.cmd("DELIVER TO bob@b.test")
        s.expect(270)
        s.data("t", b"hop from=x.test addr=1.2.3.4 via=y.test at=1\n",
               "application/x-immp-trace")
        assert s.final()[-1].code == 434


# -- failures, retries, bounces ---------------------------------------------

def test_unknown_recipient_bounces(pair):
    tag = os.urandom(6).hex().encode()
    send(pair.a, "alice@a.test", ["nobody@b.test"], b"lost " + tag)
    got = find_body(pair.a, "alice", b"nobody@b.test")
    assert got, "no bounce:\n" + pair.a.log_tail()
    text = got.read_bytes()
    assert b"Undelivered message" in text
    assert b"Recipient: nobody@b.test" in text
    assert b"remote reply 420" in text, text


def test_destination_down_then_up(tmp_path_factory):
    p = Pair(tmp_path_factory, "down", start_b=False)
    try:
        tag = os.urandom(6).hex().encode()
        send(p.a, "alice@a.test", ["bob@b.test"], b"waits " + tag)
        assert log_has(p.a, r"rcpt=bob@b\.test result=tempfail")
        assert not p.b.messages("bob")
        p.b.start()
        assert find_body(p.b, "bob", tag, timeout=40), p.a.log_tail()
    finally:
        p.stop()


def test_expiry_bounces_once(tmp_path_factory):
    p = Pair(tmp_path_factory, "expiry", a_extra="queue ttl 3s\n",
             start_b=False)
    try:
        send(p.a, "alice@a.test", ["bob@b.test"], b"never")
        assert find_body(p.a, "alice", b"expired", timeout=40), \
            p.a.log_tail()
        time.sleep(6)
        bounces = [m for m in p.a.messages("alice")
                   if b"Undelivered message" in m.read_bytes()]
        assert len(bounces) == 1, bounces
    finally:
        p.stop()


# -- TLS pins ---------------------------------------------------------------

def test_changed_certificate(tmp_path_factory):
    p = Pair(tmp_path_factory, "pins")
    try:
        tag = os.urandom(6).hex().encode()
        send(p.a, "alice@a.test", ["bob@b.test"], b"first " + tag)
        assert find_body(p.b, "bob", tag)
        ctl = [binary("immpctl"), "-f", str(p.a.conf)]
        out = subprocess.run(ctl + ["show", "pins"], stdout=subprocess.PIPE,
                             check=True).stdout.decode()
        assert re.match(r"b\.test [0-9a-f]{64}\n", out), out
        # b.test gets a new key.
        p.b.stop()
        make_cert(p.certdir, B, "b")
        p.b.start()
        sec = os.urandom(6).hex().encode()
        norm = os.urandom(6).hex().encode()
        send(p.a, "alice@a.test", ["bob@b.test"], b"secure " + sec,
             extra="+SECURE")
        send(p.a, "alice@a.test", ["bob@b.test"], b"normal " + norm)
        assert log_has(p.a, r"relay pin mismatch domain=b\.test")
        assert log_has(p.a, r"rcpt=bob@b\.test result=held")
        # Default policy "refuse": the normal message waits as well.
        time.sleep(3)
        assert not find_body(p.b, "bob", sec, timeout=1)
        assert not find_body(p.b, "bob", norm, timeout=1)
        out = subprocess.run(ctl + ["show", "pins"], stdout=subprocess.PIPE,
                             check=True).stdout.decode()
        assert "mismatch-seen" in out, out
        r = subprocess.run(ctl + ["pin", "accept", "b.test"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        assert r.returncode == 0, r.stdout
        assert find_body(p.b, "bob", norm, timeout=40), p.a.log_tail()
        assert find_body(p.b, "bob", sec, timeout=40), p.a.log_tail()
    finally:
        p.stop()


def test_changed_certificate_warn_policy(tmp_path_factory):
    p = Pair(tmp_path_factory, "pinwarn", a_extra="tls pin-policy warn\n")
    try:
        tag = os.urandom(6).hex().encode()
        send(p.a, "alice@a.test", ["bob@b.test"], b"first " + tag)
        assert find_body(p.b, "bob", tag)
        p.b.stop()
        make_cert(p.certdir, B, "b")
        p.b.start()
        norm = os.urandom(6).hex().encode()
        sec = os.urandom(6).hex().encode()
        send(p.a, "alice@a.test", ["bob@b.test"], b"normal " + norm)
        # "warn": logged, and the normal message goes out.
        assert find_body(p.b, "bob", norm), p.a.log_tail()
        assert log_has(p.a, r"relay pin mismatch domain=b\.test")
        send(p.a, "alice@a.test", ["bob@b.test"], b"secure " + sec,
             extra="+SECURE")
        assert log_has(p.a, r"relay held uuid=\S+ domain=b\.test")
        assert not find_body(p.b, "bob", sec, timeout=3)
    finally:
        p.stop()


# -- trace and loops --------------------------------------------------------

def remote_deliver(p, trace):
    """As a.test (valid cookie) at b.test: a message to bob with the
    given trace part; returns the reply codes to DATA (trace) and DONE."""
    s, r, _ = cookie_session(p)
    assert r.code == 210, r.raw
    s.cmd("DELIVER TO bob@b.test FROM carol@a.test")
    s.expect(270)
    s.data("body", b"traced " + trace[-12:], "text/plain", True)
    s.expect(271)
    s.expect(272)
    s.data("trace", trace, "application/x-immp-trace")
    codes = [s.final()[-1].code]
    if codes[0] == 271:
        codes = [s.final()[-1].code]
    s.cmd("DONE")
    codes.append(s.final()[-1].code)
    s.close()
    return codes


def test_trace_kept_and_extended(dialback):
    tag = os.urandom(6).hex().encode()
    hop = b"hop from=x.test addr=192.0.2.7 via=a.test at=1700000000\n"
    assert remote_deliver(dialback, hop + b"#" + tag)[0] == 434
    codes = remote_deliver(dialback, hop)
    assert codes == [272, 273], codes
    got = find_body(dialback.b, "bob", b"traced " + hop[-12:])
    text = got.read_bytes()
    assert re.search(rb"IMMP-Trace: received-from=x\.test \(192\.0\.2\.7\);"
                     rb"\n\treceived-via=a\.test; ", text), text
    assert re.search(rb"IMMP-Trace: received-from=a\.test \(127\.0\.0\.1\);"
                     rb"\n\treceived-via=b\.test; ", text), text


def test_loop_refused(dialback):
    own = b"hop from=a.test addr=127.0.0.1 via=b.test at=1700000000\n"
    assert remote_deliver(dialback, own) == [435, 433]
    many = b"".join(b"hop from=x%d.test addr=10.0.0.%d via=y%d.test "
                    b"at=1700000000\n" % (i, i, i) for i in range(16))
    assert remote_deliver(dialback, many) == [435, 433]
    assert log_has(dialback.b, r"relay loop id=\S+ from=a\.test")


def test_received_names_the_receiving_host(pair):
    """The Received: header and the Message-ID written at b.test name
    b.test, the host that delivered, not the sender's domain; mail sent
    back the other way names a.test."""
    tag = os.urandom(6).hex().encode()
    send(pair.a, "alice@a.test", ["bob@b.test"], b"host " + tag + b"\n")
    got = find_body(pair.b, "bob", tag)
    assert got, "not relayed to b.test:\n" + pair.b.log_tail()
    head = got.read_bytes().split(b"\n\n", 1)[0]
    assert re.search(rb"^Received: by b\.test \(immpd\) with IMMP id ",
                     head, re.M), head
    assert re.search(rb"^Message-ID: <[0-9a-f-]{36}@b\.test>$", head,
                     re.M), head
    assert not re.search(rb"^Received: by a\.test", head, re.M), head
    tag = os.urandom(6).hex().encode()
    send(pair.b, "bob@b.test", ["alice@a.test"], b"back " + tag + b"\n")
    got = find_body(pair.a, "alice", tag)
    assert got, "not relayed to a.test:\n" + pair.a.log_tail()
    head = got.read_bytes().split(b"\n\n", 1)[0]
    assert re.search(rb"^Received: by a\.test \(immpd\) ", head, re.M), head
    assert re.search(rb"^Message-ID: <[0-9a-f-]{36}@a\.test>$", head,
                     re.M), head
