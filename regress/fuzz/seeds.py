#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz targets into regress/fuzz/corpus/.

Each target's directory gets small inputs, valid and hostile, named after
what they exercise.  The first octet of an input selects a mode for the
targets that have several (see the comment at the top of each
fuzz_*.c).  Files already there (e.g. crash regressions, crash-*) are
kept; files this script writes are overwritten.  Run from anywhere:
    python3 regress/fuzz/seeds.py
"""

import base64
import gzip
import struct
from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "corpus"


def put(target, name, data):
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    (d / name).write_bytes(data)


# -- fuzz_cmd: first octet 15 -> at most 16 commands ----------------------
def cmd(name, line, maxcmds=16):
    put("fuzz_cmd", name, bytes([maxcmds - 1]) + line)


cmd("noop", b"NOOP")
cmd("blank", b" \t ")
cmd("empty", b"")
cmd("pipeline", b"AS a1 DELIVER TO alice@demo.test +IMPORTANT -secure;"
    b" AS a2 NOOP")
cmd("quoted", b'AUTH SECRET alice@demo.test "my \\"new\\" laptop \\\\ ;"')
cmd("data", b"AS q1 DATA NAME \"x y.txt\" TYPE text/plain LENGTH 5 +CONTENT")
cmd("tabs", b"\tNOOP\t\t;\tNOOP\t")
cmd("utf8-words", "DATA NAME r\u00e9sum\u00e9.pdf \U0001f600 \u4e2d".encode())
cmd("len-8192", b"NOOP" + b" " * 8188)
cmd("len-8193", b"NOOP" + b" " * 8189)
cmd("nul", b"NO\0OP")
cmd("del", b"NOOP \x7f")
cmd("c1-control", b"NOOP \xc2\x85")
cmd("cr-inside", b"NOOP\rNOOP")
cmd("utf8-ff", b"NOOP \xff")
cmd("utf8-overlong", b"NOOP \xc0\xaf \xe0\x80\xaf")
cmd("utf8-surrogate", b"NOOP \xed\xa0\x80")
cmd("utf8-above", b"NOOP \xf4\x90\x80\x80")
cmd("utf8-truncated", b"NOOP \xe2\x82")
cmd("semicolons", b"NOOP;;NOOP")
cmd("semicolon-only", b";")
cmd("trailing-semicolon", b"NOOP;")
cmd("as-alone", b"AS")
cmd("as-id-alone", b"AS x")
cmd("as-id-33", b"AS " + b"i" * 33 + b" NOOP")
cmd("as-id-32", b"AS " + b"i" * 32 + b" NOOP")
cmd("as-bad-id", b"AS b@d NOOP")
cmd("as-quoted-id", b'AS "x" NOOP')
cmd("as-as", b"AS x AS")
cmd("quoted-as", b'"AS" x')
cmd("words-32", b"W" + b" w" * 31)
cmd("words-33", b"W" + b" w" * 32)
cmd("switches-16", b"W" + b"".join(b" +s%d" % i for i in range(16)))
cmd("switches-17", b"W" + b"".join(b" +s%d" % i for i in range(17)))
cmd("commands-16", b";".join([b"NOOP"] * 16))
cmd("commands-17", b";".join([b"NOOP"] * 17))
cmd("commands-3-max2", b"NOOP;NOOP;NOOP", maxcmds=2)
cmd("unterminated", b'NOOP "abc')
cmd("bad-escape", b'NOOP "a\\nb"')
cmd("escape-at-end", b'NOOP "a\\')
cmd("misplaced-quote", b'NOOP a"b')
cmd("quote-then-word", b'NOOP "a"b')
cmd("empty-quoted", b'NOOP "" ""')
cmd("switch-forms", b"X +a -b +1 -- + +a-b_c \"+q\" +\xc3\xa9")
cmd("verb-switch", b"+NOOP -x")

# -- fuzz_imid ----------------------------------------------------------------
imids = {
    "plain": "alice@demo.test",
    "scheme": "IMID:Alice@Demo.TEST",
    "folder": "alice+lists@demo.test",
    "shared": "helpdesk/alice@demo.test",
    "full": "imid:helpdesk/al.ice_x-1+f.old@a-b.c.demo.test/inbox/lists"
            "#msg-42?key=v&x=/@#?",
    "single-label": "root@localhost",
    "local-64": "a" * 64 + "@demo.test",
    "local-65": "a" * 65 + "@demo.test",
    "domain-253": "a@" + ".".join(["b" * 63] * 3 + ["c" * 61]),
    "domain-254": "a@" + ".".join(["b" * 63] * 3 + ["c" * 62]),
    "label-64": "a@" + "b" * 64 + ".test",
    "missing-at": "alice.demo.test",
    "empty-local": "@demo.test",
    "empty-domain": "alice@",
    "leading-dot": ".alice@demo.test",
    "double-dot": "al..ice@demo.test",
    "trailing-dot-domain": "alice@demo.test.",
    "hyphen-label": "alice@-demo.test",
    "folder-dot": "alice+.@demo.test",
    "folder-dotdot": "alice+..@demo.test",
    "empty-folder": "alice+@demo.test",
    "bad-shared": "help desk/alice@demo.test",
    "empty-mailbox": "alice@demo.test/",
    "mailbox-dotdot": "alice@demo.test/inbox/../x",
    "empty-message": "alice@demo.test/inbox#",
    "bad-message": "alice@demo.test/inbox#a.b",
    "empty-options": "alice@demo.test?",
    "options-space": "alice@demo.test?a b",
    "two-at": "alice@bob@demo.test",
    "utf8": "al\u00efce@demo.test",
    "space": "alice @demo.test",
    "nul": "alice\0@demo.test",
}
for name, s in imids.items():
    put("fuzz_imid", name, s)

# -- fuzz_reply: even first octet = parse, odd = format ----------------------
for name, line in {
    "ok": b"200 OK.",
    "id": b"a1: 270 Ready for DATA.",
    "greeting": b"100-immpd IMMP/1.0 server at demo.test",
    "challenge": b"303 n1=abc n2=1764000000 s=AAAA o=2 m=67108864 "
                 b"k=argon2id13",
    "ambiguous": b"200-x: 300 y",
    "empty-text": b"200 ",
    "short": b"200",
    "code-800": b"800 x",
    "code-099": b"099 x",
    "no-sep": b"200x",
    "id-33": b"i" * 33 + b": 200 OK.",
    "id-no-space": b"a1:200 OK.",
    "nul": b"200 a\0b",
    "tab": b"200 a\tb",
    "bad-utf8": b"200 \xc0\xaf",
    "long": b"200 " + b"x" * 8186,
    "too-long": b"200 " + b"x" * 8187,
}.items():
    put("fuzz_reply", "parse-" + name, b"\0" + line)


def fmt(name, idv, code, more, bufsz, text):
    put("fuzz_reply", "format-" + name,
        b"\1" + bytes([len(idv)]) + struct.pack(">H", code) +
        bytes([more]) + struct.pack(">H", bufsz) + idv + text)


fmt("ok", b"", 200, 0, 8192, b"OK.")
fmt("id", b"q1", 272, 0, 8192, b"body Part saved (5 octets).")
fmt("more", b"", 100, 1, 8192, b"immpd IMMP/1.0 server at demo.test")
fmt("small-buffer", b"", 200, 0, 8, b"OK.")
fmt("bad-id", b"a b", 200, 0, 8192, b"OK.")
fmt("bad-code", b"", 99, 0, 8192, b"x")
fmt("crlf-text", b"", 200, 0, 8192, b"a\r\nb")
fmt("utf8-text", b"", 421, 0, 8192, "\u00e9t\u00e9 \U0001f600".encode())

# -- fuzz_spool ------------------------------------------------------------------
def spool(parts, end=True):
    out = b"IMMP-SPOOL 1\n"
    for ptype, name, content, data in parts:
        out += b"P %020d %d %s %d %s\n" % (len(data), content, ptype,
                                          len(name), name)
        out += data + b"\n"
    if end:
        out += b"E\n"
    return out


S_ONE = spool([(b"text/plain", b"body.txt", 1, b"Hello.\n")])
S_THREE = spool([
    (b"text/rfc822-headers", b"meta", 0, b"Subject: Minutes\n"),
    (b"text/plain", b"body", 1, b"See the attached notes.\n"),
    (b"application/pdf", "n\u00f6tes.pdf".encode(), 0, b"%PDF-1.4\n\0\1"),
])
spool_seeds = {
    "empty": spool([]),
    "one": S_ONE,
    "three": S_THREE,
    "empty-name": spool([(b"image/png", b"", 0, b"\x89PNG")]),
    "rfc822": spool([(b"message/rfc822", b"m", 0,
                      b"From: a@b\nSubject: x\n\nbody\n")]),
    "no-end": S_ONE[:-2],
    "trailing": S_ONE + b"x",
    "bad-magic": b"IMMP-SPOOL 2\n" + S_ONE[13:],
    "short-length": S_ONE.replace(b"%020d" % 7, b"%020d" % 6),
    "long-length": S_ONE.replace(b"%020d" % 7, b"%020d" % 9999),
    "huge-length": S_ONE.replace(b"%020d" % 7, b"99999999999999999999"),
    "name-len-zero-pad": S_ONE.replace(b" 8 body.txt", b" 08 body.txt"),
    "name-len-short": S_ONE.replace(b" 8 body.txt", b" 7 body.txt"),
    "name-len-256": spool([(b"text/plain", b"n" * 256, 0, b"x")]),
    "name-cr": spool([(b"text/plain", b"a\rb", 0, b"x")]),
    "name-nul": spool([(b"text/plain", b"a\0b", 0, b"x")]),
    "bad-type": spool([(b"text", b"x", 0, b"x")]),
    "type-two-slashes": spool([(b"a/b/c", b"x", 0, b"x")]),
    "content-2": S_ONE.replace(b" 1 text/plain", b" 2 text/plain"),
    "no-lf-after-data": S_ONE.replace(b"Hello.\n\nE", b"Hello.\nXE"),
    "magic-only": b"IMMP-SPOOL 1\n",
}
for name, data in spool_seeds.items():
    put("fuzz_spool", name, data)

# -- fuzz_mime: mode = low nibble % 3 (0 spool, 1 metadata, 2 parts) --------
for name in ("one", "three", "rfc822", "empty", "no-end", "empty-name"):
    put("fuzz_mime", "spool-" + name, b"\x00" + spool_seeds[name])
put("fuzz_mime", "spool-important", b"\x10" + S_THREE)
put("fuzz_mime", "spool-unimportant", b"\x20" + S_THREE)
meta = {
    "subject": b"Subject: Minutes\n",
    "all": b"Subject: x\r\nIn-Reply-To: <a@b>\nReferences: <a@b> <c@d>\n"
           b"Reply-To: bob@demo.test\nCc: carol@demo.test\n",
    "utf8-subject": ("Subject: " + "\u00e9t\u00e9 " * 40 + "\n").encode(),
    "subject-900": b"Subject: " + b"s" * 900 + b"\n",
    "subject-901": b"Subject: " + b"s" * 901 + b"\n",
    "cc-998": b"Cc:" + b"c" * 995 + b"\n",
    "refs-998": b"References:" + b"r" * 987 + b"\n",
    "line-999": b"Cc: " + b"c" * 995 + b"\n",
    "from": b"From: evil@demo.test\n",
    "duplicate": b"Subject: a\nsubject: b\n",
    "folded": b"Subject: a\n b\n",
    "empty-line": b"Subject: a\n\n",
    "no-lf": b"Subject: a",
    "nul": b"Subject: a\0b\n",
    "bad-utf8": b"Subject: \xff\n",
    "control": b"Subject: a\x1bb\n",
    "no-colon": b"Subject a\n",
    "empty": b"",
    "too-large": b"Subject: x\n" + (b"Cc: y\n" * 1400),
}
for name, data in meta.items():
    put("fuzz_mime", "meta-" + name, b"\x01" + data)


def mparts(plist):
    out = b""
    for tsel, content, name, data in plist:
        out += bytes([tsel | (0x80 if content else 0), len(name)]) + name
        out += struct.pack(">H", len(data)) + data
    return out


# type index: 0 text/plain 1 text/html 2 application/pdf 3 message/rfc822
# 4 multipart/mixed 5 text/rfc822-headers 6 image/png 7 TEXT/Plain
# 8 Text/RFC822-Headers 9 message/partial
put("fuzz_mime", "parts-body", b"\x02" + mparts([(0, 1, b"b", b"Hi\n")]))
put("fuzz_mime", "parts-alternative", b"\x02" + mparts([
    (0, 1, b"t", b"Hi\n"), (1, 1, b"h", b"<p>Hi</p>\n")]))
put("fuzz_mime", "parts-mixed", b"\x02" + mparts([
    (5, 0, b"m", b"Subject: x\n"), (0, 1, b"t", b"Hi\n"),
    (2, 0, "\u00e9.pdf".encode(), b"%PDF\0\1\2"),
    (4, 0, b"fake", b"--b\nContent-Type: text/plain\n\nx\n--b--\n"),
    (6, 0, b'a"b\\c.png', bytes(range(256)))]))
put("fuzz_mime", "parts-text-cr", b"\x02" + mparts([
    (0, 1, b"t", b"a\r\nb\n"), (7, 0, b"long", b"x" * 1000 + b"\n")]))
put("fuzz_mime", "parts-two-meta", b"\x02" + mparts([
    (5, 0, b"m", b"Subject: a\n"), (8, 0, b"n", b"Cc: b\n")]))
put("fuzz_mime", "parts-rfc822", b"\x02" + mparts([
    (3, 0, b"m", b"From: a@b\n\nbody\n")]))
put("fuzz_mime", "parts-none", b"\x02")

# -- fuzz_verifier: even = text, odd = struct --------------------------------
V = ("$immp-scram-sha256$argon2id13$o=1$m=8192$AAECAwQFBgcICQoLDA0ODw=="
     "$ep3/rzWfXBRyflAbry/CBhXRUkgvTGTsn0LRBnvocR0="
     "$j8t9GA/2RdqFPMPqoBABV1XPfwb+coQCyoaIjE0n+3Y=")
ver = {
    "example": V,
    "defaults": V.replace("o=1$m=8192", "o=2$m=67108864"),
    "ops-leading-zero": V.replace("o=1$", "o=01$"),
    "ops-zero": V.replace("o=1$", "o=0$"),
    "ops-huge": V.replace("o=1$", "o=18446744073709551616$"),
    "mem-small": V.replace("m=8192$", "m=8191$"),
    "mem-negative": V.replace("m=8192$", "m=-8192$"),
    "salt-short": V.replace("AAECAwQFBgcICQoLDA0ODw==", "AAECAwQFBgcICQoLDA0O"),
    "salt-bits": V.replace("DA0ODw==", "DA0ODx=="),
    "salt-high-octet": V.replace("AAECAwQF", "AAECAwQ\xff"),
    "key-no-pad": V.replace("ocR0=", "ocR0"),
    "key-data-after-pad": V.replace("ocR0=", "ocR0=A"),
    "trailing": V + "$",
    "trailing-lf": V + "\n",
    "missing-server": V[:V.rindex("$")],
    "other-kdf": V.replace("argon2id13", "argon2i13"),
    "prefix-only": "$immp-scram-sha256$",
    "empty": "",
}
for name, s in ver.items():
    put("fuzz_verifier", "text-" + name, b"\0" + s.encode("latin-1"))
put("fuzz_verifier", "struct-small", b"\1" + struct.pack(">QQ", 1, 8192) +
    bytes(range(80)))
put("fuzz_verifier", "struct-zero", b"\1" + bytes(96))
put("fuzz_verifier", "struct-max", b"\1" + b"\xff" * 96)

# -- fuzz_conf ----------------------------------------------------------------
CONF = (b'domain "demo.test"\n'
        b'listen on 127.0.0.1 port 1025 tls-cert "/c.pem" tls-key "/k.pem"\n')
example = (Path(__file__).resolve().parents[2] / "etc" / "immpd.conf")
if example.exists():
    put("fuzz_conf", "example", example.read_bytes())
conf = {
    "minimal": CONF,
    "full": CONF + b'listen on ::1 port 1026 tls tls-cert "/c" tls-key "/k"\n'
                   b'table users db:"/etc/immpd/users.db"\nusers users\n'
                   b'maildir "/var/vmail/%{domain}/%{user}" user "vmail"\n'
                   b'queue "/var/spool/immpd"\nuser "_immpd"\n'
                   b'queue-user "_immpq"\nchroot "/var/empty"\n'
                   b"retry first 5m max 4h\nexpire 4d\n"
                   b"max-message-size 35M\nmax-sessions 1024\n",
    "bare-words": b"domain demo.test\nlisten on 127.0.0.1 tls-cert /c "
                  b"tls-key /k\ntable users db:/u.db\n",
    "no-final-newline": CONF.rstrip(b"\n"),
    "comments": b"# c\n\n   # x\n" + CONF + b"# end",
    "no-domain": CONF.split(b"\n", 1)[1],
    "no-listen": CONF.split(b"\n", 1)[0] + b"\n",
    "unterminated": CONF + b'queue "/x\n',
    "bad-escape": CONF + b'queue "/x\\n"\n',
    "control": CONF + b'queue "/x\x01"\n',
    "bad-utf8": CONF + b'queue "/\xc0\xaf"\n',
    "string-1024": CONF + b'queue "/' + b"q" * 1023 + b'"\n',
    "twice": CONF + b"expire 4d\nexpire 5d\n",
    "retry-inverted": CONF + b"retry first 5h max 4h\n",
    "bad-duration": CONF + b"expire 4w\n",
    "huge-size": CONF + b"max-message-size 99999999999999999999G\n",
    "bad-port": CONF.replace(b"1025", b"70000"),
    "bad-addr": CONF.replace(b"127.0.0.1", b"localhost"),
    "users-missing": CONF + b"users nosuch\n",
    "maildir-bad": CONF + b'maildir "relative/%{user}"\n',
    "maildir-unknown": CONF + b'maildir "/m/%{home}"\n',
    "bad-domain": CONF + b'domain "-bad-.test"\n',
    "keyword-string": CONF + b'domain "domain"\n',
    "garbage": b"\xff\xfe\0\0listen",
    "nul": CONF.replace(b"demo", b"de\0mo"),
    "crlf": CONF.replace(b"\n", b"\r\n"),
}
for name, data in conf.items():
    put("fuzz_conf", name, data)

# -- fuzz_imsg: first octet bit 0 = a descriptor travels with the stream ----
def imsg(mtype, payload=b"", peerid=7, pid=1234, length=None):
    if length is None:
        length = 16 + len(payload)
    return struct.pack("=IIII", mtype, length, peerid, pid) + payload


FD = 0x80000000
for name, (flag, stream) in {
    "one": (0, imsg(1, b"hello")),
    "empty-payload": (0, imsg(2)),
    "three": (0, imsg(1, b"a") + imsg(2, b"bb" * 100) + imsg(3)),
    "eof": (0, b""),
    "short-header": (0, imsg(1)[:10]),
    "len-below-header": (0, imsg(1, length=15)),
    "len-zero": (0, imsg(1, length=0)),
    "len-above-max": (0, imsg(1, length=16 + 65536 + 1)),
    "len-max": (0, imsg(1, b"m" * 65536)),
    "len-huge": (0, imsg(1, length=0xffffffff)),
    "truncated-payload": (0, imsg(1, b"abc", length=16 + 10)),
    "fd": (1, imsg(5 | FD, b"fd")),
    "fd-without-flag": (1, imsg(5, b"fd")),
    "flag-without-fd": (0, imsg(5 | FD, b"fd")),
    "fd-then-flag": (1, imsg(5 | FD) + imsg(6 | FD)),
    "fd-empty-stream": (1, b""),
    "good-then-bad": (0, imsg(1, b"x") + imsg(1, length=3)),
}.items():
    put("fuzz_imsg", name, bytes([flag]) + stream)

# -- fuzz_b64: even = decode, odd = encode ------------------------------------
for name, s in {
    "empty": b"",
    "one": b"QQ==",
    "two": b"QUI=",
    "three": b"QUJD",
    "long": base64.b64encode(bytes(range(256))),
    "bad-char": b"QU!D",
    "space": b"QUJD QUJD",
    "newline": b"QUJD\nQUJD",
    "no-pad": b"QQ",
    "one-pad": b"QQ=",
    "three-pad": b"Q===",
    "pad-middle": b"QQ==QUJD",
    "data-after-pad": b"QUI=Q",
    "bits": b"QR==",
    "bits-one-pad": b"QUJ=",
    "high-octet": b"QUJ\xff",
    "high-octet-80": b"\x80\x80\x80\x80",
    "url-alphabet": b"-_-_",
    "nul-inside": b"QUJD\0QUJD",
}.items():
    put("fuzz_b64", "decode-" + name, b"\0" + s)
put("fuzz_b64", "encode-empty", b"\1")
put("fuzz_b64", "encode-bytes", b"\1" + bytes(range(256)))

# -- fuzz_keyfile: even = public key file, odd = secret key file --------------
# The example keys of immp(7) DOMAIN KEYS (generation 1: Ed25519 seed
# 0x00..0x1f, X25519 secret 0x20..0x3f; generation 2: 0x40.., 0x60..).
KF_PK1 = "A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg="
KF_XK1 = "NYBy1jZYgNGu6jKa35EhODhR7SGijjt16WXQ0s0WYlQ="
KF_PK2 = "JUO5L/EJVRFHatyDadtt3JM2ZaEZeN2hQE7hBmypVZ0="
KF_XK2 = "Z13VdO13iTELPS52gfN5C0ZsdzsVIf7PNld5WDcepS8="
KF_FP1 = "27d9b27d72491ccafd970c3f0aea33656fc2d8e4e3e983d529e14fb55de4609f"
KF_SIG = ("i/M0MvVFdL3+bUUlQtHENtOGdgiBOD1NulKHAtNZdT6ncs7/wkIOOBZ5MGBPIYRP"
          "HQ/diz+7l6wDkYIvhQkKAQ==")
KF_SK1 = base64.b64encode(bytes(range(32)) + base64.b64decode(KF_PK1)).decode()
KF_SX1 = base64.b64encode(bytes(range(32, 64))).decode()
KF_SK2 = base64.b64encode(bytes(range(64, 96)) +
                          base64.b64decode(KF_PK2)).decode()
KF_SX2 = base64.b64encode(bytes(range(96, 128))).decode()
KF_PUB1 = ("immp-keys v1 public demo.test\n"
           "sign 1 ed25519 %s 1764000000 -\n"
           "seal 1 x25519 %s 1764000000 -\n" % (KF_PK1, KF_XK1))
KF_PUB2 = ("immp-keys v1 public demo.test\n"
           "sign 1 ed25519 %s 1764000000 1764604800\n"
           "seal 1 x25519 %s 1764000000 1764604800\n"
           "sign 2 ed25519 %s 1764500000 -\n"
           "seal 2 x25519 %s 1764500000 -\n"
           "rollover 2 1 %s %s\n" % (KF_PK1, KF_XK1, KF_PK2, KF_XK2, KF_FP1,
                                     KF_SIG))
KF_SEC2 = ("immp-keys v1 secret demo.test\n"
           "sign 1 ed25519-secret %s 1764000000 1764604800\n"
           "seal 1 x25519-secret %s 1764000000 1764604800\n"
           "sign 2 ed25519-secret %s 1764500000 -\n"
           "seal 2 x25519-secret %s 1764500000 -\n" % (KF_SK1, KF_SX1, KF_SK2,
                                                       KF_SX2))
for name, (flag, text) in {
    "public-one": (0, KF_PUB1),
    "public-rollover": (0, KF_PUB2),
    "secret-rollover": (1, KF_SEC2),
    "secret-one": (1, "\n".join(KF_SEC2.split("\n")[:3]).replace(
        " 1764604800", " -") + "\n"),
    "empty": (0, ""),
    "header-only": (0, "immp-keys v1 public demo.test\n"),
    "no-final-lf": (0, KF_PUB1[:-1]),
    "crlf": (0, KF_PUB1.replace("\n", "\r\n")),
    "bad-signature": (0, KF_PUB2.replace("i/M0", "j/M0")),
    "no-rollover-line": (0, KF_PUB2[:KF_PUB2.index("rollover")]),
    "zero-key": (0, KF_PUB1.replace(KF_PK1, "A" * 43 + "=")),
    "leading-zero": (0, KF_PUB1.replace("sign 1 ", "sign 01 ")),
    "secret-as-public": (0, KF_SEC2),
    "inconsistent-secret": (1, KF_SEC2.replace("DoQe/", "DoQf/")),
}.items():
    put("fuzz_keyfile", name, bytes([flag]) + text.encode())

# fuzz_auth: octet 0 bit 0 = a challenge is pending (AUTH RESPONSE), bit 1
# = already authenticated; then one command line.
NONCE = "q3Vh9PZ0kqXbYc1u2dEw4A=="
PROOF = base64.b64encode(bytes(range(32))).decode()
for name, (flag, line) in {
    "secret": (0, "AUTH SECRET alice@demo.test"),
    "secret-device": (0, 'AUTH SECRET alice@demo.test "laptop one"'),
    "secret-upper": (0, "auth secret Alice@Demo.TEST"),
    "secret-folder": (0, "AUTH SECRET alice/INBOX@demo.test"),
    "secret-shared": (0, "AUTH SECRET helpdesk/alice@demo.test"),
    "secret-no-at": (0, "AUTH SECRET alice"),
    "secret-too-many": (0, "AUTH SECRET a@b.test dev extra"),
    "secret-switch": (0, "AUTH SECRET a@b.test +X"),
    "secret-long-device": (0, 'AUTH SECRET a@b.test "%s"' % ("d" * 300)),
    "secret-again": (2, "AUTH SECRET alice@demo.test"),
    "secret-pipelined": (0, "AS a1 AUTH SECRET bob@demo.test; AS a2 NOOP"),
    "response": (1, "AUTH RESPONSE c=%s p=%s" % (NONCE, PROOF)),
    "response-short-nonce": (1, "AUTH RESPONSE c=abc p=%s" % PROOF),
    "response-long-nonce": (1, "AUTH RESPONSE c=%s p=%s" % ("A" * 49,
                                                             PROOF)),
    "response-bad-nonce": (1, "AUTH RESPONSE c=%s p=%s" % (
        "A" * 15 + "!", PROOF)),
    "response-short-proof": (1, "AUTH RESPONSE c=%s p=%s" % (
        NONCE, base64.b64encode(b"x" * 31).decode())),
    "response-bad-proof": (1, "AUTH RESPONSE c=%s p=%s" % (
        NONCE, PROOF[:-2] + "!=")),
    "response-swapped": (1, "AUTH RESPONSE p=%s c=%s" % (PROOF, NONCE)),
    "response-none-pending": (0, "AUTH RESPONSE c=%s p=%s" % (NONCE,
                                                               PROOF)),
    "response-authenticated": (3, "AUTH RESPONSE c=%s p=%s" % (NONCE,
                                                                PROOF)),
}.items():
    put("fuzz_auth", name, bytes([flag]) + line.encode())

# fuzz_data: octet 0 = chunk size (bits 3-7), bit 0 Local (else Remote),
# bit 1 not yet TLS, bit 2 message open; then the DATA line, LF, and
# what follows it.
OPEN = 5
GZ = gzip.compress(b"hello, compressed world\n" * 40, mtime=0)
B64 = base64.b64encode(b"hello, world\n" * 20).decode()
for name, (flag, line, rest) in {
    "literal": (OPEN, "DATA body.txt TYPE text/plain LENGTH 6",
                b"hello\n"),
    "literal-content": (OPEN | 8, "DATA NAME b TYPE text/plain LENGTH 5 "
                        "+CONTENT", b"hello"),
    "literal-short": (OPEN, "DATA x LENGTH 10", b"abc"),
    "literal-zero": (OPEN, "DATA x LENGTH 0", b""),
    "literal-huge": (OPEN, "DATA x LENGTH 99999999999999999999", b"a"),
    "literal-overflow": (OPEN, "DATA x LENGTH 999999999999999999999",
                         b"a"),
    "literal-two-lengths": (OPEN, "DATA x LENGTH 1 LENGTH 1", b"a"),
    "literal-b64": (OPEN | 16, "DATA x LENGTH %d +BASE64" % len(B64),
                    B64.encode()),
    "literal-b64-bad": (OPEN, "DATA x LENGTH 8 +BASE64", b"QUJD!!!!"),
    "lines-b64": (OPEN, "DATA x TYPE image/png +BASE64",
                  ("\r\n".join(B64[i:i + 76] for i in range(0, len(B64),
                                                           76)) +
                   "\r\n\r\n\r\n").encode()),
    "lines-b64-pad-middle": (OPEN, "DATA x +BASE64",
                             b"QQ==\r\nQUJD\r\n\r\n\r\n"),
    "lines-b64-unfinished": (OPEN, "DATA x +BASE64", b"QUJ\r\n\r\n\r\n"),
    "lines-b64-eof": (OPEN, "DATA x +BASE64", b"QUJD\r\n"),
    "meta": (OPEN, "DATA m TYPE text/rfc822-headers LENGTH 15",
             b"Subject: hi\n\n\n"[:15]),
    "meta-bad": (OPEN, "DATA m TYPE text/rfc822-headers LENGTH 9",
                 b"X-Evil: 1"),
    "trace-local": (OPEN, "DATA t TYPE application/x-immp-trace LENGTH 1", b"a"),
    "trace-remote": (4, "DATA t TYPE application/x-immp-trace LENGTH 1", b"a"),
    "no-length": (OPEN, "DATA x TYPE text/plain", b""),
    "no-message": (1, "DATA x LENGTH 1", b"a"),
    "plain": (OPEN | 2, "DATA x LENGTH 1", b"a"),
    "unknown-switch": (OPEN, "DATA x LENGTH 1 +BOGUS", b"a"),
    "not-last": (OPEN, "DATA x LENGTH 1; NOOP", b"a"),
    "bad-type": (OPEN, "DATA x TYPE nota/type/at/all LENGTH 1", b"a"),
    "too-large": (OPEN, "DATA x LENGTH 70000", b"a" * 70000),
    "pipelined": (OPEN, "AS d1 DATA x LENGTH 2", b"ok"),
    "gzip-literal": (0x80 | OPEN, "DATA x LENGTH %d" % len(GZ), GZ),
    "gzip-b64": (0x80 | OPEN, "DATA x +BASE64",
                 base64.b64encode(GZ) + b"\r\n\r\n\r\n"),
    "gzip-garbage": (0x80 | OPEN, "DATA x LENGTH 4", b"\x1f\x8b\x08\x00"),
}.items():
    put("fuzz_data", name, bytes([flag]) + line.encode() + b"\n" + rest)

# -- fuzz_conf: relay, blocking and limit statements ------------------------
for name, data in {
    "relay": CONF + b'route "b.test" to 127.0.0.1 port 1027 tls verify\n'
                    b'route "c.test" to mx.c.test\n'
                    b'domain-secret "/etc/immpd/domain.secret"\n'
                    b'tls ca "/etc/ssl/certs/ca.pem"\n'
                    b'tls pins "/etc/immpd/pins.db"\ntls pin-policy refuse\n'
                    b"relay max-connections 4 max-messages 100\n"
                    b"queue ttl 2d\n",
    "route-port-twice": CONF + b'route "b.test" to 10.0.0.1 port 1 port 2\n',
    "route-bad-port": CONF + b'route "b.test" to 10.0.0.1 port 0\n',
    "route-no-to": CONF + b'route "b.test" 10.0.0.1\n',
    "route-bad-domain": CONF + b'route "-b-" to 10.0.0.1\n',
    "tls-verify-twice": CONF + b'route "b.test" to h tls verify tls verify\n',
    "pin-policy-bad": CONF + b"tls pin-policy maybe\n",
    "domain-secret-twice": CONF + b'domain-secret "/a"\ndomain-secret "/b"\n',
    "relay-empty": CONF + b"relay\n",
    "relay-zero": CONF + b"relay max-connections 0 max-messages 99999999\n",
    "block-limit": CONF + b'table nets db:"/n.db"\ntable doms db:"/d.db"\n'
                          b'table addrs db:"/a.db"\n'
                          b"block networks nets\nblock domains doms\n"
                          b"block addresses addrs\n"
                          b"limit connections 20 per 1m\n"
                          b"limit messages 100 per 1h\n"
                          b"limit domain-messages 1000 per 1d\n"
                          b"limit loopback no\n",
    "block-unknown-kind": CONF + b'table t db:"/t.db"\nblock people t\n',
    "block-no-table": CONF + b"block networks nosuch\n",
    "block-twice": CONF + b'table t db:"/t.db"\nblock domains t\n'
                          b"block domains t\n",
    "limit-bad": CONF + b"limit connections -1 per 1m\nlimit messages 5 "
                        b"each 1m\nlimit loopback perhaps\nlimit wombats "
                        b"1 per 1s\nlimit connections 1 per 1w\n",
    "limit-huge": CONF + b"limit messages 1000001 per 1s\n",
    "settings": CONF + b'settings "/var/lib/immpd/settings.db"\n'
                       b'table boxes db:"/m.db"\nmailboxes boxes\n',
    "settings-twice": CONF + b'settings "/a"\nsettings "/b"\n',
    "mailboxes-missing": CONF + b"mailboxes nosuch\n",
    "keys": CONF + b'keys "/etc/immpd/keys"\nkey-rollover 30d\n'
                   b'control-socket "/run/immpd.sock"\n',
}.items():
    put("fuzz_conf", name, data)

# -- fuzz_mbox_ref: first octet: low 3 bits the parser (0 ref, 3 path,
# 4 uuid, 5 number, 6 PART), bits 3-6 the MBOX_REF_* bits of a ref ------
UUID = b"0f8fad5b-d9cb-469f-a165-70867728950e"
REF, PATH, UUIDM, NUM, PART = 0, 3, 4, 5, 6
R_UUID, R_NOUUID, R_ROOT, R_NOID = 1 << 3, 2 << 3, 4 << 3, 8 << 3
for name, (mode, word) in {
    "ref-inbox": (REF, b"/inbox"),
    "ref-nested": (REF | R_NOUUID, b"/Work/Projects/immp-2026"),
    "ref-uuid": (REF | R_UUID, b"/INBOX#" + UUID),
    "ref-uuid-missing": (REF | R_UUID, b"/INBOX"),
    "ref-uuid-refused": (REF | R_NOUUID, b"/INBOX#" + UUID),
    "ref-uuid-upper": (REF, b"/INBOX#" + UUID.upper()),
    "ref-uuid-short": (REF, b"/INBOX#" + UUID[:-1]),
    "ref-own-id": (REF, b"alice@demo.test/Sent"),
    "ref-shared": (REF, b"team/alice@demo.test/INBOX#" + UUID),
    "ref-other": (REF, b"bob@demo.test/INBOX"),
    "ref-imid": (REF, b"imid:alice@demo.test/INBOX"),
    "ref-noid": (REF | R_NOID, b"alice@demo.test/INBOX"),
    "ref-root": (REF | R_ROOT, b"/"),
    "ref-root-refused": (REF, b"/"),
    "ref-dotdot": (REF, b"/INBOX/../etc"),
    "ref-empty-seg": (REF, b"/a//b"),
    "ref-nine-segs": (REF, b"/a/b/c/d/e/f/g/h/i"),
    "ref-seg-65": (REF, b"/" + b"s" * 65),
    "ref-201": (REF, b"/" + b"/".join([b"p" * 49] * 4) + b"xxxx"),
    "ref-no-slash": (REF, b"INBOX"),
    "ref-at-no-path": (REF, b"alice@demo.test"),
    "ref-utf8": (REF, "/Entw\u00fcrfe".encode()),
    "ref-hash-only": (REF, b"#"),
    "path-junk": (PATH, b"/JUNK/old"),
    "path-root": (PATH | 8, b"/"),
    "path-trailing": (PATH, b"/INBOX/"),
    "uuid-ok": (UUIDM, UUID),
    "uuid-dash": (UUIDM, UUID.replace(b"-", b"x")),
    "num-1": (NUM, b"1"),
    "num-max": (NUM, b"10000"),
    "num-over": (NUM, b"10001"),
    "num-zero": (NUM, b"0"),
    "num-lead": (NUM, b"007"),
    "num-huge": (NUM, b"99999999999999999999999"),
    "num-sign": (NUM, b"+5"),
    "part-1": (PART, b"1"),
    "part-nested": (PART, b"2.1.9999"),
    "part-zero": (PART, b"0"),
    "part-lead": (PART, b"1.01"),
    "part-dots": (PART, b"1..2"),
    "part-big": (PART, b"10000"),
    "part-long": (PART, b".".join([b"9999"] * 20)),
}.items():
    put("fuzz_mbox_ref", name, bytes([mode]) + word)

# -- fuzz_cookie: first octet even: "<domain>\n<cookie>", odd: a 101 text ---
COOKIE = base64.b64encode(bytes(range(32)))
for name, (mode, rest) in {
    "args-ok": (0, b"a.test\n" + COOKIE),
    "args-upper": (0, b"A.Test\n" + COOKIE),
    "args-bad-domain": (0, b"-a-.test\n" + COOKIE),
    "args-long-domain": (0, b".".join([b"d" * 63] * 5) + b"\n" + COOKIE),
    "args-short": (0, b"a.test\n" + base64.b64encode(bytes(31))),
    "args-long": (0, b"a.test\n" + base64.b64encode(bytes(33))),
    "args-unpadded": (0, b"a.test\n" + COOKIE.rstrip(b"=")),
    "args-alphabet": (0, b"a.test\n" + COOKIE.replace(b"A", b"-")),
    "args-high": (0, b"a.test\n" + COOKIE[:-2] + b"\xff="),
    "args-empty": (0, b"a.test\n"),
    "args-65": (0, b"a.test\n" + b"A" * 65),
    "greeting": (1, b"IMMP/1 d=a.test i=bm9uY2Vub25jZQ=="),
    "greeting-order": (1, b"i=abc d=B.Test extra"),
    "greeting-twice": (1, b"d=a.test d=-bad- i=x i=!"),
    "greeting-no-nonce": (1, b"d=a.test"),
    "greeting-bad-nonce": (1, b"d=a.test i=no*pe"),
    "greeting-long-nonce": (1, b"d=a.test i=" + b"A" * 64),
    "greeting-empty": (1, b"d= i="),
    "greeting-spaces": (1, b"   d=a.test    i=Zm9v   "),
}.items():
    put("fuzz_cookie", name, bytes([mode]) + rest)
