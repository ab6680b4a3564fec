"""Unsubscribe notices between domains are kept and sent again until the
publisher's domain has them (immp(7) SUBSCRIBE; ipc_push.h
PUBSUB_NOTICE): two real daemons, a.test (publisher) and b.test (bob)."""

import re

import pytest

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
    p = secret_pair(tmp_path_factory, "notice", b_users=("dan@b.test",),
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
