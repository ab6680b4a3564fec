"""Hostile sessions, table-driven: each case is a list of steps played
against one daemon (the module's), raw octets before and after TLS, with
the reply codes immp(7) prescribes, or the close it prescribes.  After
every case a fresh session must still get the greeting, UPGRADE and
NOOP -> 200; at the end a full delivery must work and the Maildirs must
hold exactly the messages that were answered 273 (DESIGN §7: every bad
input gets a clear 4xx/7xx and the daemon stays up with nothing lost).

Steps of a case:
  bytes          sent as is (on the TLS socket once TLS is up)
  int            the next reply (its last line) must have this code
  R(code, ...)   the same, also checking the pipe-id and/or text
  Pause(s)       sleep
  Slow(b, dt)    send b one octet at a time, dt seconds apart
  STARTTLS       TLS handshake on the connection now (after a 204)
  ACCEPT         the next reply is 273: the message must be delivered
  CLOSE          the server must close the connection (nothing more)
  TLSCLOSE       the same during a TLS handshake (a TLS alert may come)
  HANGUP         the client closes the connection here
A case that ends otherwise is followed by "AS zz NOOP", whose reply must
be the very next one: no reply too many, the stream still in step.

Phases (the state a case starts in): plain (after the greeting), tls
(after UPGRADE), auth (bob authenticated), deliver (bob, DELIVER TO
alice answered 270), implicit (greeting on the implicit-TLS listener),
raw-implicit (TCP connection to the implicit-TLS listener, no TLS).
"""

import os
import re
import socket
import ssl
import time
from pathlib import Path

import pytest

from immpclient import Session, b64, scram_client, wait_for

IMPLICIT_TLS = True     # the daemon fixture adds an implicit-TLS listener
TIMEOUT = 5             # seconds for any one reply


class R:
    def __init__(self, code, text=None, id=None):
        self.code, self.text, self.id = code, text, id

    def __repr__(self):
        return "R(%r, %r, %r)" % (self.code, self.text, self.id)


class Pause:
    def __init__(self, seconds):
        self.seconds = seconds


class Slow:
    def __init__(self, data, interval):
        self.data, self.interval = data, interval


STARTTLS = "starttls"
ACCEPT = "accept"
CLOSE = "close"
TLSCLOSE = "tlsclose"
HANGUP = "hangup"

CASES = []
_sources = iter(range(10, 250))     # 127.0.0.N for failing AUTH cases


def case(name, phase, *steps, xfail=None, source=None):
    marks = [pytest.mark.xfail(reason=xfail, strict=True)] if xfail else []
    CASES.append(pytest.param(phase, steps, source, id=name, marks=marks))


def line(*words):
    return b" ".join(w if isinstance(w, bytes) else w.encode()
                     for w in words) + b"\r\n"


def lit(command, payload):
    """command with LENGTH <octets of payload>, then the payload."""
    return command + b" LENGTH %d\r\n" % len(payload) + payload


def header_value(name):
    """A #define of common/cmd.h (the limits follow the contract)."""
    text = (Path(__file__).resolve().parents[2] / "common" /
            "cmd.h").read_text()
    return int(re.search(r"#define\s+%s\s+(\d+)" % name, text).group(1))


MAXWORDS = header_value("CMD_MAXWORDS")
MAXRCPTS = 100          # immp(7) DELIVER


# -- control characters: every C0 octet but HTAB and LF, DEL, C1 ----------
CTL = "Control character in command."
for c in list(range(0x00, 0x20)) + [0x7f]:
    if c in (0x09, 0x0a):
        continue
    case("ctl-%02x" % c, "tls", b"NOOP " + bytes([c]) + b"x\r\n",
         R(400, CTL))
for c in (0x00, 0x1b, 0x7f):
    case("ctl-plain-%02x" % c, "plain", b"NO" + bytes([c]) + b"OP\r\n",
         R(400, CTL))
for c in (0x80, 0x85, 0x9f):
    case("ctl-c1-%02x" % c, "tls", b"NOOP \xc2" + bytes([c]) + b"\r\n",
         R(400, CTL))
case("ctl-nul-only", "tls", b"\0\r\n", R(400, CTL))
case("ctl-cr-before-crlf", "tls", b"NOOP\r\r\n", R(400, CTL))
case("ctl-in-quotes", "tls", b'AUTH SECRET alice@demo.test "a\x01b"\r\n',
     R(400, CTL))
case("ctl-in-auth-nul", "tls", b"AUTH SECRET al\0ice@demo.test\r\n",
     R(400, CTL))
case("lf-splits-line", "tls", b"NO\nOP\r\n", 401, 401)
case("htab-is-blank", "tls", b"\tNOOP\t\r\n", 200)
case("bare-lf", "plain", b"NOOP\n", 200)
case("blank-lines-ignored", "tls", b"\r\n" * 500 + b" \t \r\n")
case("only-lf-lines", "tls", b"\n" * 1000)

# -- invalid UTF-8 ------------------------------------------------------------
UTF = "Invalid UTF-8."
BAD_UTF8 = {
    "overlong-2-nul": b"\xc0\x80", "overlong-2-slash": b"\xc0\xaf",
    "overlong-c1": b"\xc1\xbf", "overlong-3": b"\xe0\x80\xaf",
    "overlong-3-max": b"\xe0\x9f\xbf", "overlong-4": b"\xf0\x80\x80\xaf",
    "overlong-4-max": b"\xf0\x8f\xbf\xbf",
    "surrogate-high": b"\xed\xa0\x80", "surrogate-low": b"\xed\xbf\xbf",
    "surrogate-pair": b"\xed\xa0\xbd\xed\xb8\x80",
    "truncated-2": b"\xc3", "truncated-3": b"\xe2\x82",
    "truncated-4": b"\xf0\x9f\x98", "truncated-before-space": b"\xe2\x82 x",
    "bad-continuation": b"\xc3\x28", "bad-continuation-3": b"\xe2\x28\xa1",
    "lone-continuation": b"\x80", "lone-continuation-bf": b"\xbf",
    "ff": b"\xff", "fe": b"\xfe", "f5": b"\xf5\x80\x80\x80",
    "above-10ffff": b"\xf4\x90\x80\x80", "5-octets": b"\xf8\x88\x80\x80\x80",
    "6-octets": b"\xfc\x84\x80\x80\x80\x80", "latin1": b"caf\xe9",
}
for name, seq in BAD_UTF8.items():
    case("utf8-" + name, "tls", b"NOOP " + seq + b"\r\n", R(400, UTF))
case("utf8-in-imid", "deliver", b"DELIVER TO al\xffice@demo.test\r\n",
     R(400, UTF))
case("utf8-in-pipe-id", "tls", b"AS \xc0\xaf NOOP\r\n", R(400, UTF))
case("utf8-plain", "plain", b"UPGRADE TLS\xed\xa0\x80\r\n", R(400, UTF))
case("utf8-before-control", "tls", b"NOOP \xff\x01\r\n", R(400, UTF))
case("utf8-valid-accepted", "tls",
     "NOOP \u00e9\U0001f600\u4e2d\r\n".encode(), R(400, "Syntax: NOOP."))

# -- overlong lines -----------------------------------------------------------
LONG = "Line too long."
case("line-8192", "tls", b"NOOP" + b" " * 8188 + b"\r\n", 200)
case("line-8192-bare-lf", "tls", b"NOOP" + b" " * 8188 + b"\n", 200)
case("line-8193", "tls", b"NOOP" + b" " * 8189 + b"\r\n", R(400, LONG))
case("line-9000-then-noop", "tls", b"A" * 9000 + b"\r\nNOOP\r\n",
     R(400, LONG), 200)
case("line-1mb-no-lf", "tls", b"X" * (1 << 20), b"\r\nNOOP\r\n",
     R(400, LONG), 200)
case("line-long-plain", "plain", b"N" * 20000 + b"\r\n", R(400, LONG))
case("line-long-pipelined", "tls",
     b"AS x1 " + b"NOOP;" * 2000 + b"NOOP\r\n", R(400, LONG))
case("line-long-controls", "tls", b"\0" * 9000 + b"\r\n", R(400, LONG))
case("line-long-bad-utf8", "tls", b"\xff" * 9000 + b"\r\n", R(400, LONG))
case("line-long-in-two-sends", "tls", b"Y" * 5000, Pause(0.1),
     b"Y" * 5000 + b"\r\n", R(400, LONG))

# -- command syntax and pipelining -------------------------------------------
BADID = "Bad pipeline id."
case("as-alone", "tls", b"AS\r\n", R(400, BADID))
case("as-id-alone", "tls", b"AS x\r\n", R(400, "Syntax error: empty command."))
case("as-id-33", "tls", line("AS", "i" * 33, "NOOP"), R(400, BADID))
case("as-id-32", "tls", line("AS", "i" * 32, "NOOP"), R(200, id="i" * 32))
case("as-id-dot", "tls", b"AS a.b NOOP\r\n", R(400, BADID))
case("as-id-colon", "tls", b"AS a:b NOOP\r\n", R(400, BADID))
case("as-id-slash", "tls", b"AS a/b NOOP\r\n", R(400, BADID))
case("as-id-utf8", "tls", "AS \u00e9 NOOP\r\n".encode(), R(400, BADID))
case("as-id-quoted", "tls", b'AS "x" NOOP\r\n', R(400, BADID))
case("as-id-switch", "tls", b"AS +x NOOP\r\n", R(400, BADID))
case("as-lowercase", "tls", b"as q NOOP\r\n", R(200, id="q"))
case("as-quoted-keyword", "tls", b'"AS" x NOOP\r\n', 401)
case("as-as", "tls", b"AS x AS\r\n", R(401, id="x"))
case("semicolons-only", "tls", b";;\r\n",
     R(400, "Syntax error: empty command."))
case("semicolon-leading", "tls", b";NOOP\r\n", 400)
case("semicolon-trailing", "tls", b"NOOP;\r\n", 400)
case("semicolon-double", "tls", b"NOOP;;NOOP\r\n", 400)
case("semicolon-blank", "tls", b"NOOP; ;NOOP\r\n", 400)
case("commands-16", "tls", b";".join([b"NOOP"] * 16) + b"\r\n",
     *([200] * 16))
case("commands-17", "tls", b";".join([b"NOOP"] * 17) + b"\r\n",
     R(400, "Syntax error: too many commands."))
case("commands-pipelined-ids", "tls",
     b"AS a1 NOOP; AS a2 FROB;AS a3 NOOP x\r\n",
     R(200, id="a1"), R(401, id="a2"), R(400, id="a3"))
case("commands-after-quit", "tls", b"NOOP; QUIT; NOOP\r\n", 200, 201, CLOSE)
case("quit-with-id", "tls", b"AS q QUIT\r\n", R(201, "Bye.", id="q"), CLOSE)
case("quit-then-more-data", "tls", b"QUIT\r\nNOOP\r\nNOOP\r\n", 201, CLOSE)
case("words-max", "tls", line("NOOP", *["w"] * (MAXWORDS - 1)),
     R(400, "Syntax: NOOP."))
case("words-max-plus-1", "tls", line("NOOP", *["w"] * MAXWORDS),
     R(400, "Syntax error: too many words."))
case("switches-16", "tls", line("NOOP", *["+s%d" % i for i in range(16)]),
     R(400, "Syntax: NOOP."))
case("switches-17", "tls", line("NOOP", *["+s%d" % i for i in range(17)]),
     R(400, "Syntax error: too many switches."))
case("switches-17-deliver", "auth",
     line("DELIVER TO alice@demo.test", *["+IMPORTANT"] * 17),
     R(400, "Syntax error: too many switches."))
case("quote-unterminated", "tls", b'NOOP "abc\r\n',
     R(400, "Syntax error: unterminated quote."))
case("quote-backslash-at-end", "tls", b'NOOP "abc\\\r\n',
     R(400, "Syntax error: unterminated quote."))
case("quote-bad-escape", "tls", b'NOOP "a\\nb"\r\n',
     R(400, "Syntax error: bad escape."))
case("quote-misplaced", "tls", b'NOOP a"b\r\n',
     R(400, "Syntax error: misplaced quote."))
case("quote-then-word", "tls", b'NOOP "a"b\r\n',
     R(400, "Syntax error: misplaced quote."))
case("quote-escapes-ok", "tls", b'NOOP "a\\"b\\\\c; d"\r\n',
     R(400, "Syntax: NOOP."))
case("quote-empty-arg", "tls", b'NOOP ""\r\n', R(400, "Syntax: NOOP."))
case("quote-empty-command", "tls", b'""\r\n', 401)
case("quote-keyword", "tls", b'"NOOP"\r\n', 200)
case("quote-semicolon-inside", "tls", b'"NOOP;NOOP"\r\n', 401)
case("quote-switch-is-word", "tls", b'NOOP "+x"\r\n', R(400, "Syntax: NOOP."))
case("keyword-case", "tls", b"nOoP\r\n", 200)
case("unknown-command", "tls", b"FROBNICATE the daemon\r\n",
     R(401, "Unknown command."))
case("switch-as-command", "tls", b"+NOOP\r\n", 401)
case("noop-arg", "tls", b"NOOP x\r\n", R(400, "Syntax: NOOP."))
case("noop-switch", "tls", b"NOOP +x\r\n", R(400, "Syntax: NOOP."))
case("quit-arg", "tls", b"QUIT now\r\n", R(400, "Syntax: QUIT."))

# -- commands in the wrong state ---------------------------------------------
TLSREQ = "TLS required: use UPGRADE TLS first."
for name, ln in (("auth-secret", b"AUTH SECRET alice@demo.test"),
                 ("auth-response", b"AUTH RESPONSE c=x p=y"),
                 ("auth-cookie", b"AUTH COOKIE x"),
                 ("deliver", b"DELIVER TO alice@demo.test"),
                 ("done", b"DONE"), ("unknown", b"FROBNICATE"),
                 ("mbox", b"MBOX CHECK")):
    case("plain-" + name, "plain", ln + b"\r\n", R(403, TLSREQ))
case("plain-data-literal-skipped", "plain",
     b"DATA x LENGTH 6\r\nNOOP\r\n", R(403, TLSREQ))
case("plain-data-no-length", "plain", b"DATA x\r\n", R(403, TLSREQ))
case("plain-upgrade-no-method", "plain", b"UPGRADE\r\n",
     R(400, "Syntax: UPGRADE TLS."))
case("plain-upgrade-unknown", "plain", b"UPGRADE SSL3\r\n",
     R(400, "Unknown upgrade method."))
case("plain-upgrade-extra", "plain", b"UPGRADE TLS now\r\n",
     R(400, "Syntax: UPGRADE TLS."))
case("plain-upgrade-switch", "plain", b"UPGRADE TLS +x\r\n",
     R(400, "Syntax: UPGRADE TLS."))
case("upgrade-twice", "tls", b"UPGRADE TLS\r\n",
     R(402, "TLS is already active."))
case("upgrade-twice-tls13", "tls", b"UPGRADE tls1.3\r\n", 402)
case("upgrade-implicit", "implicit", b"UPGRADE TLS\r\n", 402)
case("deliver-before-auth", "tls", b"DELIVER TO alice@demo.test\r\n",
     R(402, "Authentication required."))
case("deliver-before-auth-implicit", "implicit",
     b"DELIVER TO alice@demo.test\r\n", 402)
case("data-before-deliver-unauth", "tls", b"DATA x LENGTH 6\r\nNOOP\r\n",
     R(433, "No DELIVER in progress."))
case("data-before-deliver", "auth", b"DATA x LENGTH 6\r\nNOOP\r\n",
     R(433, "No DELIVER in progress."))
case("data-b64-before-deliver", "auth",
     b"DATA x +BASE64\r\nTk9PUA==\r\nNOOP\r\n\r\n\r\n", 433)
case("done-before-deliver-unauth", "tls", b"DONE\r\n",
     R(433, "No DELIVER in progress."))
case("done-before-deliver", "auth", b"DONE\r\n",
     R(433, "No DELIVER in progress."))
case("done-without-parts", "deliver", b"DONE\r\n", R(433, "Empty message."))
case("done-arg", "deliver", b"DONE now\r\n", R(400, "Syntax: DONE."))
case("deliver-twice", "deliver", b"DELIVER TO alice@demo.test\r\n",
     R(402, "A message is already open."))
case("auth-response-without-secret", "tls",
     b"AUTH RESPONSE c=AAAAAAAAAAAAAAAAAAAA p=" +
     b64(bytes(32)).encode() + b"\r\n",
     R(411, "No authentication in progress."))
case("auth-secret-when-authenticated", "auth",
     b"AUTH SECRET bob@demo.test\r\n", R(402, "Already authenticated."))
case("auth-response-when-authenticated", "auth",
     b"AUTH RESPONSE c=x p=y\r\n", 402)
case("auth-other-method", "tls", b"AUTH PLAIN demo.test\r\n",
     R(400, "Unsupported authentication method."))
case("auth-cookie-syntax", "tls", b"AUTH COOKIE demo.test\r\n",
     R(400, "Syntax: AUTH COOKIE <issuer> <cookie>."))
case("auth-alone", "tls", b"AUTH\r\n", 400)
case("auth-secret-no-account", "tls", b"AUTH SECRET\r\n", 400)
case("auth-secret-extra", "tls", b'AUTH SECRET bob@demo.test "d" x\r\n', 400)
case("auth-secret-switch", "tls", b"AUTH SECRET +x bob@demo.test\r\n", 400)
for name, acct in (("no-at", "alice"), ("folder", "alice+x@demo.test"),
                   ("shared", "help/alice@demo.test"),
                   ("mailbox", "alice@demo.test/inbox"),
                   ("options", "alice@demo.test?x"),
                   ("bad-domain", "alice@demo..test")):
    case("auth-secret-bad-account-" + name, "tls",
         line("AUTH SECRET", acct), R(400, "Bad account name."))
case("auth-secret-device-128", "tls",
     line("AUTH SECRET", "bob@demo.test", "d" * 128),
     R(400, "Device name too long."))
case("auth-secret-device-127", "tls",
     line("AUTH SECRET", "bob@demo.test", "d" * 127), 302, 303)


def auth_garbage(name, response, source=True):
    """AUTH SECRET for an unknown account, a malformed AUTH RESPONSE:
    400, and the challenge is used up (411)."""
    acct = "nosuch-%s@demo.test" % name
    case("auth-response-" + name, "tls", line("AUTH SECRET", acct), 302, 303,
         response + b"\r\n",
         R(400, "Syntax: AUTH RESPONSE c=<nonce> p=<proof>."),
         b"AUTH RESPONSE c=AAAAAAAAAAAAAAAAAAAA p=" +
         b64(bytes(32)).encode() + b"\r\n", 411,
         source="127.0.0.%d" % next(_sources))


P32 = b64(os.urandom(32)).encode()
auth_garbage("cnonce-bad-chars", b"AUTH RESPONSE c=!!!!!!!!!!!!!!!!!! p=" + P32)
auth_garbage("cnonce-15", b"AUTH RESPONSE c=AAAAAAAAAAAAAAA p=" + P32)
auth_garbage("cnonce-49", b"AUTH RESPONSE c=" + b"A" * 49 + b" p=" + P32)
auth_garbage("proof-not-b64", b"AUTH RESPONSE c=AAAAAAAAAAAAAAAA p=!!!!")
auth_garbage("proof-31", b"AUTH RESPONSE c=AAAAAAAAAAAAAAAA p=" +
             b64(bytes(31)).encode())
auth_garbage("proof-33", b"AUTH RESPONSE c=AAAAAAAAAAAAAAAA p=" +
             b64(bytes(33)).encode())
auth_garbage("proof-no-padding", b"AUTH RESPONSE c=AAAAAAAAAAAAAAAA p=" +
             P32.rstrip(b"="))
auth_garbage("proof-high-octet", b"AUTH RESPONSE c=AAAAAAAAAAAAAAAA p=" +
             P32[:-2] + b"\xc3\xbf=")
auth_garbage("missing-proof", b"AUTH RESPONSE c=AAAAAAAAAAAAAAAA")
auth_garbage("extra-word", b"AUTH RESPONSE c=AAAAAAAAAAAAAAAA p=" + P32 +
             b" x")
auth_garbage("no-prefixes", b"AUTH RESPONSE AAAAAAAAAAAAAAAA " + P32)
case("auth-wrong-proof-then-replay", "tls",
     b"AUTH SECRET nosuch-replay@demo.test\r\n", 302, 303,
     b"AUTH RESPONSE c=AAAAAAAAAAAAAAAA p=" + P32 + b"\r\n",
     R(410, "Authentication failed."),
     b"AUTH RESPONSE c=AAAAAAAAAAAAAAAA p=" + P32 + b"\r\n", 411,
     source="127.0.0.%d" % next(_sources))

# -- DELIVER: recipients, switches, IMIDs -------------------------------------
BAD_IMIDS = {
    "missing-at": "alice.demo.test", "empty-local": "@demo.test",
    "local-65": "a" * 65 + "@demo.test", "leading-dot": ".alice@demo.test",
    "trailing-dot": "alice.@demo.test", "double-dot": "al..ice@demo.test",
    "bad-char": "al!ce@demo.test", "utf8-local": "al\u00efce@demo.test",
    "empty-shared": "/alice@demo.test", "bad-shared": "he!p/alice@demo.test",
    "empty-folder": "alice+@demo.test", "folder-dotdot": "alice+..@demo.test",
    "folder-bad": "alice+f!@demo.test", "empty-domain": "alice@",
    "domain-hyphen-start": "alice@-demo.test",
    "domain-hyphen-end": "alice@demo-.test",
    "domain-empty-label": "alice@demo..test",
    "domain-trailing-dot": "alice@demo.test.",
    "domain-underscore": "alice@demo_test", "domain-utf8": "alice@d\u00f6mo.test",
    "domain-label-64": "alice@" + "d" * 64 + ".test",
    "domain-254": "alice@" + ".".join(["d" * 63] * 3 + ["e" * 62]),
    "two-at": "alice@@demo.test", "at-in-domain": "alice@demo.test@x",
    "empty-mailbox": "alice@demo.test/", "mailbox": "alice@demo.test/inbox",
    "mailbox-dotdot": "alice@demo.test/a/../b",
    "message": "alice@demo.test/inbox#m1", "empty-message":
    "alice@demo.test/inbox#", "options": "alice@demo.test?x=1",
    "empty-options": "alice@demo.test?", "scheme-only": "imid:",
    "quoted-space": '"al ice@demo.test"',
}
for name, imid in BAD_IMIDS.items():
    case("imid-" + name, "auth", line("DELIVER TO", imid), 421,
         b"DATA x LENGTH 3\r\nabc", 433)
case("imid-bad-among-good", "auth",
     b"DELIVER TO alice@demo.test bob@demo.test al..ice@demo.test\r\n", 421,
     b"DONE\r\n", 433)
case("imid-unknown-account", "auth", b"DELIVER TO nosuch@demo.test\r\n",
     R(420, "nosuch@demo.test: recipient refused."))
case("imid-remote-domain", "auth", b"DELIVER TO alice@other.test\r\n", 270)
case("imid-shared-mailbox", "auth",
     b"DELIVER TO helpdesk/alice@demo.test\r\n", 420)
case("imid-good-then-unknown", "auth",
     b"DELIVER TO alice@demo.test nosuch@demo.test\r\n", 420,
     b"DONE\r\n", 433)
case("imid-scheme-and-case", "auth", b"DELIVER TO IMID:alice@DEMO.Test\r\n",
     270)
case("imid-folder-ok", "auth", b"DELIVER TO alice+lists@demo.test\r\n", 270)
case("deliver-no-to", "auth", b"DELIVER alice@demo.test\r\n", 400)
case("deliver-to-nobody", "auth", b"DELIVER TO\r\n", 400)
case("deliver-to-quoted", "auth", b'DELIVER "TO" alice@demo.test\r\n', 270)
case("deliver-unknown-switch", "auth",
     b"DELIVER TO alice@demo.test +URGENT\r\n", R(400, "Bad switch."))
case("deliver-important-twice", "auth",
     b"DELIVER TO alice@demo.test +IMPORTANT -important\r\n",
     R(400, "Bad switch."))
case("deliver-minus-multipart", "auth",
     b"DELIVER TO alice@demo.test -MULTIPART\r\n", R(400, "Bad switch."))
case("deliver-minus-secure", "auth",
     b"DELIVER TO alice@demo.test -SECURE\r\n", R(400, "Bad switch."))
# at most MAXRCPTS recipients, and a command has at most MAXWORDS words
NRCPT = min(MAXRCPTS, MAXWORDS - 2)
case("rcpts-max", "auth", line("DELIVER TO", *["alice@demo.test"] * NRCPT),
     270)
case("rcpts-max-plus-1", "auth",
     line("DELIVER TO", *["alice@demo.test"] * (NRCPT + 1)),
     R(400, "Too many recipients." if NRCPT == MAXRCPTS
       else "Syntax error: too many words."))
case("rcpts-101-distinct", "auth",
     line("DELIVER TO", *["u%d@demo.test" % i for i in range(101)]), 400)
case("rcpts-5000", "auth", line("DELIVER TO", *["a@demo.test"] * 5000),
     R(400, LONG))
case("rcpts-in-many-commands", "auth",
     b";".join([b"DELIVER TO nosuch@demo.test"] * 16) + b"\r\n",
     *([420] * 16))

# -- DATA: lying and malformed LENGTHs -----------------------------------------
case("length-exact", "deliver", b"DATA x LENGTH 3\r\nabc", 271,
     R(272, "x Part saved (3 octets)."))
case("length-zero", "deliver", b"DATA x LENGTH 0\r\n", 271, 272)
case("length-leading-zeros", "deliver", b"DATA x LENGTH 0003\r\nabc", 271,
     R(272, "x Part saved (3 octets)."))
case("length-shorter-than-sent", "deliver",
     b"DATA x LENGTH 3\r\nabcdef\r\n", 271, 272, R(401, "Unknown command."))
case("length-literal-holds-commands", "deliver",
     b"DATA x LENGTH 12\r\nQUIT\r\nQUIT\r\n", 271,
     R(272, "x Part saved (12 octets)."))
case("length-longer-then-hangup", "deliver",
     b"DATA x LENGTH 100000\r\n" + b"z" * 1000, 271, HANGUP)
case("length-longer-slow-then-hangup", "deliver", b"DATA x LENGTH 50\r\n",
     271, Slow(b"0123456789", 0.02), HANGUP)
case("length-negative", "deliver", b"DATA x LENGTH -5\r\n", 430)
case("length-minus-switch", "deliver", b"DATA x LENGTH -x\r\n", 430)
case("length-plus", "deliver", b"DATA x LENGTH +5\r\n", 430)
case("length-21-digits", "deliver", b"DATA x LENGTH 100000000000000000000\r\n",
     430)
case("length-overflow", "deliver", b"DATA x LENGTH 18446744073709551616\r\n",
     430)
case("length-non-numeric", "deliver", b"DATA x LENGTH abc\r\n", 430)
case("length-hex", "deliver", b"DATA x LENGTH 0x10\r\n", 430)
case("length-trailing-junk", "deliver", b"DATA x LENGTH 1x\r\n", 430)
case("length-decimal-point", "deliver", b"DATA x LENGTH 5.0\r\n", 430)
case("length-fullwidth-digit", "deliver",
     "DATA x LENGTH \uff15\r\n".encode(), 430)
case("length-quoted-empty", "deliver", b'DATA x LENGTH ""\r\n', 430)
case("length-missing-value", "deliver", b"DATA x LENGTH\r\n", 430)
case("length-twice", "deliver", b"DATA x LENGTH 3 LENGTH 3\r\nNOOP\r\n",
     430, 200)
case("length-twice-different", "deliver",
     b"DATA x LENGTH 3 LENGTH 4\r\nNOOP\r\n", 430, 200)
case("length-max-u64", "deliver",
     b"DATA x LENGTH 18446744073709551615\r\n",
     R(432, "Message too large."), CLOSE)
case("length-over-max-size", "deliver", b"DATA x LENGTH 36700161\r\n",
     R(432, "Message too large."), CLOSE)
case("length-not-last-on-line", "deliver",
     b"DATA x LENGTH 5; NOOP\r\nabcde", R(430, "DATA must end its line."),
     R(400, "Command after a DATA literal."))
case("data-needs-length", "deliver", b"DATA x TYPE text/plain\r\nNOOP\r\n",
     R(430, "DATA needs LENGTH or +BASE64."), 200)
case("data-unknown-switch", "deliver",
     b"DATA x LENGTH 3 +GZIP\r\nabc", 430)
case("data-minus-base64", "deliver", b"DATA x LENGTH 3 -BASE64\r\nabc", 430)
case("data-switch-twice", "deliver",
     b"DATA x LENGTH 3 +CONTENT +content\r\nabc", 430)
case("data-unexpected-word", "deliver", b"DATA a b LENGTH 3\r\nabc", 430)
case("data-name-twice", "deliver", b"DATA NAME a NAME b LENGTH 3\r\nabc", 430)
case("data-name-256", "deliver",
     line("DATA NAME", "n" * 256, "LENGTH 3") + b"abc", 430)
case("data-name-255", "deliver",
     line("DATA NAME", "n" * 255, "LENGTH 3") + b"abc", 271, 272)
case("data-name-empty", "deliver", b'DATA NAME "" LENGTH 3\r\nabc', 271, 272)
case("data-type-no-slash", "deliver", b"DATA x TYPE text LENGTH 3\r\nabc", 430)
case("data-type-128", "deliver",
     line("DATA x TYPE", "t/" + "a" * 126, "LENGTH 3") + b"abc", 430)
case("data-type-utf8", "deliver",
     "DATA x TYPE t\u00e9xt/plain LENGTH 3\r\nabc".encode(), 430)
case("data-type-missing", "deliver", b"DATA x LENGTH 3 TYPE\r\nabc", 430)
case("data-parts-257", "deliver", b"DATA LENGTH 1\r\nx" * 257,
     *([271, 272] * 256), R(430, "Too many parts."))
META = b"DATA m TYPE text/rfc822-headers"
case("meta-not-allowed-header", "deliver",
     lit(META, b"From: evil@demo.test\n"), 271,
     R(434, "Bad metadata part: header not allowed."))
case("meta-nul", "deliver", lit(META, b"Subject: a\0\n"), 271, 434)
case("meta-folded", "deliver", lit(META, b"Subject: a\n b\n"), 271, 434)
case("meta-no-colon", "deliver", lit(META, b"Subject a\n"), 271, 434)
case("meta-bad-utf8", "deliver", lit(META, b"Subject: \xc0\xaf\n"), 271,
     434)
case("meta-control", "deliver", lit(META, b"Subject: a\x1bb\n"), 271, 434)
case("meta-repeated", "deliver", lit(META, b"Cc: a\ncc: b\n"), 271, 434)
case("meta-empty-line-between", "deliver",
     lit(META, b"Subject: a\n\nCc: b\n"), 271, 434)
case("meta-twice", "deliver", lit(META, b"Subject: a\n"), 271, 272,
     lit(b"DATA n TYPE Text/RFC822-Headers", b"Cc: b\n"), 271, 434)
case("meta-too-large", "deliver",
     lit(META, b"Cc: " + b"c" * 8994 + b"\n"), 271, 434)
case("meta-then-message-still-open", "deliver",
     lit(META, b"Date: now\n"), 271, 434,
     lit(b"DATA b TYPE text/plain +CONTENT", b"hello\n"), 271, 272,
     b"DONE\r\n", ACCEPT)
case("meta-line-over-998", "deliver",
     lit(META, b"Cc:" + b"c" * 995 + b"\n"), 271, 434)   # "Cc: " + 995
case("meta-trailing-empty-line", "deliver",
     lit(META, b"Subject: a\n\n"), 271, 434)   # no empty lines: immp(7)

# -- base64 ---------------------------------------------------------------------
for name, data in {"bad-chars": b"!!!!", "bad-padding": b"QQ=",
                   "three-pads": b"Q===", "data-after-padding": b"QQ==QUJD",
                   "nonzero-bits": b"QR==", "url-alphabet": b"-_-_",
                   "space-inside": b"QU JD", "truncated": b"QUJ",
                   "nul-inside": b"QU\0D", "high-octet": b"QUJ\xff",
                   "high-octets": b"\x80\x81\x82\x83"}.items():
    case("b64-length-" + name, "deliver",
         b"DATA x LENGTH %d +BASE64\r\n" % len(data) + data, 271,
         R(431, "x: invalid base64."))
case("b64-length-crlf-inside", "deliver",
     b"DATA x LENGTH 10 +BASE64\r\nQUJD\r\nQUJD", 271,
     R(272, "x Part saved (6 octets)."))
case("b64-length-zero", "deliver", b"DATA x LENGTH 0 +BASE64\r\n", 271,
     R(272, "x Part saved (0 octets)."))
case("b64-lines-ok", "deliver",
     b"DATA x +BASE64\r\nQUJD\r\n\r\nQUJD\r\n\r\n\r\n", 271,
     R(272, "x Part saved (6 octets)."))
case("b64-lines-bad-line", "deliver",
     b"DATA x +BASE64\r\nQUJD\r\n*bad*\r\nQUJD\r\n\r\n\r\n", 271,
     R(431, "x: invalid base64."))
case("b64-lines-after-padding", "deliver",
     b"DATA x +BASE64\r\nQQ==\r\nQUJD\r\n\r\n\r\n", 271, 431)
case("b64-lines-unfinished-group", "deliver",
     b"DATA x +BASE64\r\nQUJDQ\r\n\r\n\r\n", 271, 431)
case("b64-lines-overlong", "deliver",
     b"DATA x +BASE64\r\n" + b"QUJD" * 2100 + b"\r\n\r\n\r\n", 271, 431)
case("b64-lines-control", "deliver",
     b"DATA x +BASE64\r\nQU\x01D\r\n\r\n\r\n", 271, 431)
case("b64-lines-high-octet", "deliver",
     b"DATA x +BASE64\r\nQUJ\xff\r\n\r\n\r\n", 271, 431)
case("b64-lines-unterminated-hangup", "deliver",
     b"DATA x +BASE64\r\nQUJD\r\n\r\n", 271, HANGUP)
case("b64-then-message-still-open", "deliver",
     b"DATA x LENGTH 4 +BASE64\r\n!!!!", 271, 431,
     b"DATA y LENGTH 3\r\nabc", 271, 272, b"DONE\r\n", ACCEPT)

# -- slow clients ---------------------------------------------------------------
case("slowloris-noop", "tls", Slow(b"NOOP\r\n", 0.05), 200)
case("slowloris-plain", "plain", Slow(b"NOOP\r\n", 0.05), 200)
case("slowloris-literal", "deliver", b"DATA x LENGTH 8\r\n", 271,
     Slow(b"abcdefgh", 0.05), 272)
case("slowloris-partial-hangup", "tls", Slow(b"AUTH SECRET al", 0.05), HANGUP)


# -- TLS: truncated and garbage handshakes ------------------------------------
def client_hello():
    """The first flight of a real TLS client (a ClientHello)."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname="demo.test")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()


HELLO = client_hello()
UP = (b"UPGRADE TLS\r\n", 204)
case("tls-hangup-after-204", "plain", *UP, HANGUP)
case("tls-half-hello-hangup", "plain", *UP, HELLO[:len(HELLO) // 2], HANGUP)
case("tls-record-header-hangup", "plain", *UP, HELLO[:5], HANGUP)
case("tls-garbage", "plain", *UP, os.urandom(1024), TLSCLOSE)
case("tls-plaintext-command", "plain", *UP, b"NOOP\r\n" * 20, TLSCLOSE)
case("tls-http", "plain", *UP, b"GET / HTTP/1.0\r\n\r\n", TLSCLOSE)
case("tls-sslv2-hello", "plain", *UP,
     bytes.fromhex("802b0103010012000000100000") + os.urandom(32),
     TLSCLOSE)
case("tls-alert-instead", "plain", *UP, bytes.fromhex("15030300020228"),
     TLSCLOSE)
case("tls-hello-then-garbage", "plain", *UP, HELLO, os.urandom(512),
     TLSCLOSE)
case("tls-commands-after-upgrade-dropped", "plain",
     b"UPGRADE TLS\r\nAS evil NOOP\r\n", 204, STARTTLS)
case("tls-commands-same-line-dropped", "plain",
     b"UPGRADE TLS; AS evil NOOP\r\n", 204, STARTTLS)
case("implicit-garbage", "raw-implicit", os.urandom(600), TLSCLOSE)
case("implicit-plaintext", "raw-implicit", b"NOOP\r\n" * 10, TLSCLOSE)
case("implicit-half-hello", "raw-implicit", HELLO[:40], HANGUP)
case("implicit-nothing", "raw-implicit", HANGUP)
case("implicit-bad-utf8", "implicit", b"NOOP \xc0\xaf\r\n", R(400, UTF))

# -----------------------------------------------------------------------------
ACCEPTED = []           # (user, uuid) of every 273 seen


def _auth(s, d, account="bob@demo.test"):
    ch = s.auth_secret(account)
    res = scram_client(account, "", d.users[account], ch, s.cbind())
    s.cmd("AUTH RESPONSE c=%s p=%s" % (res.cnonce, b64(res.proof)))
    s.expect(210)


def open_phase(d, phase, source):
    if phase == "raw-implicit":
        sock = socket.create_connection(("127.0.0.1", d.tls_port),
                                        timeout=TIMEOUT)
        s = Session.__new__(Session)
        s.sock, s.buf, s.tls = sock, b"", False
        s.cafile, s.servername = str(d.cert), "demo.test"
        return s
    if phase == "implicit":
        s = Session(d.tls_port, cafile=str(d.cert), implicit_tls=True,
                    source=source, timeout=TIMEOUT)
        s.greeting()
        return s
    s = d.session(source=source, timeout=TIMEOUT)
    s.greeting()
    if phase == "plain":
        return s
    s.upgrade()
    if phase == "tls":
        return s
    _auth(s, d)
    if phase == "auth":
        return s
    s.cmd("DELIVER TO alice@demo.test")
    s.expect(270)
    return s


def check_reply(s, want):
    r = s.final()[-1]
    if isinstance(want, int):
        want = R(want)
    assert r.code == want.code, "expected %r, got %r" % (want, r.raw)
    if want.text is not None:
        assert r.text == want.text, "expected %r, got %r" % (want, r.raw)
    if want.id is not None:
        assert r.id == want.id, "expected %r, got %r" % (want, r.raw)
    return r


def closes(sock, wait=TIMEOUT):
    """True if the peer closes within wait seconds; whatever it sends
    before (a TLS alert) is read and ignored."""
    sock.settimeout(wait)
    end = time.monotonic() + wait
    try:
        while time.monotonic() < end:
            if not sock.recv(4096):
                return True
    except ConnectionResetError:
        return True
    except (socket.timeout, TimeoutError):
        return False
    return False


def play(s, steps):
    """Runs the steps; returns True if the session is still open."""
    for st in steps:
        if isinstance(st, bytes):
            try:
                s.send(st)
            except (BrokenPipeError, ConnectionResetError):
                pass    # the server may have closed already (checked next)
        elif isinstance(st, (int, R)):
            check_reply(s, st)
        elif isinstance(st, Pause):
            time.sleep(st.seconds)
        elif isinstance(st, Slow):
            for i in range(len(st.data)):
                s.send(st.data[i:i + 1])
                time.sleep(st.interval)
        elif st == STARTTLS:
            assert s.buf == b"", "data after 204: %r" % s.buf
            s.start_tls()
        elif st == ACCEPT:
            r = check_reply(s, 273)
            ACCEPTED.append(("alice", r.text.split()[0]))
        elif st == CLOSE:
            assert s.at_eof(5), "the server did not close the connection"
            return False
        elif st == TLSCLOSE:
            assert closes(s.sock), "the server did not close the connection"
            return False
        elif st == HANGUP:
            return False
        else:
            raise ValueError(st)
    return True


def healthy(d):
    """A fresh session: greeting, UPGRADE, NOOP -> 200."""
    with d.session() as s:
        assert [r.code for r in s.greeting()] == [100, 100, 101]
        s.upgrade()
        s.cmd("NOOP")
        s.expect(200, "OK.")


@pytest.mark.parametrize("phase,steps,source", CASES)
def test_hostile_session(daemon, phase, steps, source):
    s = open_phase(daemon, phase, source)
    try:
        if play(s, steps):
            s.cmd("AS zz NOOP")
            r = s.reply()
            assert (r.id, r.code) == ("zz", 200), \
                "reply out of step: %r" % r.raw
    finally:
        s.close()
    healthy(daemon)


def test_case_count():
    assert len(CASES) >= 200, len(CASES)


def maildir_files(d):
    """Every file below the mailboxes, as paths relative to d.mail."""
    out = []
    for root, _, files in os.walk(d.mail):
        for f in files:
            out.append(os.path.relpath(os.path.join(root, f), d.mail))
    return out


def test_after_all_delivery_and_nothing_partial(daemon):
    """Runs last: a full delivery works, every 273 of the cases arrived,
    and nothing else is in the Maildirs, the spool is empty."""
    uuid = daemon.assert_healthy()
    accepted = ACCEPTED + [("alice", uuid)]
    for user, u in accepted:
        daemon.wait_message(user, u)
    uuids = {u for _, u in accepted}
    for rel in maildir_files(daemon):
        parts = rel.split(os.sep)
        if parts[-1].startswith(("immp-uuid", "immp-index")):
            continue        # the UUID record and the mailbox index
        if parts[-1] == "maildirfolder":
            continue
        assert parts[-2] in ("new", "cur"), "stray file %s" % rel
        assert any(u in parts[-1] for u in uuids), "unexpected message %s" % rel
    assert wait_for(lambda: not os.listdir(daemon.spool / "incoming"), 10), \
        os.listdir(daemon.spool / "incoming")
    assert wait_for(lambda: not os.listdir(daemon.spool / "queue"), 20), \
        os.listdir(daemon.spool / "queue")
