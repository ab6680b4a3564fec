"""What publish/subscribe keeps across failures between domains: unsubscribe
notices kept and sent again until the publisher's domain has them (immp(7)
SUBSCRIBE; ipc_push.h PUBSUB_NOTICE), and a queued domain push that
outlives a configuration change.  Two real daemons, a.test (publisher)
and b.test (bob)."""

import re
import subprocess
import time

import pytest

from harness import binary
from pushlib import secret_pair
from test_relay import log_has

NODE = "alice/news@a.test"


def login(d, account):
    s = d.session(servername=d.domain)
    s.login(account, d.users[account])
    return s


def subscribe(p, account):
    with login(p.b, account) as s:
        s.cmd("SUBSCRIBE TO " + NODE)
        s.expect(380)
        s.expect(280)
    assert log_has(p.a, r"pubsub subscribe node=%s subscriber=%s"
                   % (re.escape(NODE), re.escape(account)))


def unsubscribe(p, account):
    with login(p.b, account) as s:
        s.cmd("UNSUBSCRIBE " + NODE)
        r = s.expect(283)
        assert NODE in r.text


def publish_code(p):
    """The reply to PUBLISH TO at a.test: 270 (then abandoned) or 292."""
    with login(p.a, "alice@a.test") as s:
        s.cmd("PUBLISH TO " + NODE)
        return s.final()[-1].code


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    # b.test gives a notice up after 30 s (expire), a.test never does.
    p = secret_pair(tmp_path_factory, "notice",
                    b_users=("dan@b.test", "fay@b.test", "gus@b.test"),
                    b_extra="expire 30s\n")
    with login(p.a, "alice@a.test") as s:
        s.cmd('PUBLISH CREATE %s "News"' % NODE)
        s.expect(290)
    yield p
    p.stop()


def test_notice_sent_again_after_the_publisher_comes_back(pair):
    p = pair
    subscribe(p, "bob@b.test")
    assert publish_code(p) == 270
    p.a.stop()
    unsubscribe(p, "bob@b.test")
    # Not delivered now: kept and retried.
    assert log_has(p.b, r"pubsub notice node=%s account=bob@b.test queued"
                   % re.escape(NODE))
    assert log_has(p.b, r"pubsub notice node=%s account=bob@b.test: retry "
                   r"in \d+s" % re.escape(NODE)), p.b.log_tail()
    assert not re.search(r"pubsub unsubscribe node=%s subscriber=bob@b.test"
                         % re.escape(NODE),
                         p.a.logfile.read_text(errors="replace"))
    p.a.start()
    assert log_has(p.a, r"pubsub unsubscribe node=%s subscriber=bob@b.test"
                   % re.escape(NODE), timeout=40), p.b.log_tail()
    assert log_has(p.b, r"pubsub notice node=%s account=bob@b.test "
                   r"delivered" % re.escape(NODE))
    # The publisher's list is empty again: nothing to send.
    assert publish_code(p) == 292


def test_notice_given_up_after_expire(pair):
    p = pair
    subscribe(p, "dan@b.test")
    p.a.stop()
    try:
        unsubscribe(p, "dan@b.test")
        assert log_has(p.b, r"pubsub notice node=%s account=dan@b.test: "
                       r"not delivered after \d+ tries, given up"
                       % re.escape(NODE), timeout=60), p.b.log_tail()
    finally:
        p.a.start()
    # Given up for good: a.test still lists dan (a later domain push to
    # b.test is answered 489 and cleans it, test_push_domain.py).
    with login(p.a, "alice@a.test") as s:
        s.cmd("PUBLISH LIST")
        got = [r.text for r in s.final()]
    assert any(t.startswith(NODE + " 1 ") for t in got), got


def test_subscribing_again_cancels_the_notice(pair):
    """gus unsubscribes while a.test is down, then subscribes again once
    it is back: whichever comes first at b.test (the notice's retry or
    the new SUBSCRIBE), a.test ends up with gus subscribed and no later
    notice takes him off."""
    p = pair
    subscribe(p, "gus@b.test")
    p.a.stop()
    try:
        unsubscribe(p, "gus@b.test")
        assert log_has(p.b, r"pubsub notice node=%s account=gus@b\.test: "
                       r"retry in" % re.escape(NODE)), p.b.log_tail()
    finally:
        p.a.start()
    start = len(p.a.logfile.read_text(errors="replace"))
    subscribe(p, "gus@b.test")
    # Past the retry schedule and a tick of b.test's lookup process.
    time.sleep(14)
    text = p.a.logfile.read_text(errors="replace")[start:]
    last_sub = text.rfind("pubsub subscribe node=%s subscriber=gus@b.test"
                          % NODE)
    assert last_sub != -1, text
    assert "pubsub unsubscribe node=%s subscriber=gus@b.test" % NODE \
        not in text[last_sub:], text
    with login(p.a, "alice@a.test") as s:
        s.cmd("PUBLISH LIST")
        got = [r.text for r in s.final()]
    assert any(t.startswith(NODE + " ") and int(t.split()[1]) >= 1
               for t in got), got


def test_every_subscriber_refused_at_the_receiver(pair):
    """The only subscriber b.test has is an account deleted since: the
    expansion leaves it out and b.test answers 489 (not 292), so a.test
    forgets its subscribers there."""
    p = pair
    node = "alice/gone@a.test"
    with login(p.a, "alice@a.test") as s:
        s.cmd('PUBLISH CREATE %s "Gone"' % node)
        s.expect(290)
    with login(p.b, "fay@b.test") as s:
        s.cmd("SUBSCRIBE TO " + node)
        s.expect(380)
        s.expect(280)
    r = subprocess.run([binary("immpctl"), "-f", str(p.b.conf), "user",
                        "del", "fay@b.test"], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=30)
    assert r.returncode == 0, r.stdout
    with login(p.a, "alice@a.test") as s:
        s.cmd("PUBLISH TO " + node)
        s.expect(270)
        s.data("event", b"for nobody left", "text/plain")
        assert s.final()[-1].code == 271
        s.expect(272)
        s.cmd("DONE")
        s.expect(273)
    assert log_has(p.b, r"rcpt=fay@b\.test skipped"), p.b.log_tail()
    assert log_has(p.a, r"outbound \d+ < 489 No subscriber of "
                   r"alice/gone@a\.test at b\.test\."), p.a.log_tail()
    assert log_has(p.a, r"pubsub forget node=alice/gone@a\.test "
                   r"domain=b\.test subscribers=1"), p.a.log_tail()
    with login(p.a, "alice@a.test") as s:
        s.cmd("PUBLISH TO " + node)
        assert s.final()[-1].code == 292


def test_queued_domain_push_for_a_domain_now_ours(pair):
    """A push queued for b.test's subscribers ("@b.test") while b.test is
    down, then a.test made to serve b.test itself: the queue fails that
    recipient with a log line instead of handing "@b.test" to the
    delivery process (which would refuse it as malformed)."""
    p = pair
    subscribe(p, "bob@b.test")
    p.b.stop()
    with login(p.a, "alice@a.test") as s:
        s.cmd("PUSH TO b.test FROM " + NODE)
        s.expect(270)
        s.data("note", b"queued while b.test is down", "text/plain")
        assert s.final()[-1].code == 271
        s.expect(272)
        s.cmd("DONE")
        uuid = s.expect(273).text.split()[0]
    assert log_has(p.a, r"delivery uuid=%s rcpt=@b\.test result=tempfail"
                   % uuid), p.a.log_tail()
    p.a.stop()
    conf = p.a.conf.read_text()
    p.a.conf.write_text(conf + 'domain "b.test"\n')
    try:
        p.a.start()
        assert log_has(p.a, r"delivery uuid=%s rcpt=@b\.test "
                       r"result=permfail .*the domain is ours now" % uuid), \
            p.a.log_tail()
        assert log_has(p.a, r"push uuid=%s rcpt=@b\.test failed" % uuid)
        assert p.a.proc.poll() is None
        # Still serving: a new push from alice is taken.
        with login(p.a, "alice@a.test") as s:
            s.cmd("PUSH LIST")
            assert s.final()[-1].code == 263
    finally:
        p.a.stop()
        p.a.conf.write_text(conf)
        p.a.start()
        p.b.start()
