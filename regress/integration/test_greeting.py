"""Greeting, the unencrypted state and UPGRADE TLS (immp(7) GREETING,
UPGRADE)."""

import base64
import re
import socket
import ssl
import subprocess

import pytest

import immpclient

IMPLICIT_TLS = True     # the module daemon also listens with implicit TLS

NONCE_RE = r"[A-Za-z0-9+/]{32}"


def check_nonce(text):
    m = re.fullmatch(r"p=IMMP v=1\.0 d=demo\.test i=(%s)" % NONCE_RE, text)
    assert m, "bad 101 line: %r" % text
    assert len(base64.b64decode(m.group(1), validate=True)) == 24
    return m.group(1)


def test_greeting_lines(daemon):
    with daemon.session() as s:
        lines = [s.read_line() for _ in range(3)]
        assert lines[0] == b"100-immpd IMMP/1.0 server at demo.test"
        assert lines[1] == b"100 TLS1.3 TLS1.2"
        assert lines[2].startswith(b"101 ")
        check_nonce(lines[2][4:].decode())


def test_session_nonces_differ(daemon):
    nonces = set()
    for _ in range(3):
        with daemon.session() as s:
            s.greeting()
            nonces.add(s.nonce)
    assert len(nonces) == 3, nonces


@pytest.mark.parametrize("command", [
    "AUTH SECRET alice@demo.test",
    "AUTH RESPONSE c=AAAAAAAAAAAAAAAAAAAAAA== p=AAAA",
    "DELIVER TO alice@demo.test",
    "DATA NAME x LENGTH 0",
    "DONE",
    "MBOX CHECK",
    "FROBNICATE now",
    "AS p1 DELIVER TO alice@demo.test",
])
def test_refused_before_tls(daemon, command):
    with daemon.session() as s:
        s.greeting()
        s.cmd(command)
        r = s.final()[-1]
        assert r.code == 403, r.raw
        assert r.text == "TLS required: use UPGRADE TLS first.", r.raw
        if command.startswith("AS p1 "):
            assert r.id == "p1", r.raw
        # the session is still usable
        s.cmd("NOOP")
        s.expect(200, "OK.")


def test_noop_and_quit(daemon):
    with daemon.session() as s:
        s.greeting()
        s.cmd("NOOP")
        s.expect(200, "OK.")
        s.cmd("noop")           # keywords are case-insensitive
        s.expect(200, "OK.")
        s.cmd("AS n1 NOOP")
        r = s.reply()
        assert r.raw == b"n1: 200 OK."
        s.cmd("QUIT")
        s.expect(201, "Bye.")
        assert s.at_eof(), "connection not closed after QUIT"


def test_upgrade_tls(daemon):
    with daemon.session() as s:
        s.greeting()
        s.cmd("UPGRADE TLS")
        s.expect(204, "Upgrading to TLS.")
        assert s.buf == b""
        s.start_tls()
        assert s.sock.version() in ("TLSv1.2", "TLSv1.3")
        der = ssl.PEM_cert_to_DER_cert(daemon.cert.read_text())
        assert s.sock.getpeercert(binary_form=True) == der
        # after the handshake the server says nothing: the client goes on
        s.cmd("NOOP")
        s.expect(200, "OK.")
        s.cmd("UPGRADE TLS")
        r = s.final()[-1]
        assert r.code == 402, r.raw
        # not authenticated yet: DELIVER is refused, AUTH is allowed
        s.cmd("DELIVER TO alice@demo.test")
        r = s.final()[-1]
        assert r.code == 402 and r.text == "Authentication required.", r.raw
        s.cmd("QUIT")
        s.expect(201)


@pytest.mark.parametrize("method", ["TLS1.2", "TLS1.3", "TLS2", "TLS3",
                                    "tls"])
def test_upgrade_aliases(daemon, method):
    with daemon.session() as s:
        s.greeting()
        s.upgrade(method)
        s.cmd("NOOP")
        s.expect(200)


def test_upgrade_unknown_method(daemon):
    with daemon.session() as s:
        s.greeting()
        s.cmd("UPGRADE SSL3")
        r = s.final()[-1]
        assert r.code == 400, r.raw
        s.cmd("UPGRADE")
        r = s.final()[-1]
        assert r.code == 400, r.raw
        s.upgrade()             # still possible afterwards
        s.cmd("NOOP")
        s.expect(200)


def test_tls_handshake_refuses_wrong_name(daemon):
    """The certificate is for demo.test only."""
    with daemon.session(servername="other.test") as s:
        s.greeting()
        s.cmd("UPGRADE TLS")
        s.expect(204)
        with pytest.raises(ssl.SSLCertVerificationError):
            s.start_tls()


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_no_tls_below_1_2(daemon):
    with daemon.session() as s:
        s.greeting()
        s.cmd("UPGRADE TLS")
        s.expect(204)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(str(daemon.cert))
        # let this side offer TLS 1.0/1.1 for real, so that only the
        # server can be the one refusing
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        try:
            ctx.minimum_version = ssl.TLSVersion.TLSv1
            ctx.maximum_version = ssl.TLSVersion.TLSv1_1
        except ValueError:
            pytest.skip("this OpenSSL cannot offer TLS 1.1")
        with pytest.raises((ssl.SSLError, ConnectionError)):
            tls = ctx.wrap_socket(s.sock, server_hostname="demo.test")
            tls.sendall(b"NOOP\r\n")
            tls.recv(100)


def test_openssl_s_client_implicit_tls(daemon):
    """An independent TLS client against the implicit-TLS listener:
    handshake, certificate check, greeting after it, NOOP and QUIT."""
    r = subprocess.run(
        ["openssl", "s_client", "-quiet", "-connect",
         "127.0.0.1:%d" % daemon.tls_port, "-servername", "demo.test",
         "-verify_hostname", "demo.test", "-CAfile", str(daemon.cert),
         "-verify_return_error"],
        input=b"NOOP\r\nQUIT\r\n", stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, timeout=30)
    out = r.stdout.split(b"\r\n")
    assert out[0] == b"100 immpd IMMP/1.0 server at demo.test", r
    assert out[1].startswith(b"101 "), r
    check_nonce(out[1][4:].decode())
    assert out[2] == b"200 OK.", r
    assert out[3] == b"201 Bye.", r
    assert b"verify error" not in r.stderr, r.stderr


def test_implicit_tls_refuses_upgrade(daemon):
    with immpclient.Session(daemon.tls_port, cafile=str(daemon.cert),
                            implicit_tls=True) as s:
        lines = s.greeting()
        assert [r.code for r in lines] == [100, 101]
        assert not lines[0].more
        s.cmd("UPGRADE TLS")
        assert s.final()[-1].code == 402
        s.cmd("NOOP")
        s.expect(200)


def test_plaintext_on_implicit_tls_port_fails(daemon):
    """A client that speaks plain text to the TLS listener gets no
    greeting."""
    with socket.create_connection(("127.0.0.1", daemon.tls_port),
                                  timeout=10) as raw:
        raw.sendall(b"NOOP\r\n")
        raw.settimeout(10)
        try:
            data = raw.recv(100)
        except (ConnectionResetError, TimeoutError, OSError):
            data = b""
        assert not data.startswith(b"100"), data


def test_commands_sent_in_clear_after_upgrade_are_dropped(daemon):
    """STARTTLS command injection (CVE-2011-0411 in SMTP): whatever comes
    in the clear behind UPGRADE TLS must not run inside TLS."""
    with daemon.session() as s:
        s.greeting()
        s.send(b"UPGRADE TLS\r\nAS inj NOOP\r\n")
        s.expect(204, "Upgrading to TLS.")
        s.start_tls()
        s.cmd("AS real NOOP")
        r = s.reply()
        assert r.raw == b"real: 200 OK.", r.raw
