"""Domain keys: immpctl key generate|show|rollover and KEY REQUEST
(immp(7) KEY REQUEST and DOMAIN KEYS, immpctl(8) KEY FILES, draft 6.1).
Fingerprints and rollover signatures are recomputed here from immp(7):
BLAKE2b-256 with hashlib, Ed25519 through libsodium (ctypes), since the
Python standard library has no Ed25519."""

import base64
import ctypes
import hashlib
import os
import pwd
import re
import shutil
import stat
import subprocess
import time

import pytest

import immpclient
from harness import (DOMAIN, binary, missing_privsep_users, new_daemon,
                     privsep_daemon, proc_uids)

import argon2   # loads libsodium (and sodium_init) for the ctypes below

_sodium = argon2._lib
_sodium.crypto_sign_verify_detached.restype = ctypes.c_int
_sodium.crypto_sign_verify_detached.argtypes = [
    ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulonglong, ctypes.c_char_p]
_sodium.crypto_sign_seed_keypair.restype = ctypes.c_int
_sodium.crypto_sign_seed_keypair.argtypes = [
    ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p]
_sodium.crypto_scalarmult_base.restype = ctypes.c_int
_sodium.crypto_scalarmult_base.argtypes = [ctypes.c_char_p, ctypes.c_char_p]

OTHER = "nokeys.test"           # a local domain without keys
FP_RE = r"[0-9a-f]{64}"
B64_32 = r"[A-Za-z0-9+/]{43}="
B64_64 = r"[A-Za-z0-9+/]{86}=="
TIME = r"[1-9][0-9]*"
KEY_LINE = re.compile(r"key (?P<gen>[1-9][0-9]*) (?P<role>current|next) "
                      r"(?P<fp>%s)$" % FP_RE)
SIGN_LINE = re.compile(r"sign (?P<gen>[1-9][0-9]*) ed25519 (?P<pk>%s) "
                       r"(?P<created>%s) (?P<na>%s|-)$" % (B64_32, TIME, TIME))
SEAL_LINE = re.compile(r"seal (?P<gen>[1-9][0-9]*) x25519 (?P<pk>%s) "
                       r"(?P<created>%s) (?P<na>%s|-)$" % (B64_32, TIME, TIME))
ROLL_LINE = re.compile(r"rollover (?P<gen>[1-9][0-9]*) (?P<prev>[1-9][0-9]*) "
                       r"(?P<prevfp>%s) (?P<sig>%s)$" % (FP_RE, B64_64))


def verify(sig, msg, pk):
    return _sodium.crypto_sign_verify_detached(sig, msg, len(msg), pk) == 0


def fingerprint(sign_pk, seal_pk):
    """immp(7) DOMAIN KEYS: BLAKE2b-256 of "immp-key-v1" || both keys."""
    return hashlib.blake2b(b"immp-key-v1" + sign_pk + seal_pk,
                           digest_size=32).hexdigest()


def immpctl(d, *args, check=True):
    r = subprocess.run([binary("immpctl"), "-f", str(d.conf), "key"] +
                       list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=30)
    if check and r.returncode != 0:
        pytest.fail("immpctl key %s failed (%d): %s" % (
            " ".join(args), r.returncode, r.stderr.decode()), pytrace=False)
    return r


def show(d, domain=DOMAIN):
    return immpctl(d, "show", domain).stdout.decode().splitlines()


def keyed(tmp_path_factory, certs, name, rollover="7d", generate=True):
    """A daemon with its own key directory (not yet created) and a second
    local domain without keys; demo.test's keys created after the
    start (immp-lookup picks up a changed key file)."""
    keys = tmp_path_factory.mktemp("keys") / "keys"
    d = new_daemon(tmp_path_factory, certs, name, extra_conf=(
        'domain "%s"\nkeys "%s"\nkey-rollover %s' % (OTHER, keys,
                                                      rollover)))
    d.keys = keys
    if generate:
        immpctl(d, "generate", DOMAIN)
    return d


@pytest.fixture(scope="module")
def kd(tmp_path_factory, certs):
    d = keyed(tmp_path_factory, certs, "test_keys")
    yield d
    d.stop()


def tls(d):
    s = d.session()
    s.greeting()
    s.upgrade()
    return s


def key_request(s, domain=DOMAIN, pid=None):
    """Sends KEY REQUEST; returns (260 reply, [261 lines]) or (reply, [])
    for a refusal."""
    s.cmd(("AS %s " % pid if pid else "") + "KEY REQUEST " + domain)
    first = s.final()
    assert len(first) == 1, first
    if first[0].code != 260:
        return first[0], []
    rest = s.final()
    assert all(r.code == 261 for r in rest), rest
    assert all(r.id == pid for r in first + rest), first + rest
    assert rest[-1].text == "End of keys for %s." % domain.lower(), rest[-1]
    return first[0], rest


def parse_keys(lines):
    """{gen: {...}} and the rollover line from the 261 texts (without the
    final line), checking the order immp(7) gives."""
    gens, order, roll = {}, [], None
    i = 0
    while i < len(lines):
        m = KEY_LINE.match(lines[i])
        if m is None:
            break
        s = SIGN_LINE.match(lines[i + 1])
        x = SEAL_LINE.match(lines[i + 2])
        assert s and x, lines[i:i + 3]
        gen = m.group("gen")
        assert s.group("gen") == gen == x.group("gen")
        assert s.group("created") == x.group("created")
        assert s.group("na") == x.group("na")
        sign_pk = base64.b64decode(s.group("pk"), validate=True)
        seal_pk = base64.b64decode(x.group("pk"), validate=True)
        assert m.group("fp") == fingerprint(sign_pk, seal_pk)
        gens[int(gen)] = {"role": m.group("role"), "fp": m.group("fp"),
                          "sign": sign_pk, "seal": seal_pk,
                          "created": int(s.group("created")),
                          "not_after": None if s.group("na") == "-"
                          else int(s.group("na"))}
        order.append(int(gen))
        i += 3
    if i < len(lines):
        roll = ROLL_LINE.match(lines[i])
        assert roll, lines[i]
        i += 1
    assert i == len(lines), lines
    assert order and gens[order[0]]["role"] == "current"
    assert all(gens[g]["role"] == "next" for g in order[1:])
    return gens, order, roll


def check_against_show(d, first, rest):
    """The 260/261 reply carries exactly what immpctl key show prints."""
    out = show(d)
    fp = re.fullmatch(r"Public keys for demo\.test \(fingerprint (%s)\):" %
                      FP_RE, first.text)
    assert fp, first.raw
    assert out[0] == "domain demo.test fingerprint " + fp.group(1)
    assert out[1:] == [r.text for r in rest[:-1]]


def test_generate_files(kd):
    pub = kd.keys / "demo.test.pub"
    sec = kd.keys / "demo.test.key"
    assert stat.S_IMODE(os.stat(sec).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(pub).st_mode) == 0o644
    # as root the secret keys belong to the configuration's user (the
    # lookup process signs and opens envelopes with them), else to us
    owner = os.getuid()
    if owner == 0:
        try:
            owner = pwd.getpwnam("_immpd").pw_uid
        except KeyError:
            pass
    assert os.stat(sec).st_uid == owner
    assert not list(kd.keys.glob("*.tmp"))
    ptext = pub.read_text().splitlines()
    stext = sec.read_text().splitlines()
    assert ptext[0] == "immp-keys v1 public demo.test"
    assert stext[0] == "immp-keys v1 secret demo.test"
    assert len(ptext) == len(stext) == 3
    # the secret keys belong to the published public keys
    sm = re.fullmatch(r"sign 1 ed25519-secret (%s) (%s) -" % (B64_64, TIME),
                      stext[1])
    xm = re.fullmatch(r"seal 1 x25519-secret (%s) (%s) -" % (B64_32, TIME),
                      stext[2])
    assert sm and xm, stext
    sk = base64.b64decode(sm.group(1))
    pk, sk2 = ctypes.create_string_buffer(32), ctypes.create_string_buffer(64)
    assert _sodium.crypto_sign_seed_keypair(pk, sk2, sk[:32]) == 0
    assert sk2.raw == sk
    xpk = ctypes.create_string_buffer(32)
    assert _sodium.crypto_scalarmult_base(
        xpk, base64.b64decode(xm.group(1))) == 0
    assert ptext[1] == "sign 1 ed25519 %s %s -" % (
        base64.b64encode(pk.raw).decode(), sm.group(2))
    assert ptext[2] == "seal 1 x25519 %s %s -" % (
        base64.b64encode(xpk.raw).decode(), xm.group(2))
    # a second generate is refused and changes nothing
    r = immpctl(kd, "generate", DOMAIN, check=False)
    assert r.returncode == 1 and b"keys exist" in r.stderr
    assert pub.read_text().splitlines() == ptext


def test_key_request(kd):
    with tls(kd) as s:
        first, rest = key_request(s)
        assert first.code == 260, first.raw
        gens, order, roll = parse_keys([r.text for r in rest[:-1]])
        assert order == [1] and roll is None
        assert gens[1]["not_after"] is None
        assert all(r.more for r in rest[:-1]) and not rest[-1].more
        check_against_show(kd, first, rest)
        # the session goes on
        s.cmd("NOOP")
        s.expect(200)


def test_key_request_local_state_pipelined(kd):
    s = kd.login("alice@demo.test")
    with s:
        first, rest = key_request(s, "Demo.TEST", pid="k1")
        assert first.code == 260 and first.id == "k1", first.raw
        check_against_show(kd, first, rest)
        s.cmd("AS k2 KEY REQUEST demo.test; AS k3 NOOP")
        assert s.final()[-1].code == 260
        assert s.final()[-1].code == 261
        r = s.final()[-1]
        assert (r.id, r.code) == ("k3", 200)


@pytest.mark.parametrize("line,code,text", [
    ("KEY REQUEST example.org", 460,
     "example.org: not a domain of this server."),
    ("KEY REQUEST EXAMPLE.org", 460,
     "example.org: not a domain of this server."),
    ("KEY REQUEST " + OTHER, 461, OTHER + ": no keys published."),
    ("KEY REQUEST", 400, "Syntax: KEY REQUEST <domain>."),
    ("KEY REQUEST demo.test extra", 400, "Syntax: KEY REQUEST <domain>."),
    ("KEY REQUEST demo.test +JSON", 400, "Syntax: KEY REQUEST <domain>."),
    ("KEY FETCH demo.test", 400, "Syntax: KEY REQUEST <domain>."),
    ("KEY", 400, "Syntax: KEY REQUEST <domain>."),
    ("KEY REQUEST a..b", 400, "Bad domain name."),
    ("KEY REQUEST demo.test.", 400, "Bad domain name."),
    ("KEY REQUEST alice@demo.test", 400, "Bad domain name."),
    ("KEY REQUEST ../demo.test", 400, "Bad domain name."),
    ('KEY REQUEST "demo.test/../x"', 400, "Bad domain name."),
    ("KEY REQUEST " + "a" * 64 + ".test", 400, "Bad domain name."),
    ("KEY REQUEST " + ".".join(["a" * 60] * 5), 400, "Bad domain name."),
])
def test_key_request_refused(kd, line, code, text):
    with tls(kd) as s:
        s.cmd(line)
        r = s.final()
        assert len(r) == 1 and (r[0].code, r[0].text) == (code, text), r
        s.cmd("NOOP")
        s.expect(200)


def test_key_request_before_tls(kd):
    with kd.session() as s:
        s.greeting()
        s.cmd("KEY REQUEST demo.test")
        s.expect(403, "TLS required: use UPGRADE TLS first.")
        s.upgrade()
        first, _ = key_request(s)
        assert first.code == 260


def test_key_request_implicit_tls(tmp_path_factory, certs):
    keys = tmp_path_factory.mktemp("keys") / "keys"
    d = new_daemon(tmp_path_factory, certs, "keys_implicit",
                   implicit_tls=True, extra_conf='keys "%s"' % keys)
    try:
        immpctl(d, "generate", DOMAIN)
        with immpclient.Session(d.tls_port, cafile=str(d.cert),
                                implicit_tls=True) as s:
            lines = s.greeting()
            assert [r.code for r in lines] == [100, 101]
            first, rest = key_request(s)
            assert first.code == 260
            check_against_show(d, first, rest)
    finally:
        d.stop()


def test_rollover(tmp_path_factory, certs):
    d = keyed(tmp_path_factory, certs, "keys_rollover", rollover="4s")
    try:
        with tls(d) as s:
            _, rest = key_request(s)
            old, _, _ = parse_keys([r.text for r in rest[:-1]])
        before = int(time.time())
        out = immpctl(d, "rollover", DOMAIN).stdout.decode().splitlines()
        assert out == show(d)
        with tls(d) as s:
            first, rest = key_request(s)
            check_against_show(d, first, rest)
            gens, order, roll = parse_keys([r.text for r in rest[:-1]])
        assert order == [1, 2]
        assert gens[1]["fp"] == old[1]["fp"]
        assert first.text.endswith("(fingerprint %s):" % old[1]["fp"])
        assert gens[2]["role"] == "next" and gens[2]["not_after"] is None
        assert before + 4 <= gens[1]["not_after"] <= int(time.time()) + 4
        assert roll and roll.group("gen") == "2" and \
            roll.group("prev") == "1" and \
            roll.group("prevfp") == old[1]["fp"]
        # the rollover signature: the old key signs the new fingerprint
        sig = base64.b64decode(roll.group("sig"), validate=True)
        msg = ("immp-rollover v1 demo.test %s %s" % (
            old[1]["fp"], gens[2]["fp"])).encode()
        assert verify(sig, msg, old[1]["sign"])
        assert not verify(sig, msg, gens[2]["sign"])
        bad = bytearray(msg)
        bad[-1] ^= 1
        assert not verify(sig, bytes(bad), old[1]["sign"])
        # a second rollover waits for the first one
        r = immpctl(d, "rollover", DOMAIN, check=False)
        assert r.returncode == 1 and b"rollover is in progress" in r.stderr
        # after the period the old generation is no longer published,
        # the rollover line still is (a peer that pinned it can follow)
        time.sleep(max(0, gens[1]["not_after"] - time.time()) + 1.1)
        with tls(d) as s:
            first, rest = key_request(s)
            check_against_show(d, first, rest)
            now, order, roll2 = parse_keys([r.text for r in rest[:-1]])
        assert order == [2] and now[2]["role"] == "current"
        assert now[2]["fp"] == gens[2]["fp"]
        assert roll2.group(0) == roll.group(0)
        # the next rollover drops generation 1, signs 3 with 2
        immpctl(d, "rollover", DOMAIN)
        with tls(d) as s:
            _, rest = key_request(s)
            g3, order, roll3 = parse_keys([r.text for r in rest[:-1]])
        assert order == [2, 3]
        msg = ("immp-rollover v1 demo.test %s %s" % (
            g3[2]["fp"], g3[3]["fp"])).encode()
        assert verify(base64.b64decode(roll3.group("sig")), msg,
                      g3[2]["sign"])
        assert "sign 1 " not in (d.keys / "demo.test.pub").read_text()
    finally:
        d.stop()


def test_bad_key_files(tmp_path_factory, certs):
    """A broken public key file is refused by immp-lookup, which keeps
    publishing the keys it had; immpctl writes it again from the secret
    file; a secret key file readable by others is refused."""
    d = keyed(tmp_path_factory, certs, "keys_bad")
    try:
        pub = d.keys / "demo.test.pub"
        good = pub.read_text()
        with tls(d) as s:
            _, before = key_request(s)
        lines = good.splitlines()
        for text in ["garbage\n", good + "sign 9 ed25519 x 1 -\n",
                     good.replace("\n", "\r\n"), good[:-1],
                     "\n".join(lines[:2] + lines[1:]) + "\n",
                     good.replace(" ed25519 ", " ed25519-secret "),
                     good.replace("demo.test", "nokeys.test")]:
            pub.write_text(text)
            with tls(d) as s:
                _, rest = key_request(s)
                assert [r.text for r in rest] == [r.text for r in before]
        r = immpctl(d, "show", DOMAIN, check=False)
        assert r.returncode == 1 and b"demo.test.pub" in r.stderr
        # generate restores the public file from the secret one
        r = immpctl(d, "generate", DOMAIN)
        assert b"written again" in r.stderr
        assert pub.read_text() == good
        sec = d.keys / "demo.test.key"
        os.chmod(sec, 0o640)
        r = immpctl(d, "rollover", DOMAIN, check=False)
        assert r.returncode == 1 and b"mode 0640" in r.stderr
        os.chmod(sec, 0o600)
        # no keys at all: 461, and keys appear without a restart
        pub.unlink()
        with tls(d) as s:
            s.cmd("KEY REQUEST demo.test")
            s.expect(461, "demo.test: no keys published.")
        r = immpctl(d, "generate", DOMAIN)
        assert pub.read_text() == good
        with tls(d) as s:
            first, rest = key_request(s)
            assert first.code == 260
        d.assert_healthy()
    finally:
        d.stop()


def test_show_all_and_errors(kd):
    r = immpctl(kd, "show")
    out = r.stdout.decode().splitlines()
    assert out[:len(show(kd))] == show(kd)
    assert out[-1] == "domain %s none" % OTHER
    r = immpctl(kd, "show", OTHER, check=False)
    assert r.returncode == 1 and b"no keys" in r.stderr
    for args in (["show", "example.org"], ["generate", "example.org"],
                 ["rollover", OTHER], ["generate"], ["frobnicate"]):
        r = immpctl(kd, *args, check=False)
        assert r.returncode == 1, args


@pytest.mark.skipif(os.geteuid() != 0 or bool(missing_privsep_users()),
                    reason="privilege separation needs root and the "
                    "system users (make install-users)")
def test_key_request_privsep(certs):
    """As installed: keys created before the start are loaded by
    immp-lookup running as _immpd, which owns the secret keys (it signs
    and opens envelopes with them) and nobody else may read."""
    immpd = pwd.getpwnam("_immpd")
    d = privsep_daemon(certs, "immpd-keys-", accounts=("alice@demo.test",))
    try:
        # under d.base, which _immpd may traverse
        keys = os.path.join(d.base, "keys")
        with open(d.conf, "a") as f:
            f.write('keys "%s"\n' % keys)
        immpctl(d, "generate", DOMAIN)
        sec = os.stat(os.path.join(keys, "demo.test.key"))
        assert (sec.st_uid, stat.S_IMODE(sec.st_mode)) == (immpd.pw_uid,
                                                         0o600)
        d.start()
        try:
            lookup = d.wait_ready()["lookup"]
            assert proc_uids(lookup)[0] == immpd.pw_uid
            with tls(d) as s:
                first, rest = key_request(s)
                assert first.code == 260, first.raw
                check_against_show(d, first, rest)
        finally:
            d.stop()
    finally:
        shutil.rmtree(d.base, ignore_errors=True)
