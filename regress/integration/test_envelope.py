"""Domain keys between two daemons (immp(7) RELAY, KEY REQUEST, DOMAIN
KEYS; immpctl(8) key pin): the sending server asks the destination for
its keys with KEY REQUEST after AUTH COOKIE, pins them on first contact,
follows a signed rollover and refuses an unannounced change until the
administrator accepts it.

The envelope format itself (immp(7) ENVELOPES: canonical JSON, origin
and relay signatures, sealed inner envelopes) is tested by
regress/unit/test_envelope_codec.c and the fuzz targets fuzz_envelope
and fuzz_canon.  Envelopes on the wire: a message between two domains
that both have keys goes as DELIVER TO <domain> with a signed envelope
(the round trip, through a proxy that records the octets), and forged
envelopes are refused with 437 and their reason.  A valid signature
cannot be made here, so an envelope sealed to another key and a replayed
one are refused at the unit level only (test_envelope_codec.c)."""

import os
import re
import shutil
import subprocess
import time

import pytest

import immpclient
from harness import binary
from test_relay import Pair, cookie_session, dialback, find_body, log_has, \
    send

B = "b.test"


def ctl(d, *args, check=True):
    r = subprocess.run([binary("immpctl"), "-f", str(d.conf)] + list(args),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if check:
        assert r.returncode == 0, (args, r.stdout, r.stderr)
    return r


def key_fps(d, domain=B):
    """{gen: fp} of domain's published keys (immpctl key show)."""
    out = ctl(d, "key", "show", domain).stdout.decode()
    return {int(m.group(1)): m.group(2) for m in
            re.finditer(r"^key (\d+) (?:current|next) ([0-9a-f]{64})$", out,
                        re.M)}


def pinned(d, domain=B):
    r = ctl(d, "key", "pin", "show", domain, check=False)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


def keyed_pair(tmp_path_factory, name, rollover="7d", a_keys=False):
    base = tmp_path_factory.mktemp(name + "-keys")
    keys, akeys = base / "keys", base / "akeys"
    p = Pair(tmp_path_factory, name, start_a=False, start_b=False,
             a_extra='keys "%s"\n' % akeys,
             b_extra='keys "%s"\nkey-rollover %s\n' % (keys, rollover))
    p.b.keys, p.a.keys = keys, akeys
    ctl(p.b, "key", "generate", B)
    if a_keys:
        ctl(p.a, "key", "generate", "a.test")
    p.a.start()
    p.b.start()
    return p


IDLE = 6    # the idle relay session closes after 5 s (outbound.h)


def relay_ok(p, note):
    tag = ("%s %s" % (note, os.urandom(6).hex())).encode()
    send(p.a, "alice@a.test", ["bob@b.test"], tag)
    assert find_body(p.b, "bob", tag, timeout=40), p.a.log_tail()
    return tag


def test_pin_on_first_contact_and_rollover(tmp_path_factory):
    p = keyed_pair(tmp_path_factory, "keypin", rollover="3s")
    try:
        assert pinned(p.a)[0] == 1          # nothing pinned yet
        relay_ok(p, "first")
        fps = key_fps(p.b)
        assert log_has(p.a, r"keypin stored domain=b\.test fp=%s" % fps[1])
        rc, out, _ = pinned(p.a)
        assert rc == 0 and out == "b.test %s\n" % fps[1], out
        # a rollover at b.test: both generations are published, the
        # pinned one still matches
        ctl(p.b, "key", "rollover", B)
        fps = key_fps(p.b)
        assert set(fps) == {1, 2}
        relay_ok(p, "during rollover")
        assert pinned(p.a)[1] == "b.test %s\n" % fps[1]
        # generation 1 expires: only 2 and the rollover line signed by 1
        # are published; the next session (the idle one has closed after
        # 5 s) follows the signature
        time.sleep(IDLE)
        assert set(key_fps(p.b)) == {2}
        relay_ok(p, "after rollover")
        assert log_has(p.a, r"keypin rollover domain=b\.test fp=%s" % fps[2])
        assert pinned(p.a)[1] == "b.test %s\n" % fps[2]
        assert "keypin mismatch" not in p.a.logfile.read_text()
    finally:
        p.stop()


def test_callback_pins_the_issuers_keys(tmp_path_factory):
    """The receiver learns the sending domain's keys with KEY REQUEST on
    the call-back connection of AUTH COOKIE and pins them."""
    p = keyed_pair(tmp_path_factory, "keycallback", a_keys=True)
    try:
        relay_ok(p, "first")
        afp = key_fps(p.a, "a.test")[1]
        assert log_has(p.b, r"call-back domain=a\.test keys=pinned")
        assert log_has(p.b, r"keypin stored domain=a\.test fp=%s" % afp)
        assert pinned(p.b, "a.test")[1] == "a.test %s\n" % afp
        # and a.test pinned b.test's keys on its relay session
        assert pinned(p.a)[1] == "b.test %s\n" % key_fps(p.b)[1]
    finally:
        p.stop()


def test_callback_without_keys(tmp_path_factory):
    p = keyed_pair(tmp_path_factory, "keycallbacknone")
    try:
        relay_ok(p, "first")
        assert log_has(p.b, r"call-back domain=a\.test keys=none")
        assert pinned(p.b, "a.test")[0] == 1
    finally:
        p.stop()


def test_unannounced_change_refused_until_accepted(tmp_path_factory):
    p = keyed_pair(tmp_path_factory, "keychange")
    try:
        relay_ok(p, "first")
        old = key_fps(p.b)[1]
        # b.test throws its keys away and makes new ones: no rollover
        # signature links them to the pinned keys
        for f in p.b.keys.iterdir():
            f.unlink()
        ctl(p.b, "key", "generate", B)
        new = key_fps(p.b)[1]
        assert new != old
        time.sleep(IDLE)    # keys are checked once per relay session
        tag = b"held " + os.urandom(6).hex().encode()
        send(p.a, "alice@a.test", ["bob@b.test"], tag)
        assert log_has(p.a, r"keypin mismatch domain=b\.test seen=%s" % new)
        time.sleep(2)
        assert not find_body(p.b, "bob", tag, timeout=1)
        rc, out, _ = pinned(p.a)
        assert out == "b.test %s mismatch-seen %s\n" % (old, new), out
        # a wrong fingerprint is not accepted
        r = ctl(p.a, "key", "pin", "accept", B, old, check=False)
        assert r.returncode == 1 and new.encode() in r.stderr
        assert pinned(p.a)[1] == out
        r = ctl(p.a, "key", "pin", "accept", B, new)
        assert r.stdout.decode() == "b.test keys pinned to %s\n" % new
        assert pinned(p.a)[1] == "b.test %s\n" % new
        ctl(p.a, "schedule", "all", check=False)
        assert find_body(p.b, "bob", tag, timeout=60), p.a.log_tail()
    finally:
        p.stop()


def test_pinned_domain_stops_publishing_keys(tmp_path_factory):
    p = keyed_pair(tmp_path_factory, "keygone")
    try:
        relay_ok(p, "first")
        shutil.rmtree(p.b.keys)
        time.sleep(IDLE)
        tag = b"gone " + os.urandom(6).hex().encode()
        send(p.a, "alice@a.test", ["bob@b.test"], tag)
        assert log_has(p.a, r"no longer publishes its pinned keys")
        time.sleep(2)
        assert not find_body(p.b, "bob", tag, timeout=1)
        # clearing the pin lets the domain be relayed to without keys
        r = ctl(p.a, "key", "pin", "clear", B)
        assert b"key pin cleared" in r.stdout
        assert pinned(p.a)[0] == 1
        assert ctl(p.a, "key", "pin", "clear", B, check=False).returncode == 1
        ctl(p.a, "schedule", "all", check=False)
        assert find_body(p.b, "bob", tag, timeout=60), p.a.log_tail()
    finally:
        p.stop()


def test_key_pin_hostile_arguments(tmp_path_factory):
    p = Pair(tmp_path_factory, "keypinargs", start_a=False, start_b=False)
    for args in (["key", "pin", "accept", "../x"],
                 ["key", "pin", "accept", B],       # nothing seen
                 ["key", "pin", "show", "bad domain"],
                 ["key", "pin", "clear"],
                 ["key", "pin", "frob", B]):
        r = ctl(p.a, *args, check=False)
        assert r.returncode == 1, args
    assert ctl(p.a, "key", "pin", "show").stdout == b""


# -- envelopes on the wire (immp(7) ENVELOPES, RELAY, DELIVER) -------------

class Proxy:
    """A plain TCP relay from a free port to 127.0.0.1:port that keeps
    every octet it forwards (both ways)."""

    def __init__(self, port):
        import socket
        import threading
        from harness import free_port
        self.port, self.to = free_port(), port
        self.data = bytearray()
        self.lock = threading.Lock()
        self.ls = socket.socket()
        self.ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.ls.bind(("127.0.0.1", self.port))
        self.ls.listen(8)
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        import socket
        import threading
        while True:
            try:
                c, _ = self.ls.accept()
            except OSError:
                return
            u = socket.create_connection(("127.0.0.1", self.to))
            for a, b in ((c, u), (u, c)):
                threading.Thread(target=self.pump, args=(a, b),
                                 daemon=True).start()

    def pump(self, a, b):
        while True:
            try:
                buf = a.recv(65536)
            except OSError:
                buf = b""
            if not buf:
                for s in (a, b):
                    try:
                        s.shutdown(2)
                    except OSError:
                        pass
                return
            with self.lock:
                self.data += buf
            try:
                b.sendall(buf)
            except OSError:
                return

    def close(self):
        self.ls.close()


def test_envelope_round_trip_through_proxy(tmp_path_factory):
    """Both domains have keys: alice@a.test -> bob@b.test goes as
    DELIVER TO b.test with a signed envelope; the stored message records
    it and immp fetch --json shows it; nothing of the recipients is in
    clear on the wire between the hosts."""
    from harness import run_immp_cmd
    import json
    base = tmp_path_factory.mktemp("wire-keys")
    keys, akeys = base / "keys", base / "akeys"
    p = Pair(tmp_path_factory, "wire", start_a=False, start_b=False,
             a_extra='keys "%s"\n' % akeys, b_extra='keys "%s"\n' % keys)
    proxy = Proxy(p.pb)
    conf = p.a.conf.read_text()
    route = 'route "b.test" to 127.0.0.1 port %d' % p.pb
    assert route in conf
    p.a.conf.write_text(conf.replace(route, 'route "b.test" to 127.0.0.1 '
                                     'port %d' % proxy.port))
    ctl(p.b, "key", "generate", B)
    ctl(p.a, "key", "generate", "a.test")
    p.a.start()
    p.b.start()
    try:
        tag = relay_ok(p, "sealed")
        afp = key_fps(p.a, "a.test")[1]
        got = find_body(p.b, "bob", tag).read_bytes()
        m = re.search(rb"^IMMP-Envelope: origin=a\.test; signature=valid; "
                      rb"key=([0-9a-f]{64}); hops=0; timestamp=(\d+)$", got,
                      re.M)
        assert m, got
        assert m.group(1).decode() == afp
        assert abs(int(m.group(2)) - time.time()) < 300
        assert b"x-immp-envelope" not in got
        assert log_has(p.b, r"from=a\.test DELIVER TO b\.test \(envelope\)")
        assert log_has(p.b, r"uuid=\S+ envelope verified rcpts=1")
        # The relayed message was sent with the envelope, domain only.
        assert not re.search(r"DELIVER TO b\.test.* bob@",
                             p.b.logfile.read_text())
        with proxy.lock:
            wire = bytes(proxy.data)
        assert len(wire) > 1000
        for clear in (b"bob@b.test", b"alice@a.test", b"DELIVER", tag):
            assert clear not in wire, clear
        # immp fetch --json shows the verified envelope.
        uuid = re.search(rb"^IMMP-UUID: (\S+)$", got, re.M).group(1)
        r = run_immp_cmd(p.b, "bob@b.test", ["fetch", "/INBOX#" +
                                             uuid.decode(), "--json"])
        assert r.returncode == 0, r.stderr
        env = json.loads(r.stdout)["envelope"]["immp-envelope"]
        assert env == {"origin": "a.test", "signature": "valid",
                       "key": afp, "hops": 0,
                       "timestamp": int(m.group(2))}, env
        # Several parts (metadata, text) in the digest; a recipient
        # the inner envelope names that b.test refuses at DONE is taken
        # out and bounced, the others get the message.
        tag2 = os.urandom(6).hex().encode()
        send(p.a, "alice@a.test", ["nobody@b.test", "bob@b.test"],
             b"two " + tag2 + b"\n", subject="sealed subject")
        got = find_body(p.b, "bob", tag2)
        assert got, p.b.log_tail()
        text = got.read_bytes()
        assert b"Subject: sealed subject" in text
        assert b"IMMP-Envelope: origin=a.test; signature=valid" in text
        assert log_has(p.b, r"event=envelope-refused reason=recipient")
        bounce = find_body(p.a, "alice", b"Recipient: nobody@b.test")
        assert bounce, p.a.log_tail()
        assert b"remote reply 420" in bounce.read_bytes()
    finally:
        p.stop()
        proxy.close()


def content_digest(parts):
    """content-sha256 (immp(7) ENVELOPES) of [(name, type, data,
    content)]."""
    import hashlib
    h = hashlib.sha256()
    for name, typ, data, content in parts:
        h.update(b"part %s %s %s %d %s\n" % (
            name.encode(), typ.encode(),
            b"content" if content else b"attachment", len(data),
            hashlib.sha256(data).hexdigest().encode()))
    return h.hexdigest()


def forged_envelope(fp, digest, **over):
    """An outer envelope of the right form whose signature and sealed
    inner envelope are random octets (no valid one can be made here)."""
    import base64
    import json
    now = int(time.time())
    e = {"version": 1, "immp-origin": "a.test", "immp-destination": B,
         "immp-recipient": [base64.b64encode(os.urandom(120)).decode()],
         "envelope-id": os.urandom(16).hex(), "content-sha256": digest,
         "timestamp": now, "key-fingerprint": fp,
         "received-from": {"domain": "a.test", "timestamp": now},
         "signature": base64.b64encode(os.urandom(64)).decode(),
         "received-via": []}
    e.update(over)
    return json.dumps(e, sort_keys=True, separators=(",", ":")).encode()


@pytest.fixture(scope="module")
def remote_keyed(tmp_path_factory):
    """a.test (keys, known domain secret) and b.test (keys)."""
    base = tmp_path_factory.mktemp("remote-keys")
    secret = base / "domain.secret"
    p = Pair(tmp_path_factory, "remote-keyed", start_a=False, start_b=False,
             a_extra='keys "%s"\ndomain-secret "%s"\n' % (base / "ak",
                                                          secret),
             b_extra='keys "%s"\n' % (base / "bk"))
    r = subprocess.run([binary("immpctl"), "-f", str(p.a.conf), "secret",
                        "generate"], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=30)
    assert r.returncode == 0, r.stdout
    ctl(p.a, "key", "generate", "a.test")
    ctl(p.b, "key", "generate", B)
    p.a.start()
    p.b.start()
    p.secret = secret.read_bytes()
    p.afp = key_fps(p.a, "a.test")[1]
    yield p
    p.stop()


def envelope_session(p):
    """As a.test (valid cookie) at b.test, once b.test pinned a.test's
    keys."""
    s, r, _ = cookie_session(p)
    assert r.code == 210, r.raw
    assert log_has(p.b, r"call-back domain=a\.test keys=(pinned|none)")
    return s


def remote_envelope(p, envelope, parts=None):
    """DELIVER TO b.test, the envelope part, the parts, DONE; returns the
    reply codes to the envelope part and to DONE, and DONE's text."""
    s = envelope_session(p)
    s.cmd("DELIVER TO b.test")
    s.expect(270)
    s.data("envelope", envelope, "application/x-immp-envelope")
    s.expect(271)
    codes = [s.final()[-1].code]
    for name, typ, data, content in parts or []:
        s.data(name, data, typ, content)
        s.expect(271)
        s.expect(272)
    s.cmd("DONE")
    last = s.final()[-1]
    codes.append(last.code)
    s.close()
    return codes, last.text


BODY = [("m", "text/plain", b"forged body\n", True)]


def test_envelope_refusals_on_the_wire(remote_keyed):
    p = remote_keyed
    good = content_digest(BODY)
    cases = [
        ("malformed", b"{}"),
        ("wrong-origin", forged_envelope(p.afp, good,
                                         **{"immp-origin": "c.test"})),
        ("wrong-destination", forged_envelope(
            p.afp, good, **{"immp-destination": "c.test"})),
        ("stale", forged_envelope(p.afp, good,
                                  timestamp=int(time.time()) - 3600)),
        ("bad-digest", forged_envelope(p.afp, "0" * 64)),
        ("bad-key", forged_envelope("1" * 64, good)),
        ("bad-signature", forged_envelope(p.afp, good)),
    ]
    for reason, env in cases:
        codes, text = remote_envelope(p, env, BODY)
        assert codes == [272, 437], (reason, codes, text)
        assert text == "Envelope refused: %s." % reason, text
        assert log_has(p.b, r"from=a\.test uuid=\S+ "
                       r"event=envelope-refused reason=%s" % reason)
    assert not [m for m in p.b.messages("bob")
                if b"forged body" in m.read_bytes()]


def test_envelope_required_and_first(remote_keyed):
    p = remote_keyed
    s = envelope_session(p)
    # Only a domain: the recipients must come in an envelope part.
    s.cmd("DELIVER TO b.test")
    s.expect(270)
    s.data("m", b"no envelope\n", "text/plain", True)
    r = s.final()[-1]
    assert r.code == 434 and "envelope must be the first part" in r.text
    s.cmd("DONE")
    assert s.final()[-1].code == 433
    s.close()
    # Not one of our domains; and the record type is ours alone.
    s = envelope_session(p)
    s.cmd("DELIVER TO c.test")
    assert s.final()[-1].code == 422
    s.cmd("DELIVER TO bob@b.test FROM alice@a.test")
    s.expect(270)
    s.data("r", b"origin=a.test; signature=valid; key=00; hops=0; "
           b"timestamp=1\n", "application/x-immp-envelope-record")
    assert s.final()[-1].code == 434
    s.data("e", b"{}", "application/x-immp-envelope")
    assert s.final()[-1].code == 434
    s.close()


def test_envelope_from_an_unpinned_origin(dialback):
    """a.test publishes no keys: its envelopes are refused as signed by
    an unknown key (it sends without one)."""
    codes, text = remote_envelope(
        dialback, forged_envelope("1" * 64, content_digest(BODY)), BODY)
    assert codes == [272, 437] and text == \
        "Envelope refused: unknown-key.", (codes, text)
    assert log_has(dialback.b, r"event=envelope-refused "
                   r"reason=unknown-key")


def test_forged_envelope_header_not_shown(remote_keyed):
    """A message/rfc822 part carries its own headers into the stored
    message; an IMMP-Envelope header among them is not taken for the
    server's (which says none)."""
    from harness import run_immp_cmd
    import json
    from test_relay import login
    p = remote_keyed
    tag = os.urandom(6).hex()
    fwd = ("IMMP-Envelope: origin=bank.test; signature=valid; key=%s; "
           "hops=0; timestamp=1\r\nSubject: %s\r\n\r\nforged\r\n"
           % ("0" * 64, tag)).encode()
    with login(p.b, "bob@b.test") as s:
        uuid = s.deliver(["bob@b.test"],
                         [("fwd.eml", "message/rfc822", fwd, False)])
    got = find_body(p.b, "bob", tag.encode()).read_bytes()
    assert got.index(b"IMMP-Envelope: none\n") < \
        got.index(b"IMMP-Envelope: origin=bank.test")
    r = run_immp_cmd(p.b, "bob@b.test", ["fetch", "/INBOX#" + uuid,
                                         "--json"])
    assert r.returncode == 0, r.stderr
    env = json.loads(r.stdout)["envelope"]
    assert "immp-envelope" not in env, env


def plain_remote(p, tag, rcpt="bob@b.test"):
    """As a.test at b.test, DELIVER TO rcpt with one part and DONE in
    the old form (no envelope); returns DONE's final reply."""
    s = envelope_session(p)
    s.cmd("DELIVER TO %s FROM alice@a.test" % rcpt)
    s.expect(270)
    s.data("m", tag, "text/plain", True)
    s.expect(271)
    s.expect(272)
    s.cmd("DONE")
    r = s.final()[-1]
    s.close()
    return r


def test_pinned_origin_must_send_envelopes(remote_keyed):
    """Once b.test pinned a.test's keys, a.test can seal to b.test: a
    message in the old form from it is a downgrade and refused at DONE."""
    p = remote_keyed
    tag = relay_ok(p, "enveloped")
    assert log_has(p.b, r"from=a\.test uuid=\S+ envelope verified")
    assert b"IMMP-Envelope: origin=a.test; signature=valid" in \
        find_body(p.b, "bob", tag).read_bytes()
    assert pinned(p.b, "a.test")[1] == "a.test %s\n" % p.afp
    plain = b"downgraded " + os.urandom(6).hex().encode()
    r = plain_remote(p, plain)
    assert r.code == 437 and r.text == \
        "Envelope refused: envelope-required.", r.raw
    assert log_has(p.b, r"from=a\.test uuid=\S+ "
                   r"event=envelope-refused reason=envelope-required")
    # without FROM (a bounce of a.test's) and to two recipients alike
    s = envelope_session(p)
    s.cmd("DELIVER TO bob@b.test")
    s.expect(270)
    s.data("m", plain, "text/plain", True)
    s.expect(271)
    s.expect(272)
    s.cmd("DONE")
    assert s.final()[-1].code == 437
    # the session goes on: the envelope form is still taken
    s.cmd("DELIVER TO b.test")
    assert s.final()[-1].code == 270
    s.close()
    time.sleep(1)
    assert not find_body(p.b, "bob", plain, timeout=2)


def test_pinned_origin_to_a_domain_without_keys(tmp_path_factory):
    """b.test publishes no keys but pins a.test's on the call-back:
    a.test cannot seal to it, so the old form is still taken."""
    base = tmp_path_factory.mktemp("pinned-nokeys")
    secret = base / "domain.secret"
    (base / "bk").mkdir()
    p = Pair(tmp_path_factory, "pinned-nokeys", start_a=False,
             start_b=False,
             a_extra='keys "%s"\ndomain-secret "%s"\n' % (base / "ak",
                                                          secret),
             b_extra='keys "%s"\n' % (base / "bk"))
    try:
        r = subprocess.run([binary("immpctl"), "-f", str(p.a.conf),
                            "secret", "generate"], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=30)
        assert r.returncode == 0, r.stdout
        ctl(p.a, "key", "generate", "a.test")
        p.a.start()
        p.b.start()
        p.secret = secret.read_bytes()
        relay_ok(p, "to an unkeyed domain")
        assert log_has(p.b, r"call-back domain=a\.test keys=pinned")
        assert pinned(p.b, "a.test")[0] == 0
        tag = b"plain " + os.urandom(6).hex().encode()
        r = plain_remote(p, tag)
        assert r.code == 273, r.raw
        assert find_body(p.b, "bob", tag)
        assert "envelope-required" not in p.b.logfile.read_text()
    finally:
        p.stop()


def test_many_recipients_go_as_several_envelopes(remote_keyed):
    """More recipients at one keyed domain than one sealed inner envelope
    holds (64): the queue relays the message as several copies, each
    with its own envelope, and none is refused as a downgrade."""
    p = remote_keyed
    relay_ok(p, "first contact")
    tag = ("many " + os.urandom(6).hex()).encode()
    log = p.b.logfile.read_text(errors="replace")
    before = log.count("envelope verified")
    refused = log.count("reason=envelope-required")
    rcpts = ["bob+r%d@b.test" % i for i in range(70)]
    send(p.a, "alice@a.test", rcpts, tag)
    assert find_body(p.b, "bob", tag, timeout=40), p.a.log_tail()

    def verified():
        n = p.b.logfile.read_text(errors="replace").count(
            "envelope verified")
        return n >= before + 2
    assert immpclient.wait_for(verified, 30), p.b.log_tail()
    assert p.b.logfile.read_text(errors="replace").count(
        "reason=envelope-required") == refused
    # no bounce for alice
    assert not find_body(p.a, "alice", tag, timeout=3)
