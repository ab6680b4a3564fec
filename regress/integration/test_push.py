"""Push notifications and subscriptions (immp(7) PUSH, SUBSCRIBE; draft
3.2.3, 3.4): two real daemons, a.test (the publisher alice/updates) and
b.test (bob), relaying to each other."""

import os
import re
import subprocess
import time

import pytest

import immpclient
from harness import binary
from pushlib import secret_pair
from test_relay import cookie, log_has

NODE = "alice/updates@a.test"


NODES = [("alice@a.test", NODE, "Updates from a.test"),
         ("alice@a.test", "alice/feed@a.test", "The feed"),
         ("alice@a.test", "alice/weekly@a.test", "Weekly"),
         ("alice@a.test", "alice/solo@a.test", "Only bob"),
         ("carol@a.test", "carol/news@a.test", "Carol's news")]


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """a.test and b.test, each with a domain secret the tests know, so
    that a test can also speak as one domain to the other (pushlib)."""
    p = secret_pair(tmp_path_factory, "push")
    for account, node, title in NODES:
        with login(p.a, account) as s:
            s.cmd('PUBLISH CREATE %s "%s"' % (node, title))
            s.expect(290)
            s.cmd('PUBLISH CREATE %s "%s"' % (node, title))
            s.expect(486)
    yield p
    p.stop()


def login(d, account):
    s = d.session(servername=d.domain)
    s.login(account, d.users[account])
    return s


def push(d, account, rcpts, node, body, extra=""):
    """PUSH TO rcpts FROM node with one DATA block; returns the UUID."""
    with login(d, account) as s:
        s.cmd("PUSH TO %s FROM %s%s" % (" ".join(rcpts), node, extra))
        s.expect(270)
        s.data("note", body, "text/plain")
        r = s.final()
        assert r[-1].code == 271, r
        s.expect(272)
        s.cmd("DONE")
        r = s.expect(273)
        return r.text.split()[0]


def lines(s, line):
    """Sends line; returns the reply lines (all of them)."""
    s.cmd(line)
    return s.final()


def listed(d, account, what="LIST"):
    with login(d, account) as s:
        return [r.text for r in lines(s, "PUSH " + what)]


def wait_listed(d, account, needle, what="LIST", timeout=30):
    """The PUSH LIST (or HELD) line of account holding needle (a UUID or
    a text; the UUID of a relayed push is given by its receiver)."""
    def find():
        return [t for t in listed(d, account, what)[:-1] if needle in t]
    got = immpclient.wait_for(find, timeout)
    assert got, "%s not in PUSH %s of %s:\n%s" % (needle, what, account,
                                                 d.log_tail())
    return got[0]


def tagged(word):
    return ("%s %s" % (word, os.urandom(4).hex())).encode()


def read_live(s, wait):
    """The unsolicited lines that arrive within wait seconds."""
    got = []
    end = time.time() + wait
    s.sock.settimeout(0.5)
    while time.time() < end:
        try:
            got.append(s.reply())
        except (TimeoutError, OSError):
            continue
    s.sock.settimeout(15)
    return got


def inbox(d, user):
    return d.messages(user) + d.messages(user, sub="cur")


def publish(d, account, node, body, extra=""):
    """PUBLISH TO node; returns the UUID, or None for "292 No
    subscribers"."""
    with login(d, account) as s:
        s.cmd("PUBLISH TO %s%s" % (node, extra))
        r = s.final()[-1]
        if r.code == 292:
            return None
        assert r.code == 270, r.raw
        s.data("event", body, "text/plain")
        s.expect(271)
        s.expect(272)
        s.cmd("DONE")
        return s.expect(273).text.split()[0]


def subscribe(d, account, node):
    with login(d, account) as s:
        s.cmd("SUBSCRIBE TO " + node)
        s.expect(380)
        r = s.expect(280)
        return r.text.split()[0]


def test_local_push_subscribed_live_and_stored(pair):
    a = pair.a
    uuid_sub = subscribe(a, "carol@a.test", NODE)
    with login(a, "carol@a.test") as s:
        subs = lines(s, "SUBSCRIBE LIST")
        assert subs[-1].code == 282 and subs[-1].text == "1 subscriptions."
        assert subs[0].code == 281
        assert subs[0].text == " ".join([uuid_sub, "alice@a.test",
                                        "alice/updates",
                                        "Updates from a.test"])
        tag = os.urandom(4).hex()
        before = inbox(a, "carol")
        u = push(a, "alice@a.test", ["carol@a.test"], NODE,
                 ("build %s ok" % tag).encode())
        live = read_live(s, 5)
        assert any(r.code == 160 and r.text.startswith(u + " " + NODE)
                   and tag in r.text for r in live), live
    line = wait_listed(a, "carol@a.test", u)
    assert tag in line
    assert inbox(a, "carol") == before
    assert (a.maildir("carol") / "immp-push" / u).is_file()


def test_cross_domain_subscribe_push(pair):
    a, b = pair.a, pair.b
    subscribe(b, "bob@b.test", NODE)
    with login(b, "bob@b.test") as s:
        tag = os.urandom(4).hex()
        u = push(a, "alice@a.test", ["bob@b.test"], NODE,
                 ("hello %s" % tag).encode(), " +IMPORTANT")
        def live():
            return [r for r in read_live(s, 1) if r.code == 161]
        got = immpclient.wait_for(live, 30)
        assert got, b.log_tail()
        # b.test gives the relayed push its own UUID, as for mail.
        ub, node, length, text = got[0].text.split(" ", 3)
        assert (node, length, text) == (NODE, "14", "hello " + tag)
        assert ub != u
    line = wait_listed(b, "bob@b.test", ub)
    assert tag in line and "+IMPORTANT" in line
    assert inbox(b, "bob") == []
    assert not (b.maildir("bob") / "immp-push-held" / ub).exists()
    assert (b.maildir("bob") / "immp-push" / ub).is_file()


def test_unsolicited_push_is_held_then_approved(pair):
    a, b = pair.a, pair.b
    other = "carol/alerts@a.test"
    body = tagged("unsolicited")
    with login(b, "bob@b.test") as s:
        push(a, "carol@a.test", ["bob@b.test"], other, body)
        held = wait_listed(b, "bob@b.test", body.decode(), "HELD")
        assert other in held
        u = held.split()[0]
        assert not [r for r in read_live(s, 2) if r.code in (160, 161)]
    assert not [t for t in listed(b, "bob@b.test") if t.startswith(u)]
    assert not (b.maildir("bob") / "immp-push" / u).exists()
    with login(b, "bob@b.test") as s:
        s.cmd("PUSH APPROVE " + u)
        r = s.expect(266)
        assert r.text.startswith(u)
        # Now filed in the store, no longer held.
        assert [t for t in [x.text for x in lines(s, "PUSH LIST")]
                if t.startswith(u)]
        assert not [t for t in [x.text for x in lines(s, "PUSH HELD")]
                    if t.startswith(u)]
        body = tagged("second")
        push(a, "carol@a.test", ["bob@b.test"], other, body)
        def live():
            return [r for r in read_live(s, 1) if r.code == 160]
        got = immpclient.wait_for(live, 30)
        assert got and got[0].text.endswith(body.decode()), b.log_tail()


def test_largest_push_is_relayed(pair):
    a, b = pair.a, pair.b
    body = tagged("big") + b"x" * (4096 - 12)
    assert len(body) == 4096
    push(a, "alice@a.test", ["bob@b.test"], NODE, body)
    line = wait_listed(b, "bob@b.test", body[:12].decode())
    assert " 4096 " in line


def test_drop_held(pair):
    a, b = pair.a, pair.b
    body = tagged("spam")
    push(a, "carol@a.test", ["bob@b.test"], "carol/spam@a.test", body)
    u = wait_listed(b, "bob@b.test", body.decode(), "HELD").split()[0]
    with login(b, "bob@b.test") as s:
        s.cmd("PUSH DROP " + u)
        s.expect(267)
        s.cmd("PUSH DROP " + u)
        s.expect(481)
        s.cmd("PUSH APPROVE " + u)
        s.expect(481)
    assert not [t for t in listed(b, "bob@b.test", "HELD")
                if t.startswith(u)]


def test_unsubscribe_then_not_accepted(pair):
    a, b = pair.a, pair.b
    node = "alice/weekly@a.test"
    uuid_sub = subscribe(b, "bob@b.test", node)
    with login(b, "bob@b.test") as s:
        s.cmd("SUBSCRIBE TO " + node)
        s.expect(380)
        s.expect(482)
        s.cmd("UNSUBSCRIBE " + uuid_sub)
        s.expect(283)
        s.cmd("UNSUBSCRIBE " + uuid_sub)
        s.expect(481)
        subs = [r.text for r in lines(s, "SUBSCRIBE LIST")]
        assert not [t for t in subs if t.startswith(uuid_sub)]
    body = tagged("after")
    push(a, "alice@a.test", ["bob@b.test"], node, body)
    wait_listed(b, "bob@b.test", body.decode(), "HELD")
    # By node as well.
    subscribe(b, "bob@b.test", node)
    with login(b, "bob@b.test") as s:
        s.cmd("UNSUBSCRIBE alice@a.test/weekly")
        s.expect(283)


HOSTILE_PUSH = [
    "PUSH", "PUSH TO", "PUSH TO bob@b.test", "PUSH TO FROM " + NODE,
    "PUSH TO bob@b.test FROM", "PUSH TO bob@b.test FROM alice@a.test",
    "PUSH TO bob@b.test FROM " + NODE + " extra",
    "PUSH TO bob+x@b.test FROM " + NODE,
    "PUSH TO h/bob@b.test FROM " + NODE,
    "PUSH TO bob@b.test/INBOX FROM " + NODE,
    "PUSH TO bob@b.test FROM " + NODE + " +SECURE",
    "PUSH TO bob@b.test FROM alice/a/b@a.test",
    "PUSH TO bob@b.test FROM alice/../x@a.test",
    "PUSH TO bob@b.test FROM alice/up%2fdates@a.test",
    "PUSH TO bob@b.test FROM alice/" + "x" * 65 + "@a.test",
    "PUSH TO bob@b.test FROM imid:alice/updates@a.test",
    "PUSH TO bob@b.test FROM alice/updates@a.test?subscribe",
    "PUSH TO " + " ".join(["u%d@b.test" % i for i in range(101)]) +
    " FROM " + NODE,
    "PUSH LIST x", "PUSH HELD +X", "PUSH APPROVE", "PUSH APPROVE x",
    "PUSH DROP ../../etc/passwd", "PUSH DROP " + NODE,
    "PUSH APPROVE 00000000-0000-0000-0000-00000000000g",
    "PUSH FROB",
    "SUBSCRIBE", "SUBSCRIBE TO", "SUBSCRIBE TO alice@a.test",
    "SUBSCRIBE TO immp://" + NODE, "SUBSCRIBE TO " + NODE + " x",
    "SUBSCRIBE LIST x", "SUBSCRIBE TO ../x@a.test",
    "SUBSCRIBE TO alice/updates@-a.test",
    "UNSUBSCRIBE", "UNSUBSCRIBE a b", "UNSUBSCRIBE x",
    "UNSUBSCRIBE alice@a.test",
]


def test_hostile_arguments(pair):
    a = pair.a
    with login(a, "alice@a.test") as s:
        for line in HOSTILE_PUSH:
            s.cmd(line)
            r = s.final()[-1]
            assert 400 <= r.code < 500, (line, r.raw)
        # Pushing as somebody else's node.
        s.cmd("PUSH TO bob@b.test FROM carol/updates@a.test")
        s.expect(483)
        s.cmd("PUSH TO bob@b.test FROM alice/updates@b.test")
        s.expect(483)
        # Two DATA blocks, an empty push, a push too large.
        s.cmd("PUSH TO carol@a.test FROM " + NODE)
        s.expect(270)
        s.cmd("DONE")
        s.expect(433)
        for n in ("a", "b"):
            s.data(n, b"x")
            s.expect(271)
            s.expect(272)
        s.cmd("DONE")
        s.expect(484)
    with login(a, "alice@a.test") as s:
        s.cmd("PUSH TO carol@a.test FROM " + NODE)
        s.expect(270)
        s.data("big", b"x" * 5000)
        r = s.final()[-1]
        assert r.code == 432, r.raw
    # Not before authentication.
    with a.session(servername=a.domain) as s:
        s.greeting()
        s.upgrade()
        for line in ("PUSH LIST", "SUBSCRIBE LIST", "UNSUBSCRIBE x",
                     "PUSH TO carol@a.test FROM " + NODE):
            s.cmd(line)
            assert s.final()[-1].code == 402, line
    # The daemon is unharmed: a push still goes through.
    u = push(a, "alice@a.test", ["carol@a.test"], NODE, b"still fine")
    wait_listed(a, "carol@a.test", u)


def test_notify_settings(pair):
    a = pair.a
    subscribe(a, "alice@a.test", "carol/news@a.test")
    with login(a, "alice@a.test") as s:
        s.cmd("SET NOTIFY=NONE")
        assert s.final()[-1].code < 300
        u = push(a, "carol@a.test", ["alice@a.test"], "carol/news@a.test",
                 b"quiet")
        wait_listed(a, "alice@a.test", u)
        assert not [r for r in read_live(s, 2) if r.code in (160, 161)]
        s.cmd("SET NOTIFY=IMPORTANT")
        assert s.final()[-1].code < 300
        push(a, "carol@a.test", ["alice@a.test"], "carol/news@a.test",
             b"plain")
        u3 = push(a, "carol@a.test", ["alice@a.test"], "carol/news@a.test",
                  b"loud", " +IMPORTANT")
        def live():
            return [r for r in read_live(s, 1) if r.code in (160, 161)]
        got = immpclient.wait_for(live, 20)
        assert got and all(r.code == 161 for r in got), got
        assert got[0].text.startswith(u3)


def test_publish_fans_out_across_domains(pair):
    a, b = pair.a, pair.b
    subscribe(b, "bob@b.test", "carol/news@a.test")
    subscribe(a, "carol@a.test", "carol/news@a.test")
    assert log_has(a, r"pubsub subscribe node=carol/news@a\.test "
                   r"subscriber=bob@b\.test")
    body = tagged("event")
    with login(b, "bob@b.test") as s:
        before = inbox(b, "bob")
        publish(a, "carol@a.test", "carol/news@a.test", body)
        def live():
            return [r for r in read_live(s, 1) if r.code == 160 and
                    r.text.endswith(body.decode())]
        got = immpclient.wait_for(live, 30)
        assert got, b.log_tail()
        ub = got[0].text.split()[0]
        assert got[0].text.split()[1] == "carol/news@a.test"
    assert (b.maildir("bob") / "immp-push" / ub).is_file()
    assert inbox(b, "bob") == before
    wait_listed(a, "carol@a.test", body.decode())
    # Only the owner publishes; unknown nodes are refused.
    with login(a, "alice@a.test") as s:
        s.cmd("PUBLISH TO carol/news@a.test")
        s.expect(483)
        s.cmd("PUBLISH TO alice/nothing@a.test")
        s.expect(485)


def test_publish_skips_a_subscriber_who_blocks_the_owner(pair):
    a, b = pair.a, pair.b
    node = "carol/digest@a.test"
    with login(a, "carol@a.test") as s:
        s.cmd('PUBLISH CREATE %s "Digest"' % node)
        s.expect(290)
    subscribe(a, "alice@a.test", node)
    subscribe(b, "bob@b.test", node)
    with login(a, "alice@a.test") as s:
        s.cmd("SET GLOBAL BLOCK+=carol@a.test")
        assert s.final()[-1].code < 300
    try:
        body = tagged("digest")
        assert publish(a, "carol@a.test", node, body)
        assert log_has(a, r"publish id=\S+ rcpt=alice@a\.test skipped: "
                       r"the recipient blocks the sender")
        wait_listed(b, "bob@b.test", body.decode())
        assert not [t for t in listed(a, "alice@a.test") + listed(
            a, "alice@a.test", "HELD") if body.decode() in t]
    finally:
        with login(a, "alice@a.test") as s:
            s.cmd("SET GLOBAL BLOCK-=carol@a.test")
            assert s.final()[-1].code < 300


def test_subscribe_unknown_remote_node(pair):
    with login(pair.b, "bob@b.test") as s:
        s.cmd("SUBSCRIBE TO alice/nothing@a.test")
        s.expect(380)
        r = s.final()[-1]
        assert r.code == 485, r.raw
        subs = [r.text for r in lines(s, "SUBSCRIBE LIST")]
        assert not [t for t in subs if "alice/nothing" in t]


def test_unsubscribe_reaches_the_publisher(pair):
    a, b = pair.a, pair.b
    node = "alice/solo@a.test"
    uuid_sub = subscribe(b, "bob@b.test", node)
    body = tagged("solo")
    assert publish(a, "alice@a.test", node, body)
    # Stored before the next session, which would get it live (160).
    wait_listed(b, "bob@b.test", body.decode())
    with login(b, "bob@b.test") as s:
        s.cmd("UNSUBSCRIBE " + uuid_sub)
        r = s.expect(283)
        assert r.text.startswith(node)
    # Not sent: the publisher's list is empty again.
    assert log_has(a, r"pubsub unsubscribe node=alice/solo@a\.test "
                   r"subscriber=bob@b\.test")
    assert publish(a, "alice@a.test", node, b"nobody") is None
    # Not accepted: a push from that node is held at b.test.
    body = tagged("late")
    push(a, "alice@a.test", ["bob@b.test"], node, body)
    wait_listed(b, "bob@b.test", body.decode(), "HELD")


def test_publish_hostile(pair):
    a = pair.a
    with login(a, "alice@a.test") as s:
        for line in ["PUBLISH", "PUBLISH CREATE", "PUBLISH CREATE " + NODE,
                     "PUBLISH CREATE %s a b" % NODE,
                     "PUBLISH CREATE alice@a.test x",
                     "PUBLISH CREATE alice/x@a.test \"\"",
                     "PUBLISH CREATE alice/x@a.test \"%s\"" % ("t" * 200),
                     "PUBLISH CREATE alice/x@a.test t +IMPORTANT",
                     "PUBLISH TO", "PUBLISH TO " + NODE + " x",
                     "PUBLISH TO " + NODE + " +SECURE",
                     "PUBLISH FROB " + NODE,
                     "PUBLISH CREATE carol/x@a.test t",
                     "PUBLISH CREATE alice/x@b.test t",
                     "PUBLISH CREATE alice/../x@a.test t",
                     "SUBSCRIBE TO %s FOR bob@b.test" % NODE,
                     "UNSUBSCRIBE %s FOR bob@b.test" % NODE]:
            s.cmd(line)
            r = s.final()[-1]
            assert 400 <= r.code < 500, (line, r.raw)


# -- immp(1) ----------------------------------------------------------------

def immp_argv(d, account):
    pwfile = d.base / ("password-" + account)
    pwfile.write_text(d.users[account] + "\n")
    os.chmod(pwfile, 0o600)
    return [binary("immp"), "-H", "127.0.0.1:%d" % d.port, "-u", account,
            "--password-file", str(pwfile), "--ca", str(d.cert),
            "--servername", d.domain]


def immp(d, account, args, stdin=b"", env=None):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run(immp_argv(d, account) + list(args),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          input=stdin, timeout=60, env=e)


def test_client_subscribe_link_watch_publish(pair, tmp_path):
    a, b = pair.a, pair.b
    r = immp(b, "bob@b.test",
             ["subscribe", "immp://alice/feed@a.test?subscribe"])
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode()
    m = re.match(r"^([0-9a-f-]{36}) Subscribed to: The feed\n$", out)
    assert m, out
    uuid_sub = m.group(1)
    r = immp(b, "bob@b.test", ["subscriptions"])
    assert r.returncode == 0
    assert ("%s alice@a.test alice/feed The feed" % uuid_sub) in \
        r.stdout.decode()

    # immp watch with a stand-in notify-send that records its argv.
    bindir = tmp_path / "bin"
    bindir.mkdir()
    record = tmp_path / "argv"
    fake = bindir / "notify-send"
    fake.write_text("#!/bin/sh\nfor a; do printf '%%s\\n' \"$a\"; done "
                    "> %s\n" % record)
    fake.chmod(0o755)
    env = dict(os.environ)
    env["PATH"] = "%s:%s" % (bindir, env.get("PATH", "/usr/bin:/bin"))
    w = subprocess.Popen(immp_argv(b, "bob@b.test") + ["watch"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env=env)
    try:
        assert w.stdout.readline().startswith(b"immp: watching")
        body = "-x $(touch %s/pwned) `id`; rm -rf /" % tmp_path
        r = immp(a, "alice@a.test", ["publish", "-i", "alice/feed@a.test"],
                 stdin=body.encode())
        assert r.returncode == 0, r.stderr
        assert re.match(rb"^[0-9a-f-]{36} ", r.stdout), r.stdout
        line = w.stdout.readline().decode()
        assert line.startswith("161 "), line
        assert line.rstrip("\n").endswith(body), line
        got = immpclient.wait_for(lambda: record.exists() and
                                  record.read_text(), 10)
        argv = got.split("\n")
        assert argv[:4] == ["--app-name=immp", "--urgency=critical", "--",
                            "alice/feed@a.test"], argv
        assert argv[4] == body
        assert not (tmp_path / "pwned").exists()
    finally:
        w.terminate()
        w.wait(10)
    r = immp(b, "bob@b.test", ["pushes"])
    assert r.returncode == 0 and body in r.stdout.decode()
    r = immp(b, "bob@b.test", ["unsubscribe", uuid_sub])
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode().startswith("alice/feed@a.test Unsubscribed.")


def test_client_push_held_approve_drop(pair):
    a, b = pair.a, pair.b
    body = tagged("client push")
    r = immp(a, "carol@a.test", ["push", "-t", "bob@b.test", "-f",
                                 "carol/client@a.test", "-"], stdin=body)
    assert r.returncode == 0, r.stderr
    line = wait_listed(b, "bob@b.test", body.decode(), "HELD")
    u = line.split()[0]
    r = immp(b, "bob@b.test", ["held"])
    assert body.decode() in r.stdout.decode()
    r = immp(b, "bob@b.test", ["approve", u])
    assert r.returncode == 0 and r.stdout.decode().startswith(u)
    r = immp(b, "bob@b.test", ["drop", u])
    assert r.returncode == 1 and b"481" in r.stderr


HOSTILE_CLIENT = [
    ["subscribe", "http://alice/feed@a.test"],
    ["subscribe", "immp://alice/feed@a.test?subscribe&x"],
    ["subscribe", "immp://alice/feed@a.test;QUIT"],
    ["subscribe", "immp://alice/feed@a.test\r\nQUIT"],
    ["subscribe", "immp://alice/fe ed@a.test"],
    ["subscribe", "immp://alice/f%65ed@a.test"],
    ["subscribe", "immp://alice@a.test"],
    ["subscribe", "immp://" + "a" * 600],
    ["subscribe"], ["subscribe", "a/b@c.d", "e/f@g.h"],
    ["subscriptions", "x"], ["unsubscribe", "not-a-uuid"],
    ["approve", "../../x"], ["drop", "x"], ["pushes", "-i"],
    ["push", "-t", "bob@b.test", "-"], ["push", "-f", NODE, "-"],
    ["push", "-t", "bob@b.test;QUIT", "-f", NODE, "-"],
    ["push", "-t", "bob@b.test", "-f", "alice@a.test", "-"],
    ["publish"], ["publish", "--create", "t", NODE, "x"],
]


def test_client_hostile(pair):
    a = pair.a
    for args in HOSTILE_CLIENT:
        r = immp(a, "alice@a.test", args, stdin=b"x")
        assert r.returncode == 1, (args, r.stdout, r.stderr)
    # Too large a push is refused before anything is sent.
    r = immp(a, "alice@a.test", ["push", "-t", "carol@a.test", "-f", NODE],
             stdin=b"x" * 4097)
    assert r.returncode == 1 and b"1 to 4096" in r.stderr


# -- between domains (Remote state) -----------------------------------------

def remote(pair, at, issuer):
    """A session at daemon at, authenticated with AUTH COOKIE as issuer."""
    s = at.session(servername=at.domain)
    s.greeting()
    s.upgrade()
    s.cmd("AUTH COOKIE %s %s" % (issuer, cookie(pair.secret[issuer],
                                                 at.domain, issuer,
                                                 s.nonce)))
    s.expect(301)
    s.expect(210)
    return s


def test_remote_subscribe_commands(pair):
    with remote(pair, pair.a, "b.test") as s:
        s.cmd("SUBSCRIBE TO alice/weekly@a.test FOR bob@b.test")
        assert s.expect(280).text == "Weekly"
        s.cmd("UNSUBSCRIBE alice/weekly@a.test FOR bob@b.test")
        s.expect(283)
        s.cmd("UNSUBSCRIBE alice/weekly@a.test FOR bob@b.test")
        s.expect(481)
        for line, code in [
                ("SUBSCRIBE TO alice/weekly@a.test FOR eve@c.test", 483),
                ("SUBSCRIBE TO alice/weekly@a.test FOR a.test", 421),
                ("SUBSCRIBE TO alice/weekly@a.test FOR bob+x@b.test", 421),
                ("SUBSCRIBE TO alice/weekly@a.test FOR h/bob@b.test", 421),
                ("SUBSCRIBE TO alice/nothing@a.test FOR bob@b.test", 485),
                ("SUBSCRIBE TO bob/x@b.test FOR bob@b.test", 485),
                ("SUBSCRIBE TO alice@a.test FOR bob@b.test", 421),
                ("SUBSCRIBE TO alice/weekly@a.test", 400),
                ("SUBSCRIBE TO alice/weekly@a.test BY bob@b.test", 400),
                ("SUBSCRIBE LIST", 400),
                ("UNSUBSCRIBE alice/weekly@a.test", 400),
                ("UNSUBSCRIBE x FOR bob@b.test", 421),
                ("PUSH LIST", 402), ("PUSH HELD", 402),
                ("PUBLISH TO " + NODE, 402),
                ("PUBLISH CREATE bob/x@a.test t", 402),
                # A remote domain pushes only as its own nodes, to ours.
                ("PUSH TO alice@a.test FROM alice/x@a.test", 483),
                ("PUSH TO alice@a.test FROM carol/x@c.test", 483),
                ("PUSH TO carol@c.test FROM bob/x@b.test", 422)]:
            s.cmd(line)
            r = s.final()[-1]
            assert r.code == code, (line, r.raw)
        # What is allowed: a push from one of its nodes to our user.
        body = tagged("remote")
        s.cmd("PUSH TO alice@a.test FROM bob/x@b.test")
        s.expect(270)
        s.data("n", body, "text/plain")
        s.expect(271)
        s.expect(272)
        s.cmd("DONE")
        s.expect(273)
    # alice never subscribed to bob/x: held.
    wait_listed(pair.a, "alice@a.test", body.decode(), "HELD")
