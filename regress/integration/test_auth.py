"""AUTH SECRET (immp(7) AUTH SECRET, DESIGN §5) with an independent SCRAM
client.  Tests that make authentications fail run their own daemon (or
their own source address) so the throttling of one test does not leak
into another."""

import base64
import os
import re

import pytest

import immpclient
from immpclient import b64, scram_client

FAILED = "Authentication failed."
THROTTLED = "Too many failed authentications, try again later."


def tls_session(d, source=None):
    s = d.session(source=source)
    s.greeting()
    s.upgrade()
    return s


def test_auth_success(daemon):
    with tls_session(daemon) as s:
        r, res = s.auth("alice@demo.test", daemon.users["alice@demo.test"])
        assert r.code == 210, r.raw
        assert re.fullmatch(r"Authentication accepted for alice@demo\.test "
                            r"v=[A-Za-z0-9+/]{43}=", r.text), r.raw
        # the v= value is the ServerSignature (auth() checked it)
        s.cmd("NOOP")
        s.expect(200)
        s.cmd("AUTH SECRET alice@demo.test")
        assert s.final()[-1].code == 402
        s.cmd("DELIVER TO bob@demo.test")
        s.expect(270)


def test_auth_with_device_name(daemon):
    with tls_session(daemon) as s:
        r, _ = s.auth("bob@demo.test", daemon.users["bob@demo.test"],
                      device="laptop 2")
        assert r.code == 210, r.raw


def test_channel_binding_is_checked(fresh_daemon, certs):
    """A proof computed for another certificate is refused."""
    d = fresh_daemon()
    with tls_session(d) as s:
        ch = s.auth_secret("alice@demo.test")
        wrong = bytes(32)
        res = scram_client("alice@demo.test", "", d.users["alice@demo.test"],
                           ch, wrong)
        s.cmd("AUTH RESPONSE c=%s p=%s" % (res.cnonce, b64(res.proof)))
        s.expect(410, FAILED)


def test_challenge_shape(daemon):
    with tls_session(daemon) as s:
        s.cmd("AUTH SECRET alice@demo.test")
        r = s.expect(302)
        assert r.text == "Shared secret authentication request initiated."
        r = s.expect(303)
        m = immpclient.CHALLENGE_RE.match(r.text)
        assert m, r.raw
        assert len(base64.b64decode(m.group("n1"), validate=True)) == 24
        assert len(base64.b64decode(m.group("s"), validate=True)) == 16
        assert int(m.group("o")) == 1 and int(m.group("m")) == 8192


def challenge(d, account, source=None):
    with tls_session(d, source) as s:
        return s.auth_secret(account)


def test_wrong_password_and_unknown_account_look_alike(fresh_daemon):
    d = fresh_daemon()
    replies = []
    for account, password in (("alice@demo.test", "wrong password"),
                              ("nobody@demo.test", "whatever")):
        with tls_session(d) as s:
            r, _ = s.auth(account, password)
            replies.append(r.raw)
    assert replies[0] == replies[1] == b"410 " + FAILED.encode()

    # the fake challenge is stable for an account and differs between
    # accounts, like a real one
    ghost1 = challenge(d, "nobody@demo.test", "127.0.0.2")
    ghost2 = challenge(d, "nobody@demo.test", "127.0.0.2")
    other = challenge(d, "ghost@demo.test", "127.0.0.2")
    real1 = challenge(d, "alice@demo.test", "127.0.0.2")
    real2 = challenge(d, "alice@demo.test", "127.0.0.2")
    assert ghost1["s"] == ghost2["s"]
    assert ghost1["s"] != other["s"]
    assert real1["s"] == real2["s"]
    assert ghost1["n1"] != ghost2["n1"] and real1["n1"] != real2["n1"]
    assert set(ghost1) == set(real1)


def test_response_without_challenge(daemon):
    with tls_session(daemon) as s:
        s.cmd("AUTH RESPONSE c=%s p=%s" % (b64(os.urandom(24)),
                                          b64(os.urandom(32))))
        s.expect(411, "No authentication in progress.")


def test_replay_in_same_session(fresh_daemon):
    d = fresh_daemon()
    with tls_session(d) as s:
        ch = s.auth_secret("alice@demo.test")
        res = scram_client("alice@demo.test", "", "not the password", ch,
                           s.cbind())
        line = "AUTH RESPONSE c=%s p=%s" % (res.cnonce, b64(res.proof))
        s.cmd(line)
        s.expect(410, FAILED)
        s.cmd(line)
        s.expect(411, "No authentication in progress.")


def test_replay_of_good_response_after_success(fresh_daemon):
    """The challenge is single use: once a response was accepted, sending
    it again is refused."""
    d = fresh_daemon()
    with tls_session(d) as s:
        ch = s.auth_secret("alice@demo.test")
        res = scram_client("alice@demo.test", "",
                           d.users["alice@demo.test"], ch, s.cbind())
        line = "AUTH RESPONSE c=%s p=%s" % (res.cnonce, b64(res.proof))
        s.cmd(line)
        s.expect(210)
        s.cmd(line)
        assert s.final()[-1].code in (402, 411)


def test_replay_in_new_session(fresh_daemon):
    d = fresh_daemon()
    with tls_session(d) as s:
        ch = s.auth_secret("alice@demo.test")
        res = scram_client("alice@demo.test", "",
                           d.users["alice@demo.test"], ch, s.cbind())
        captured = "AUTH RESPONSE c=%s p=%s" % (res.cnonce, b64(res.proof))
        s.cmd(captured)
        s.expect(210)
    with tls_session(d) as s:
        s.auth_secret("alice@demo.test")
        s.cmd(captured)
        s.expect(410, FAILED)
        # and the session is still good for a real login
        r, _ = s.auth("alice@demo.test", d.users["alice@demo.test"])
        assert r.code == 210


GARBAGE = [
    ("bad base64 proof", "AUTH RESPONSE c={c} p=!!!!notbase64!!!!"),
    ("short proof", "AUTH RESPONSE c={c} p=" + b64(b"x" * 16)),
    ("too-short cnonce", "AUTH RESPONSE c=abc p={p}"),
    ("cnonce with comma", "AUTH RESPONSE c=abcdefgh,ijklmnopq p={p}"),
    ("overlong cnonce", "AUTH RESPONSE c=" + "A" * 200 + " p={p}"),
    ("missing proof", "AUTH RESPONSE c={c}"),
    ("missing cnonce", "AUTH RESPONSE p={p}"),
    ("no fields", "AUTH RESPONSE"),
    ("unknown field", "AUTH RESPONSE c={c} p={p} x=1"),
    ("empty values", "AUTH RESPONSE c= p="),
]


@pytest.mark.parametrize("name,template", GARBAGE,
                         ids=[g[0] for g in GARBAGE])
def test_garbage_response(fresh_daemon, name, template):
    d = fresh_daemon()
    with tls_session(d) as s:
        s.auth_secret("alice@demo.test")
        s.cmd(template.format(c=b64(os.urandom(24)),
                              p=b64(os.urandom(32))))
        r = s.final()[-1]
        assert 400 <= r.code <= 499, r.raw
        s.cmd("NOOP")
        s.expect(200)
        r, _ = s.auth("alice@demo.test", d.users["alice@demo.test"])
        assert r.code == 210, r.raw


@pytest.mark.parametrize("name,line", [
    ("10 KB account", b"AUTH SECRET " + b"a" * 10240 + b"@demo.test"),
    ("NUL in line", b"AUTH SECRET alice\0@demo.test"),
    ("no account", b"AUTH SECRET"),
    ("unterminated device", b'AUTH SECRET alice@demo.test "laptop'),
    ("invalid UTF-8 account", b"AUTH SECRET al\xffice@demo.test"),
    ("unknown method", b"AUTH PASSWORD alice@demo.test"),
])
def test_garbage_secret(daemon, name, line):
    with tls_session(daemon) as s:
        s.send(line + b"\r\n")
        r = s.final()[-1]
        assert 400 <= r.code <= 499, r.raw
        s.cmd("NOOP")
        s.expect(200)
        r, _ = s.auth("alice@demo.test", daemon.users["alice@demo.test"])
        assert r.code == 210, r.raw


def fail_once(d, account, source):
    with tls_session(d, source) as s:
        r, _ = s.auth(account, "not the password")
        assert r.raw == b"410 " + FAILED.encode(), r.raw


def test_throttle_per_address(fresh_daemon):
    d = fresh_daemon()
    for _ in range(5):
        fail_once(d, "alice@demo.test", "127.0.0.1")
    with tls_session(d, "127.0.0.1") as s:
        s.cmd("AUTH SECRET alice@demo.test")
        s.expect(710, THROTTLED)
        # even another account from the same address
        s.cmd("AUTH SECRET bob@demo.test")
        s.expect(710, THROTTLED)
    # another address is not affected
    with tls_session(d, "127.0.0.2") as s:
        r, _ = s.auth("alice@demo.test", d.users["alice@demo.test"])
        assert r.code == 210, r.raw


def test_throttle_per_account(fresh_daemon):
    d = fresh_daemon()
    n = 0
    for i in range(3):
        for _ in range(4 if i < 2 else 2):
            fail_once(d, "alice@demo.test", "127.0.0.%d" % (10 + i))
            n += 1
    assert n == 10
    with tls_session(d, "127.0.0.20") as s:
        s.cmd("AUTH SECRET alice@demo.test")
        s.expect(710, THROTTLED)
        r, _ = s.auth("bob@demo.test", d.users["bob@demo.test"])
        assert r.code == 210, r.raw


def test_unknown_account_throttled_too(fresh_daemon):
    d = fresh_daemon()
    for _ in range(5):
        fail_once(d, "nobody@demo.test", "127.0.0.3")
    with tls_session(d, "127.0.0.3") as s:
        s.cmd("AUTH SECRET nobody@demo.test")
        s.expect(710, THROTTLED)


def test_challenge_flood_does_not_evict_other_sessions(fresh_daemon):
    """One session asking for thousands of challenges keeps one pending
    challenge; another client's login in between still succeeds."""
    d = fresh_daemon()
    with tls_session(d) as other:
        ch = other.auth_secret("alice@demo.test")
        with tls_session(d) as flood:
            flood.send(b"AUTH SECRET bob@demo.test\r\n" * 2500)
            for _ in range(2500):
                assert flood.final()[-1].code == 302
                assert flood.final()[-1].code == 303
        res = scram_client("alice@demo.test", "", d.users["alice@demo.test"],
                           ch, other.cbind())
        other.cmd("AUTH RESPONSE c=%s p=%s" % (res.cnonce, b64(res.proof)))
        r = other.final()[-1]
        assert r.code == 210, r.raw
