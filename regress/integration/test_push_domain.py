"""Domain pushes, uncapped PUBLISH fan-out, PUBLISH LIST and DELETE
(immp(7) PUSH, PUBLISH; draft 3.4.1): two real daemons, a.test (the
publisher) and b.test (bob and carol), relaying to each other.

A PUBLISH reaches another domain as one "PUSH TO <domain> FROM <node>":
the receiving server expands it with its own index of its users'
subscriptions, so no list of addresses leaves the publisher's server."""

import re
import subprocess
import time

import pytest

import immpclient
from harness import binary
from pushlib import secret_pair
from test_push import (immp, inbox, lines, listed, login, publish, push,
                       read_live, remote, subscribe, tagged, wait_listed)
from test_relay import log_has

# A node of 120 local subscribers: more than the 100 recipients of one
# message, so PUBLISH queues two copies.
MANY = 120
MANY_USERS = ["m%03d@a.test" % i for i in range(MANY)]

NODES = [("alice@a.test", "alice/news@a.test", "News from a.test"),
         ("alice@a.test", "alice/digest@a.test", "Digest"),
         ("alice@a.test", "alice/ghost@a.test", "Ghost"),
         ("alice@a.test", "alice/direct@a.test", "Direct"),
         ("alice@a.test", "alice/quiet@a.test", "Nobody reads this"),
         ("alice@a.test", "alice/many@a.test", "Many"),
         ("alice@a.test", "alice/left@a.test", "Some are left out"),
         ("alice@a.test", "alice/mixed@a.test", "Here and there")]


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """a.test (alice, carol, dora, m000..m119) and b.test (bob, carol,
    eve) with domain secrets the tests know (pushlib), and the nodes of
    NODES."""
    p = secret_pair(tmp_path_factory, "pushdom",
                    a_users=["dora@a.test"] + MANY_USERS,
                    b_users=["carol@b.test", "eve@b.test"])
    for account, node, title in NODES:
        with login(p.a, account) as s:
            s.cmd('PUBLISH CREATE %s "%s"' % (node, title))
            s.expect(290)
    yield p
    p.stop()


# -- helpers ----------------------------------------------------------------

def mark(d):
    """The current end of d's log, for log_since."""
    return d.logfile.stat().st_size


def log_since(d, start):
    with open(d.logfile, "rb") as f:
        f.seek(start)
        return f.read().decode(errors="replace")


def wait_log(d, start, pattern, timeout=30):
    """The match of pattern (multi-line) in d's log after start, waiting
    for it; fails with the log tail."""
    rx = re.compile(pattern, re.M)
    m = immpclient.wait_for(lambda: rx.search(log_since(d, start)),
                            timeout)
    assert m, "no %r in the log of %s:\n%s" % (pattern, d.domain,
                                               d.log_tail())
    return m


def live_with(s, needle, timeout=30):
    """The first 160/161 line on session s whose text holds needle."""
    def find():
        return [r for r in read_live(s, 1) if r.code in (160, 161) and
                needle in r.text]
    got = immpclient.wait_for(find, timeout)
    return got[0] if got else None


def everything(d, account):
    """PUSH LIST and PUSH HELD lines of account (finals left out)."""
    return listed(d, account)[:-1] + listed(d, account, "HELD")[:-1]


def relayed_lines(text, node):
    """The PUSH TO lines a.test sent for node, in a log excerpt."""
    return re.findall(r"^network: outbound \d+ > (PUSH TO .* FROM %s.*)$"
                      % re.escape(node), text, re.M)


def publish_list(s):
    """PUBLISH LIST on s: every line up to the first that is not a 291
    line (the 293, or an error).  The lines are read one by one rather
    than as one reply, so that test_publish_list_lines can tell how the
    291 lines are sent."""
    s.cmd("PUBLISH LIST")
    got = []
    while not got or got[-1].code == 291:
        got.append(s.reply())
    return got


# -- domain pushes ----------------------------------------------------------

def test_publish_relays_one_domain_push(pair):
    a, b = pair.a, pair.b
    node = "alice/news@a.test"
    r = immp(b, "bob@b.test",
             ["subscribe", "immp://%s?subscribe" % node])
    assert r.returncode == 0, r.stderr
    subscribe(b, "carol@b.test", node)
    for who in ("bob", "carol"):
        assert log_has(a, r"pubsub subscribe node=alice/news@a\.test "
                       r"subscriber=%s@b\.test" % who)
    before = {u: inbox(b, u) for u in ("bob", "carol")}
    body = tagged("fan-out")
    with login(b, "bob@b.test") as sb, login(b, "carol@b.test") as sc:
        start = mark(a)
        u = publish(a, "alice@a.test", node, body)
        assert u
        got = {}
        for who, s in (("bob", sb), ("carol", sc)):
            got[who] = live_with(s, body.decode())
            assert got[who], "%s not pushed live:\n%s" % (who, b.log_tail())
            assert got[who].code == 160
            assert got[who].text.split()[1] == node
    # What left a.test: one line for the whole domain, no address.
    wait_log(a, start, r"^queue: delivery uuid=%s rcpt=.*result=ok" %
             re.escape(u))
    sent = log_since(a, start)
    assert re.search(r"^queue: msg accepted uuid=%s sender=alice@a\.test "
                     r"size=\d+ rcpts=1$" % re.escape(u), sent, re.M), sent
    assert relayed_lines(sent, node) == ["PUSH TO b.test FROM " + node], \
        sent
    assert "bob@b.test" not in sent and "carol@b.test" not in sent, sent
    for who in ("bob", "carol"):
        ub = got[who].text.split()[0]
        line = wait_listed(b, who + "@b.test", ub)
        assert body.decode() in line
        assert (b.maildir(who) / "immp-push" / ub).is_file()
        assert not [t for t in listed(b, who + "@b.test", "HELD")
                    if body.decode() in t]
        assert inbox(b, who) == before[who]


def test_publish_local_and_domain(pair):
    """Local subscribers by name, the other domain as one recipient."""
    a, b = pair.a, pair.b
    node = "alice/mixed@a.test"
    for d, who in ((b, "bob@b.test"), (b, "carol@b.test"),
                   (a, "carol@a.test"), (a, "dora@a.test")):
        subscribe(d, who, node)
    body = tagged("mixed")
    start = mark(a)
    u = publish(a, "alice@a.test", node, body)
    assert u
    for d, who in ((b, "bob@b.test"), (b, "carol@b.test"),
                   (a, "carol@a.test"), (a, "dora@a.test")):
        wait_listed(d, who, body.decode())
    sent = log_since(a, start)
    assert re.search(r"^queue: msg accepted uuid=%s sender=alice@a\.test "
                     r"size=\d+ rcpts=3$" % re.escape(u), sent, re.M), sent
    assert relayed_lines(sent, node) == ["PUSH TO b.test FROM " + node]
    assert "bob@b.test" not in sent and "carol@b.test" not in sent
    assert not [t for t in everything(a, "alice@a.test")
                if body.decode() in t]


def test_unsubscribed_user_is_not_pushed(pair):
    a, b = pair.a, pair.b
    node = "alice/digest@a.test"
    subscribe(b, "bob@b.test", node)
    uuid_sub = subscribe(b, "carol@b.test", node)
    with login(b, "carol@b.test") as s:
        s.cmd("UNSUBSCRIBE " + uuid_sub)
        s.expect(283)
    assert log_has(a, r"pubsub unsubscribe node=alice/digest@a\.test "
                   r"subscriber=carol@b\.test")
    before = everything(b, "carol@b.test")
    body = tagged("bob only")
    start = mark(a)
    with login(b, "carol@b.test") as sc:
        assert publish(a, "alice@a.test", node, body)
        wait_listed(b, "bob@b.test", body.decode())
        assert not [r for r in read_live(sc, 2) if r.code in (160, 161)]
    wait_log(a, start, r"^network: outbound \d+ > PUSH TO b\.test FROM "
             r"alice/digest@a\.test$")
    assert everything(b, "carol@b.test") == before


def test_subscriber_unknown_at_the_receiver(pair):
    """A subscription a.test holds that b.test never made (AUTH COOKIE
    as b.test; the same as an unsubscribe notice given up after expire,
    test_push_notice.py): the receiver answers 489 and a.test forgets
    it."""
    a, b = pair.a, pair.b
    node = "alice/ghost@a.test"
    with remote(pair, a, "b.test") as s:
        s.cmd("SUBSCRIBE TO %s FOR dave@b.test" % node)
        assert s.expect(280).text == "Ghost"
    # Asked directly, in Remote state, b.test gives the reason.
    with remote(pair, b, "a.test") as s:
        s.cmd("PUSH TO b.test FROM " + node)
        r = s.final()[-1]
        assert r.code == 489, r.raw
        assert r.text == "No subscriber of %s at b.test." % node, r.raw
    start = mark(a)
    assert publish(a, "alice@a.test", node, tagged("ghost"))
    m = wait_log(a, start, r"pubsub forget node=alice/ghost@a\.test "
                 r"domain=b\.test subscribers=(\d+)")
    assert m.group(1) == "1"
    assert publish(a, "alice@a.test", node, tagged("none")) is None


def test_receiver_leaves_out_refused_subscribers(pair):
    """The receiver's expansion leaves out, as PUBLISH TO does, a
    subscriber who blocks the node's owner (carol) and an account that
    no longer exists (eve); the others still get the push."""
    a, b = pair.a, pair.b
    node = "alice/left@a.test"
    for who in ("bob@b.test", "carol@b.test", "eve@b.test"):
        subscribe(b, who, node)
    with login(b, "carol@b.test") as s:
        s.cmd("SET GLOBAL BLOCK+=alice@a.test")
        assert s.final()[-1].code < 300
    try:
        r = subprocess.run([binary("immpctl"), "-f", str(b.conf), "user",
                            "del", "eve@b.test"], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=30)
        assert r.returncode == 0, r.stdout
        before = everything(b, "carol@b.test")
        start = mark(b)
        body = tagged("left out")
        assert publish(a, "alice@a.test", node, body)
        wait_listed(b, "bob@b.test", body.decode())
        wait_log(b, start, r"rcpt=carol@b\.test skipped: the recipient "
                 r"blocks the sender")
        wait_log(b, start, r"rcpt=eve@b\.test skipped")
        text = log_since(b, start)
        for who in ("carol", "eve"):
            assert not re.search(r"deliver: push uuid=\S+ rcpt=%s@b\.test "
                                 % who, text), text
        assert everything(b, "carol@b.test") == before
    finally:
        with login(b, "carol@b.test") as s:
            s.cmd("SET GLOBAL BLOCK-=alice@a.test")
            assert s.final()[-1].code < 300


def test_direct_domain_push(pair):
    a, b = pair.a, pair.b
    node = "alice/direct@a.test"
    subscribe(b, "bob@b.test", node)
    subscribe(a, "carol@a.test", node)
    body = tagged("direct")
    with login(b, "bob@b.test") as s:
        start = mark(a)
        push(a, "alice@a.test", ["b.test"], node, body, " +IMPORTANT")
        got = live_with(s, body.decode())
        assert got, b.log_tail()
        assert got.code == 161 and got.text.split()[1] == node
    assert relayed_lines(log_since(a, start), node) == [
        "PUSH TO b.test +IMPORTANT FROM " + node] or relayed_lines(
        log_since(a, start), node) == [
        "PUSH TO b.test FROM %s +IMPORTANT" % node]
    # carol@b.test did not subscribe to the node: not pushed.
    assert not [t for t in everything(b, "carol@b.test")
                if body.decode() in t]
    # Our own domain: expanded at once to our subscribers (carol), not
    # to everyone (alice, dora).
    body = tagged("local domain")
    push(a, "alice@a.test", ["a.test"], node, body)
    wait_listed(a, "carol@a.test", body.decode())
    for who in ("alice@a.test", "dora@a.test"):
        assert not [t for t in everything(a, who) if body.decode() in t]
    with login(a, "alice@a.test") as s:
        s.cmd("PUSH TO a.test FROM alice/quiet@a.test")
        r = s.final()[-1]
        assert r.code == 292, r.raw
        assert r.text == "No subscribers.", r.raw
        # Only the owner, only its own nodes.
        s.cmd("PUSH TO b.test FROM carol/x@a.test")
        s.expect(483)
        # A domain push names one domain and nothing else.
        for line in ["PUSH TO b.test bob@b.test FROM " + node,
                     "PUSH TO bob@b.test b.test FROM " + node,
                     "PUSH TO b.test a.test FROM " + node,
                     "PUSH TO b.test b.test FROM " + node]:
            s.cmd(line)
            r = s.final()[-1]
            assert r.code == 421, (line, r.raw)
            assert r.text == ("Bad PUSH argument: a domain push names "
                              "one domain."), (line, r.raw)


def test_remote_domain_push(pair):
    b = pair.b
    node = "alice/news@a.test"
    for who in ("bob@b.test", "carol@b.test"):
        with login(b, who) as s:
            subs = [r.text for r in lines(s, "SUBSCRIBE LIST")]
        if not [t for t in subs if " alice/news " in t]:
            subscribe(b, who, node)
    body = tagged("remote domain")
    with remote(pair, b, "a.test") as s:
        for line, code in [
                # Only our own domain.
                ("PUSH TO c.test FROM " + node, 422),
                ("PUSH TO a.test FROM " + node, 422),
                # Only nodes of the authenticated domain.
                ("PUSH TO b.test FROM bob/x@b.test", 483),
                ("PUSH TO b.test FROM carol/x@c.test", 483),
                ("PUSH TO b.test bob@b.test FROM " + node, 421),
                ("PUSH TO b.test c.test FROM " + node, 421)]:
            s.cmd(line)
            r = s.final()[-1]
            assert r.code == code, (line, r.raw)
            if code == 422:
                assert r.text == "%s: relaying denied." % line.split()[2]
        s.cmd("PUSH TO b.test FROM " + node)
        s.expect(270)
        s.data("n", body, "text/plain")
        s.expect(271)
        s.expect(272)
        s.cmd("DONE")
        s.expect(273)
    for who in ("bob", "carol"):
        wait_listed(b, who + "@b.test", body.decode())


DOMAIN_HOSTILE = ["b..test", "b.test.", ".b.test", "-b.test", "b-.test",
                  "@b.test", "b.test@", "b_x.test", "b.te st",
                  "b.t\xe9st", "x" * 64 + ".test",
                  ".".join(["a" * 60] * 5), "b.test/x", "b.test?x"]


def test_domain_push_hostile(pair):
    a = pair.a
    with login(a, "alice@a.test") as s:
        for word in DOMAIN_HOSTILE:
            line = "PUSH TO %s FROM alice/direct@a.test" % word
            s.cmd(line)
            r = s.final()[-1]
            assert 400 <= r.code < 500, (line, r.raw)
    # Still serving.
    with login(a, "alice@a.test") as s:
        assert publish_list(s)[-1].code == 293


# -- PUBLISH LIST / DELETE ---------------------------------------------------

def test_publish_list_and_delete(pair):
    a, b = pair.a, pair.b
    with login(a, "dora@a.test") as s:
        r = publish_list(s)
        assert [x.code for x in r] == [293] and r[0].text == "0 nodes."
        # Created out of order: the list is sorted by node.
        s.cmd('PUBLISH CREATE dora/zeta@a.test "Last one"')
        s.expect(290)
        s.cmd('PUBLISH CREATE dora/alpha@a.test "First one"')
        s.expect(290)
    subscribe(b, "bob@b.test", "dora/zeta@a.test")
    subscribe(a, "carol@a.test", "dora/zeta@a.test")
    subscribe(a, "alice@a.test", "dora/alpha@a.test")
    with login(a, "dora@a.test") as s:
        got = [(x.code, x.text) for x in publish_list(s)]
        assert got == [(291, "dora/alpha@a.test 1 First one"),
                       (291, "dora/zeta@a.test 2 Last one"),
                       (293, "2 nodes.")], got
        s.cmd("PUBLISH DELETE alice/news@a.test")
        s.expect(483)
        s.cmd("PUBLISH DELETE dora/nothing@a.test")
        s.expect(485)
        for line in ("PUBLISH DELETE", "PUBLISH DELETE dora@a.test",
                     "PUBLISH DELETE dora/zeta@a.test x",
                     "PUBLISH LIST x", "PUBLISH DELETE dora/../x@a.test"):
            s.cmd(line)
            r = s.final()[-1]
            assert 400 <= r.code < 500, (line, r.raw)
        s.cmd("PUBLISH DELETE dora/zeta@a.test")
        r = s.expect(294)
        assert r.text == "dora/zeta@a.test deleted."
        got = [(x.code, x.text) for x in publish_list(s)]
        assert got[0] == (291, "dora/alpha@a.test 1 First one"), got
        assert len(got) == 2 and got[1][0] == 293 and \
            got[1][1].startswith("1 node"), got
        s.cmd("PUBLISH TO dora/zeta@a.test")
        s.expect(485)
        s.cmd("PUBLISH DELETE dora/zeta@a.test")
        s.expect(485)
    # Not alice's, so alice's list does not show dora's nodes.
    with login(a, "alice@a.test") as s:
        got = [x.text for x in publish_list(s)]
        assert not [t for t in got if "dora/" in t], got
        assert got[-1] == "%d nodes." % len(NODES), got
    # The subscribers were not told.
    with login(b, "bob@b.test") as s:
        assert [x for x in lines(s, "SUBSCRIBE LIST")
                if "dora/zeta" in x.text]
    # The subscriber list went with the node.
    with login(a, "dora@a.test") as s:
        s.cmd('PUBLISH CREATE dora/zeta@a.test "Again"')
        s.expect(290)
        got = [x.text for x in publish_list(s)]
        assert "dora/zeta@a.test 0 Again" in got, got
        assert publish(a, "dora@a.test", "dora/zeta@a.test",
                       tagged("x")) is None


def test_publish_list_lines(pair):
    """immp(7): PUBLISH LIST is one multi-line reply, "291-" lines and
    the final 293, like every other list (SUBSCRIBE LIST: 281-, 282)."""
    with login(pair.a, "alice@a.test") as s:
        got = publish_list(s)
        assert len(got) == len(NODES) + 1, got
        assert [r.raw for r in got if r.code == 291 and not r.more] == [], \
            "291 lines sent as final replies, not as 291- lines"
        assert not got[-1].more and got[-1].code == 293
        # The session is still in step: the next command gets its answer.
        s.cmd("SUBSCRIBE LIST")
        assert s.final()[-1].code == 282


def test_client_nodes_and_delete(pair):
    a = pair.a
    with login(a, "dora@a.test") as s:
        s.cmd('PUBLISH CREATE dora/client@a.test "By the client"')
        s.expect(290)
    r = immp(a, "dora@a.test", ["nodes"])
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode().splitlines()
    assert "dora/client@a.test\t0\tBy the client" in out, out
    assert all(len(x.split("\t")) == 3 for x in out), out
    r = immp(a, "dora@a.test", ["publish", "--delete", "dora/client@a.test"])
    assert r.returncode == 0, r.stderr
    r = immp(a, "dora@a.test", ["nodes"])
    assert r.returncode == 0, r.stderr
    assert "dora/client@a.test" not in r.stdout.decode()
    r = immp(a, "dora@a.test", ["publish", "--delete", "dora/client@a.test"])
    assert r.returncode == 1 and b"485" in r.stderr, (r.stdout, r.stderr)
    r = immp(a, "dora@a.test", ["publish", "--delete", "alice/news@a.test"])
    assert r.returncode == 1 and b"483" in r.stderr, (r.stdout, r.stderr)


def test_client_domain_push(pair):
    a, b = pair.a, pair.b
    node = "alice/direct@a.test"    # bob subscribed (above)
    body = tagged("client domain push")
    r = immp(a, "alice@a.test", ["push", "-t", "b.test", "-f", node, "-"],
             stdin=body)
    assert r.returncode == 0, r.stderr
    wait_listed(b, "bob@b.test", body.decode())
    # A domain is the only recipient.
    r = immp(a, "alice@a.test", ["push", "-t", "b.test", "-t", "bob@b.test",
                                 "-f", node, "-"], stdin=b"x")
    assert r.returncode == 1, (r.stdout, r.stderr)
    r = immp(a, "alice@a.test", ["push", "-t", "b..test", "-f", node, "-"],
             stdin=b"x")
    assert r.returncode == 1, (r.stdout, r.stderr)


# -- no cap on the fan-out ---------------------------------------------------

def test_publish_to_more_than_100(pair):
    a = pair.a
    node = "alice/many@a.test"
    t0 = time.monotonic()
    for account in MANY_USERS:
        subscribe(a, account, node)
    with login(a, "alice@a.test") as s:
        got = [x.text for x in publish_list(s)]
        assert "%s %d Many" % (node, MANY) in got, got
    body = tagged("to many")
    start = mark(a)
    u = publish(a, "alice@a.test", node, body)
    assert u
    # Two copies: 100 recipients and 20, the 273 naming the first.
    wait_log(a, start, r"^queue: msg accepted uuid=%s sender=\S+ size=\d+ "
             r"rcpts=100$" % re.escape(u))
    m = wait_log(a, start, r"^queue: msg accepted uuid=(\S+) sender=\S+ "
                 r"size=\d+ rcpts=%d$" % (MANY - 100))
    assert m.group(1) != u
    text = log_since(a, start)
    assert len(re.findall(r"^queue: msg accepted uuid=", text, re.M)) == 2
    # And the network process logs each copy.
    copies = re.findall(r"^network: session message id=\S+ uuid=(\S+) "
                        r"rcpts=(\d+) ", text, re.M)
    assert copies == [(u, "100"), (m.group(1), "20")], copies
    # Every subscriber once.
    def stored():
        return re.findall(r"^deliver: push uuid=\S+ rcpt=(m\d{3}@a\.test) "
                          r"publisher=alice/many@a\.test stored$",
                          log_since(a, start), re.M)
    assert immpclient.wait_for(lambda: len(stored()) >= MANY, 60), \
        a.log_tail()
    time.sleep(1)
    got = stored()
    assert sorted(got) == sorted(MANY_USERS), len(got)
    for account in MANY_USERS:
        files = [f for f in (a.maildir(account.split("@")[0]) /
                             "immp-push").iterdir()
                 if not f.name.startswith(".")]
        assert len(files) == 1, (account, files)
        assert body in files[0].read_bytes()
    for account in MANY_USERS[::12]:
        got = [t for t in listed(a, account)[:-1] if body.decode() in t]
        assert len(got) == 1, (account, got)
    assert time.monotonic() - t0 < 60
