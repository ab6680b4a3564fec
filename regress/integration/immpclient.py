"""An independent IMMP client for the integration tests: plain sockets,
Python's ssl module and a SCRAM implementation of its own (hashlib,
hmac; Argon2id through argon2.py).  Written from immp(7), not from the
C code."""

import base64
import hashlib
import hmac
import os
import re
import socket
import ssl
import time

import argon2

REPLY_RE = re.compile(
    rb"^(?:(?P<id>[A-Za-z0-9_-]{1,32}): )?(?P<code>[1-7][0-9][0-9])"
    rb"(?P<sep>[ -])(?P<text>.*)$")
CHALLENGE_RE = re.compile(
    r"^n1=(?P<n1>[A-Za-z0-9+/=]+) n2=(?P<n2>[0-9]+) s=(?P<s>[A-Za-z0-9+/=]+)"
    r" o=(?P<o>[0-9]+) m=(?P<m>[0-9]+) k=argon2id13$")


class ProtocolError(Exception):
    pass


class Reply:
    def __init__(self, raw):
        m = REPLY_RE.match(raw)
        if m is None:
            raise ProtocolError("not a reply line: %r" % raw)
        self.raw = raw
        self.id = m.group("id").decode() if m.group("id") else None
        self.code = int(m.group("code"))
        self.more = m.group("sep") == b"-"
        self.text = m.group("text").decode("utf-8", "replace")

    @property
    def line(self):
        return self.raw.decode("utf-8", "replace")

    def __repr__(self):
        return "Reply(%r)" % self.raw


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class ScramResult:
    def __init__(self, cnonce, proof, signature, authmsg):
        self.cnonce = cnonce
        self.proof = proof
        self.signature = signature
        self.authmsg = authmsg


def scram_client(account, device, password, challenge, cbind, cnonce=None):
    """Computes the AUTH RESPONSE for a parsed 303 challenge (dict with
    n1 n2 s o m).  Returns a ScramResult with the expected signature."""
    if cnonce is None:
        cnonce = b64(os.urandom(24))
    salt = base64.b64decode(challenge["s"], validate=True)
    salted = argon2.argon2id(password.encode(), salt, int(challenge["o"]),
                             int(challenge["m"]))
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
    authmsg = ("a=%s,d=%s,r=%s,t=%s,c=%s,b=%s" % (
        account, b64(device.encode()), challenge["n1"], challenge["n2"],
        cnonce, b64(cbind))).encode()
    csig = hmac.new(stored_key, authmsg, hashlib.sha256).digest()
    proof = bytes(a ^ b for a, b in zip(client_key, csig))
    ssig = hmac.new(server_key, authmsg, hashlib.sha256).digest()
    return ScramResult(cnonce, proof, ssig, authmsg)


class Session:
    """One IMMP session.  Every method raises on a closed connection or a
    timeout, so a hung server fails the test instead of hanging it."""

    def __init__(self, port, host="127.0.0.1", cafile=None, timeout=15,
                 source=None, servername="demo.test", implicit_tls=False):
        self.cafile = cafile
        self.servername = servername
        self.sock = socket.create_connection(
            (host, port), timeout=timeout,
            source_address=(source, 0) if source else None)
        self.sock.settimeout(timeout)
        self.buf = b""
        self.tls = False
        self.greeting_lines = []
        self.nonce = None
        if implicit_tls:
            self.start_tls()

    # -- raw I/O -------------------------------------------------------
    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def cmd(self, line):
        """Sends one command line, CRLF added."""
        if isinstance(line, str):
            line = line.encode()
        self.send(line + b"\r\n")

    def read_line(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed by server "
                                      "(pending %r)" % self.buf)
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        if not line.endswith(b"\r"):
            raise ProtocolError("reply line without CRLF: %r" % line)
        return line[:-1]

    def reply(self):
        return Reply(self.read_line())

    def final(self):
        """Reads lines up to the last line of a reply; returns all."""
        lines = []
        while True:
            r = self.reply()
            lines.append(r)
            if not r.more:
                return lines

    def expect(self, code, text=None):
        """Reads one complete reply and checks its final code (and exact
        text if given); returns the final Reply."""
        r = self.final()[-1]
        if r.code != code or (text is not None and r.text != text):
            raise AssertionError("expected %s %s, got %r" % (
                code, text or "", r.raw))
        return r

    def at_eof(self, wait=5):
        """True if the server closes the connection within wait seconds
        without sending anything more."""
        self.sock.settimeout(wait)
        try:
            data = self.sock.recv(1)
        except (socket.timeout, TimeoutError):
            return False
        except (ConnectionResetError, ssl.SSLError):
            return True
        return data == b"" and self.buf == b""

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- protocol steps --------------------------------------------------
    def greeting(self):
        lines = []
        while True:
            r = self.reply()
            lines.append(r)
            if r.code == 101 and not r.more:
                break
            if r.code != 100:
                raise ProtocolError("bad greeting line %r" % r.raw)
        self.greeting_lines = lines
        m = re.search(r" i=(\S+)$", lines[-1].text)
        self.nonce = m.group(1) if m else None
        return lines

    def start_tls(self):
        ctx = ssl.create_default_context(cafile=self.cafile)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        self.sock = ctx.wrap_socket(self.sock,
                                    server_hostname=self.servername)
        self.tls = True

    def upgrade(self, method="TLS"):
        self.cmd("UPGRADE " + method)
        self.expect(204)
        if self.buf:
            raise ProtocolError("data after 204: %r" % self.buf)
        self.start_tls()

    def cbind(self):
        der = self.sock.getpeercert(binary_form=True)
        return hashlib.sha256(der).digest()

    def auth_secret(self, account, device=None):
        """Sends AUTH SECRET and reads 302 + 303.  Returns the challenge
        dict, or raises AssertionError with the reply."""
        if device:
            self.cmd('AUTH SECRET %s "%s"' % (account, device))
        else:
            self.cmd("AUTH SECRET %s" % account)
        self.expect(302)
        r = self.expect(303)
        m = CHALLENGE_RE.match(r.text)
        if m is None:
            raise AssertionError("malformed 303: %r" % r.raw)
        return m.groupdict()

    def auth(self, account, password, device=""):
        """Full AUTH SECRET; returns (final reply, ScramResult).  Checks
        the server signature when the reply is 210."""
        ch = self.auth_secret(account, device or None)
        res = scram_client(account, device, password, ch, self.cbind())
        self.cmd("AUTH RESPONSE c=%s p=%s" % (res.cnonce, b64(res.proof)))
        r = self.final()[-1]
        if r.code == 210:
            m = re.search(r"(?:^| )v=(\S+)", r.text)
            if m is None:
                raise AssertionError("210 without v=: %r" % r.raw)
            got = base64.b64decode(m.group(1), validate=True)
            if not hmac.compare_digest(got, res.signature):
                raise AssertionError("server signature mismatch")
        return r, res

    def login(self, account, password):
        """Greeting, UPGRADE TLS and a successful AUTH SECRET."""
        self.greeting()
        self.upgrade()
        r, _ = self.auth(account, password)
        if r.code != 210:
            raise AssertionError("login failed: %r" % r.raw)
        return r

    def data(self, name, payload, type_=None, content=False, pid=None):
        """Sends one DATA block with LENGTH (no reply read)."""
        line = "DATA NAME %s" % name
        if type_:
            line += " TYPE %s" % type_
        line += " LENGTH %d" % len(payload)
        if content:
            line += " +CONTENT"
        if pid:
            line = "AS %s %s" % (pid, line)
        self.send(line.encode() + b"\r\n" + payload)

    def deliver(self, rcpts, parts):
        """DELIVER TO rcpts, pipelined DATA blocks, DONE.  parts is a list
        of (name, type, payload, content).  Returns the UUID."""
        self.cmd("DELIVER TO " + " ".join(rcpts))
        self.expect(270)
        for i, (name, type_, payload, content) in enumerate(parts):
            self.data(name, payload, type_, content, pid="q%d" % (i + 1))
        done = {}
        while len(done) < len(parts):
            r = self.reply()
            if r.id is None:
                raise AssertionError("unexpected reply %r" % r.raw)
            if r.code == 271:
                continue
            if r.code != 272:
                raise AssertionError("part refused: %r" % r.raw)
            done[r.id] = r
        self.cmd("DONE")
        r = self.expect(273)
        uuid = r.text.split(" ", 1)[0]
        if not re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-"
                            r"[89ab][0-9a-f]{3}-[0-9a-f]{12}", uuid):
            raise AssertionError("273 without a UUID: %r" % r.raw)
        return uuid


    # -- mailbox access (immp(7) MBOX, NOTIFICATIONS) --------------------
    def read_exact(self, n):
        """Exactly n raw octets (a literal) from the connection."""
        while len(self.buf) < n:
            chunk = self.sock.recv(max(65536, n - len(self.buf)))
            if not chunk:
                raise ConnectionError("connection closed inside a literal"
                                      " (%d of %d octets)" % (
                                          len(self.buf), n))
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def answer(self, pid=None):
        """Reads the lines of one complete reply tagged pid (None: no
        tag); notifications (1xx without a tag) met on the way go to
        self.notes.  Returns the list of Reply lines."""
        lines = []
        while True:
            r = self.reply()
            if r.id is None and 150 <= r.code <= 153:
                if lines:
                    raise ProtocolError("notification inside a "
                                        "multi-line reply: %r" % r.raw)
                self.notes_list().append(r)
                continue
            if r.id != pid:
                raise ProtocolError("reply for %r inside the answer to "
                                    "%r: %r" % (r.id, pid, r.raw))
            lines.append(r)
            if not r.more:
                return lines

    def notes_list(self):
        if not hasattr(self, "notes"):
            self.notes = []
        return self.notes

    def mbox(self, args, pid=None):
        """Sends "MBOX args" (with AS pid) and returns its reply lines."""
        self.cmd(("AS %s " % pid if pid else "") + "MBOX " + args)
        return self.answer(pid)

    def literal(self, pid=None):
        """Reads a reply that announces "LENGTH n" and its n octets;
        returns (final Reply, bytes or None if it is an error)."""
        r = self.answer(pid)[-1]
        m = re.search(r" LENGTH ([0-9]+)$", r.text)
        if r.code not in (250, 251) or m is None:
            return r, None
        return r, self.read_exact(int(m.group(1)))

    def fetch(self, ref, extra="", pid=None):
        """MBOX FETCH ref extra; returns (Reply, bytes or None)."""
        self.cmd(("AS %s " % pid if pid else "") + "MBOX FETCH " + ref +
                 (" " + extra if extra else ""))
        return self.literal(pid)

    def wait_note(self, timeout=10):
        """The next notification line (waits up to timeout seconds)."""
        notes = self.notes_list()
        if notes:
            return notes.pop(0)
        old = self.sock.gettimeout()
        self.sock.settimeout(timeout)
        try:
            r = self.reply()
        finally:
            self.sock.settimeout(old)
        if r.id is not None or not 150 <= r.code <= 153:
            raise ProtocolError("not a notification: %r" % r.raw)
        return r


def wait_for(pred, timeout=15.0, step=0.1):
    """Polls pred() until it returns a true value or timeout passes."""
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > end:
            return v
        time.sleep(step)
