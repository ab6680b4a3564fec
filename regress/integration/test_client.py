"""The immp(1) client: output, exit statuses, TLS and server checks.  Some
tests run it against a small scripted server written here, which checks
what the client sends and can misbehave on purpose."""

import base64
import hashlib
import hmac
import os
import re
import socket
import ssl
import subprocess
import threading

import pytest

import immpclient
from harness import binary, free_port, immp_uuid, run_immp


def test_send_output_and_exit_0(daemon, tmp_path):
    (tmp_path / "b.txt").write_bytes(b"hello\n")
    r = run_immp(daemon, "bob@demo.test",
                 ["-t", "alice@demo.test", "-s", "hi",
                  str(tmp_path / "b.txt")])
    uuid = immp_uuid(r)
    assert r.stderr == b""
    daemon.wait_message("alice", uuid)


def test_account_domain_in_any_case(daemon):
    # The AuthMessage carries the canonical account; a login typed with
    # the domain in capitals must still authenticate.
    pwfile = daemon.base / "password-mixed-case"
    pwfile.write_text(daemon.users["bob@demo.test"] + "\n")
    os.chmod(pwfile, 0o600)
    r = subprocess.run(
        [binary("immp"), "-H", "127.0.0.1:%d" % daemon.port,
         "-u", "imid:bob@Demo.TEST", "--password-file", str(pwfile),
         "--ca", str(daemon.cert), "--servername", "demo.test",
         "send", "-t", "alice@demo.test", "-"],
        input=b"case\n", stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        timeout=60)
    daemon.wait_message("alice", immp_uuid(r))


def test_wrong_password_exit_1(daemon):
    r = run_immp(daemon, "bob@demo.test", ["-t", "alice@demo.test", "-"],
                 password="not the password", stdin=b"x\n")
    assert r.returncode == 1, r
    assert b"410 Authentication failed." in r.stderr, r.stderr
    assert r.stdout == b""


def test_unknown_recipient_exit_1(daemon):
    r = run_immp(daemon, "bob@demo.test", ["-t", "nobody@demo.test", "-"],
                 stdin=b"x\n")
    assert r.returncode == 1, r
    assert b"420 nobody@demo.test: recipient refused." in r.stderr


def test_wrong_ca_exit_1(daemon, certs):
    r = run_immp(daemon, "bob@demo.test", ["-t", "alice@demo.test", "-"],
                 ca=certs["other"], stdin=b"x\n")
    assert r.returncode == 1, r
    assert b"TLS handshake" in r.stderr, r.stderr
    assert b"verif" in r.stderr, r.stderr


def test_wrong_servername_exit_1(daemon):
    r = run_immp(daemon, "bob@demo.test", ["-t", "alice@demo.test", "-"],
                 extra=["--servername", "other.test"], stdin=b"x\n")
    assert r.returncode == 1, r
    assert b"TLS handshake" in r.stderr, r.stderr


def test_insecure_skips_verification(daemon):
    r = run_immp(daemon, "bob@demo.test", ["-t", "alice@demo.test", "-"],
                 ca=False, extra=["--insecure"], stdin=b"x\n")
    immp_uuid(r)


def test_connection_refused_exit_2(daemon):
    r = subprocess.run(
        [binary("immp"), "-H", "127.0.0.1:%d" % free_port(), "-u",
         "bob@demo.test", "--insecure", "send", "-t", "alice@demo.test",
         "-"], input=b"x\n", env=dict(os.environ, IMMP_PASSWORD="x"),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    assert r.returncode == 2, r
    assert b"connect" in r.stderr


def test_throttled_exit_2(fresh_daemon):
    d = fresh_daemon()
    for _ in range(5):
        with d.session() as s:
            s.greeting()
            s.upgrade()
            r, _ = s.auth("bob@demo.test", "wrong")
            assert r.code == 410
    r = run_immp(d, "bob@demo.test", ["-t", "alice@demo.test", "-"],
                 stdin=b"x\n")
    assert r.returncode == 2, r
    assert b"710 " in r.stderr, r.stderr


def test_account_and_password_from_environment(daemon):
    r = subprocess.run(
        [binary("immp"), "-H", "127.0.0.1:%d" % daemon.port, "--ca",
         str(daemon.cert), "send", "-t", "alice@demo.test", "-"],
        input=b"from the environment\n",
        env=dict(os.environ, IMMP_ACCOUNT="bob@demo.test",
                 IMMP_PASSWORD=daemon.users["bob@demo.test"]),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    uuid = immp_uuid(r)
    daemon.wait_message("alice", uuid)


def test_verbose_never_shows_secrets(daemon):
    password = daemon.users["bob@demo.test"]
    r = run_immp(daemon, "bob@demo.test", ["-t", "alice@demo.test", "-"],
                 extra=["-v"], stdin=b"x\n")
    immp_uuid(r)
    err = r.stderr.decode()
    assert "C: UPGRADE TLS" in err
    assert "S: 204 " in err
    assert re.search(r"^S: 273 ", err, re.M)
    assert "C: AUTH SECRET bob@demo.test" in err
    assert password not in err
    assert not re.search(r"p=[A-Za-z0-9+/]{43}=", err), err
    assert not re.search(r"c=[A-Za-z0-9+/]{16,}", err), err


@pytest.mark.parametrize("args", [
    ["send", "-"],                                          # no -t
    ["send", "-t", "a@demo.test", "-s", "x", "--raw", "m.eml"],
    ["--insecure", "--ca", "x.pem", "send", "-t", "a@demo.test", "-"],
    ["fly", "-t", "a@demo.test"],
    [],
    ["send", "-t", "a@demo.test", "one", "two"],
], ids=["no-rcpt", "raw-and-subject", "ca-and-insecure", "bad-command",
        "nothing", "two-bodies"])
def test_usage_errors(args):
    r = subprocess.run([binary("immp"), "-u", "bob@demo.test"] + args,
                       input=b"", stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=30,
                       env=dict(os.environ, IMMP_PASSWORD="x"))
    assert r.returncode == 1, r
    assert b"usage:" in r.stderr or b"immp:" in r.stderr


def test_no_account():
    env = dict(os.environ, IMMP_PASSWORD="x")
    env.pop("IMMP_ACCOUNT", None)
    r = subprocess.run([binary("immp"), "send", "-t", "a@demo.test", "-"],
                       input=b"", stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=env, timeout=30)
    assert r.returncode == 1
    assert b"account" in r.stderr


def test_missing_attachment_fails_before_connecting(daemon):
    r = run_immp(daemon, "bob@demo.test", ["-t", "alice@demo.test", "-a",
                                           "/nonexistent/file", "-"],
                 stdin=b"x\n")
    assert r.returncode == 1
    assert b"/nonexistent/file" in r.stderr


# -- a scripted server -----------------------------------------------------

PASSWORD = "fake server password"


class FakeServer(threading.Thread):
    """Speaks just enough IMMP for one immp(1) session.  mode: "good",
    "bad-signature", "inject" (data after 204), "tempfail" (720 on
    DONE)."""

    def __init__(self, certs, mode):
        super().__init__(daemon=True)
        self.mode = mode
        self.certfile, self.keyfile = str(certs["cert"]), str(certs["key"])
        self.lsock = socket.socket()
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(1)
        self.lsock.settimeout(30)
        self.port = self.lsock.getsockname()[1]
        self.log = []           # lines received
        self.parts = []         # (id, name, type, content, octets)
        self.proof_ok = None
        self.error = None
        self.uuid = "0f0e0d0c-0b0a-4908-8706-050403020100"

    def run(self):
        try:
            self.serve()
        except Exception as e:      # reported by the test
            self.error = repr(e)
        finally:
            self.lsock.close()
            if getattr(self, "sock", None) is not None:
                self.sock.close()

    def readline(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("client closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        line = line.rstrip(b"\r").decode()
        self.log.append(line)
        return line

    def read_octets(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("client closed in a literal")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def out(self, text):
        self.sock.sendall(text.encode() + b"\r\n")

    def serve(self):
        conn, _ = self.lsock.accept()
        conn.settimeout(30)
        self.sock, self.buf = conn, b""
        self.out("100-immpd IMMP/1.0 server at demo.test")
        self.out("100 TLS1.3 TLS1.2")
        self.out("101 p=IMMP v=1.0 d=demo.test i=" +
                 base64.b64encode(os.urandom(24)).decode())
        assert self.readline() == "UPGRADE TLS"
        if self.mode == "inject":
            conn.sendall(b"204 Upgrading to TLS.\r\n210 injected\r\n")
        else:
            self.out("204 Upgrading to TLS.")
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.certfile, self.keyfile)
        self.sock = ctx.wrap_socket(conn, server_side=True)
        der = self.sock.getpeercert(binary_form=True)  # None: no client cert
        assert der is None
        cbind = hashlib.sha256(ssl.PEM_cert_to_DER_cert(
            open(self.certfile).read())).digest()

        m = re.fullmatch(r"AUTH SECRET (\S+)", self.readline())
        account = m.group(1)
        ch = {"n1": base64.b64encode(os.urandom(24)).decode(),
              "n2": "1700000000",
              "s": base64.b64encode(os.urandom(16)).decode(),
              "o": "1", "m": "8192"}
        self.out("302 Shared secret authentication request initiated.")
        self.out("303 n1=%(n1)s n2=%(n2)s s=%(s)s o=%(o)s m=%(m)s "
                 "k=argon2id13" % ch)
        m = re.fullmatch(r"AUTH RESPONSE c=(\S+) p=(\S+)", self.readline())
        res = immpclient.scram_client(account, "", PASSWORD, ch, cbind,
                                      cnonce=m.group(1))
        self.proof_ok = hmac.compare_digest(
            base64.b64decode(m.group(2)), res.proof)
        if not self.proof_ok:
            self.out("410 Authentication failed.")
            return
        sig = res.signature if self.mode != "bad-signature" else \
            os.urandom(32)
        self.out("210 Authentication accepted for %s v=%s" % (
            account, base64.b64encode(sig).decode()))

        line = self.readline()
        assert line.startswith("DELIVER TO "), line
        self.out("270 Ready for DATA.")
        while True:
            line = self.readline()
            m = re.fullmatch(r"AS (\S+) DATA NAME (\S+) TYPE (\S+) "
                             r"LENGTH ([0-9]+)( \+CONTENT)?", line)
            if m is None:
                break
            data = self.read_octets(int(m.group(4)))
            self.parts.append((m.group(1), m.group(2), m.group(3),
                               bool(m.group(5)), data))
            # replies only after the whole pipeline was sent would be
            # valid too; answer at once like the real server
            self.out("%s: 271 %s Saving part." % (m.group(1), m.group(2)))
            self.out("%s: 272 %s Part saved (%d octets)." % (
                m.group(1), m.group(2), len(data)))
        assert line == "DONE", line
        if self.mode == "tempfail":
            self.out("720 Cannot queue the message now, try again later.")
            return
        self.out("273 %s Message accepted for delivery." % self.uuid)
        if self.readline() == "QUIT":
            self.out("201 Bye.")


def run_against(fake, tmp_path, extra_args=()):
    pw = tmp_path / "pw"
    pw.write_text(PASSWORD + "\n")
    fake.start()
    r = subprocess.run(
        [binary("immp"), "-H", "127.0.0.1:%d" % fake.port, "-u",
         "carol@demo.test", "--password-file", str(pw), "--ca",
         fake.certfile, "send", "-t", "dave@demo.test"] + list(extra_args),
        input=b"", stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        timeout=60)
    fake.join(30)
    return r


def test_client_protocol_against_scripted_server(certs, tmp_path):
    (tmp_path / "body.txt").write_bytes(b"body\n")
    (tmp_path / "photo.png").write_bytes(b"\x89PNG" + os.urandom(100))
    (tmp_path / "data.bin").write_bytes(os.urandom(70000))
    fake = FakeServer(certs, "good")
    r = run_against(fake, tmp_path, [
        "-s", "subject line", "-a", str(tmp_path / "photo.png"),
        "-a", str(tmp_path / "data.bin"), str(tmp_path / "body.txt")])
    assert fake.error is None, (fake.error, fake.log, r.stderr)
    assert fake.proof_ok is True
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"immp: message %s accepted\n" % fake.uuid.encode()
    assert [p[0] for p in fake.parts] == ["p1", "p2", "p3", "p4"]
    meta, body, png, data = fake.parts
    assert meta[1:] == ("metadata", "text/rfc822-headers", False,
                        b"Subject: subject line\n")
    assert body[1:] == ("body.txt", "text/plain", True, b"body\n")
    assert png[1:] == ("photo.png", "image/png", False,
                       (tmp_path / "photo.png").read_bytes())
    assert data[1:] == ("data.bin", "application/octet-stream", False,
                        (tmp_path / "data.bin").read_bytes())
    assert fake.log[-1] == "QUIT"


def test_client_rejects_bad_server_signature(certs, tmp_path):
    (tmp_path / "body.txt").write_bytes(b"secret\n")
    fake = FakeServer(certs, "bad-signature")
    r = run_against(fake, tmp_path, [str(tmp_path / "body.txt")])
    assert fake.proof_ok is True
    assert r.returncode == 1, r
    assert b"signature" in r.stderr, r.stderr
    assert not any(l.startswith("DELIVER") for l in fake.log), fake.log
    assert fake.parts == []


def test_client_refuses_data_injected_before_tls(certs, tmp_path):
    (tmp_path / "body.txt").write_bytes(b"x\n")
    fake = FakeServer(certs, "inject")
    r = run_against(fake, tmp_path, [str(tmp_path / "body.txt")])
    assert r.returncode == 1, r
    assert b"before the TLS handshake" in r.stderr, r.stderr
    assert not any(l.startswith("AUTH") for l in fake.log)


def test_client_exit_2_on_7xx(certs, tmp_path):
    (tmp_path / "body.txt").write_bytes(b"x\n")
    fake = FakeServer(certs, "tempfail")
    r = run_against(fake, tmp_path, [str(tmp_path / "body.txt")])
    assert fake.error is None, fake.error
    assert r.returncode == 2, r
    assert b"720 Cannot queue" in r.stderr
    assert r.stdout == b""
