"""Blocking and rate limits (draft 3.10, immp(7) BLOCKING): server-wide
block tables built with immpctl makemap, per-user block lists (SET
GLOBAL BLOCK), connection and message limits per peer address; real
daemons over TLS.  Peers are told apart by their loopback source
address (127.0.0.0/8)."""

import subprocess

import pytest

from harness import Daemon, binary, random_password


def makemap(d, kind, name, text):
    src = d.base / (name + ".txt")
    src.write_text(text)
    r = subprocess.run([binary("immpctl"), "makemap", "-t", kind, str(src),
                        str(d.base / (name + ".db"))],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert r.returncode == 0, r.stdout


@pytest.fixture
def blocker(tmp_path, certs):
    users = {a: random_password() for a in (
        "alice@demo.test", "bob@demo.test", "dave@demo.test",
        "mallory@demo.test", "carol@other.test")}
    extra = "\n".join([
        'domain "other.test"',
        'table nets db:"%s/nets.db"' % tmp_path,
        'table doms db:"%s/doms.db"' % tmp_path,
        'table addrs db:"%s/addrs.db"' % tmp_path,
        "block networks nets",
        "block domains doms",
        "block addresses addrs",
        "limit connections 4 per 1m",
        "limit messages 2 per 1m",
        "limit loopback yes",
    ])
    d = Daemon(tmp_path, certs["cert"], certs["key"], users=users,
               extra_conf=extra)
    makemap(d, "plain", "nets",
            "127.0.0.2/32 one host\n127.0.0.16/28 a small net\n")
    makemap(d, "block", "doms", "other.test\n")
    makemap(d, "block", "addrs", "mallory@demo.test\n")
    d.start()
    yield d
    d.stop()


def greet(d, source):
    s = d.session(source=source)
    return s, s.final()


def send(d, s, user, body):
    """Delivers body to user@demo.test and waits until it is stored."""
    uuid = s.deliver([user + "@demo.test"], [("a.txt", "text/plain", body,
                                              False)])
    d.wait_message(user, uuid)


def login_from(d, account, source):
    s = d.session(source=source)
    s.login(account, d.users[account])
    return s


def test_blocked_networks_refused(blocker):
    for src in ("127.0.0.2", "127.0.0.20", "127.0.0.31"):
        s, lines = greet(blocker, src)
        with s:
            assert [r.code for r in lines] == [405], (src, lines)
            assert s.at_eof()
    # neighbours and everyone else are served
    for src in ("127.0.0.3", "127.0.0.15", "127.0.0.32"):
        s, lines = greet(blocker, src)
        with s:
            assert lines[-1].code == 100, (src, lines)
            assert s.final()[-1].code == 101
    log = blocker.logfile.read_text()
    assert "event=blocked kind=network addr=127.0.0.20 table=nets " \
        "key=127.0.0.16/28" in log
    blocker.assert_healthy()


def test_blocked_sender_address_and_domain(blocker):
    with login_from(blocker, "mallory@demo.test", "127.0.0.40") as s:
        s.cmd("DELIVER TO bob@demo.test")
        r = s.final()[-1]
        assert r.code == 423 and r.text.startswith("bob@demo.test:"), r.raw
    with login_from(blocker, "carol@other.test", "127.0.0.41") as s:
        s.cmd("DELIVER TO alice@demo.test")
        assert s.final()[-1].code == 423
    with login_from(blocker, "dave@demo.test", "127.0.0.42") as s:
        send(blocker, s, "bob", b"hi\n")
    log = blocker.logfile.read_text()
    assert "event=blocked kind=address sender=mallory@demo.test " \
        "rcpt=bob@demo.test" in log
    assert "event=blocked kind=domain sender=carol@other.test" in log


def test_per_user_block(blocker):
    with login_from(blocker, "bob@demo.test", "127.0.0.50") as s:
        s.cmd("SET GLOBAL BLOCK+=alice@demo.test")
        s.expect(230)
    with login_from(blocker, "alice@demo.test", "127.0.0.51") as s:
        s.cmd("DELIVER TO dave@demo.test bob@demo.test")
        r = s.final()[-1]
        assert r.code == 424, r.raw
        assert r.text.startswith("bob@demo.test:"), r.raw
        # others still get alice's mail
        send(blocker, s, "dave", b"x\n")
    # dave is not blocked by bob
    with login_from(blocker, "dave@demo.test", "127.0.0.52") as s:
        send(blocker, s, "bob", b"y\n")
    # a domain entry covers the domain and its subdomains
    with login_from(blocker, "bob@demo.test", "127.0.0.53") as s:
        s.cmd("SET GLOBAL BLOCK-=alice@demo.test")
        s.expect(230)
        s.cmd("SET GLOBAL BLOCK+=test")
        s.expect(230)
    with login_from(blocker, "dave@demo.test", "127.0.0.54") as s:
        s.cmd("DELIVER TO bob@demo.test")
        assert s.final()[-1].code == 424
    with login_from(blocker, "bob@demo.test", "127.0.0.55") as s:
        s.cmd("SET GLOBAL BLOCK-=test")
        s.expect(230)
    with login_from(blocker, "alice@demo.test", "127.0.0.56") as s:
        send(blocker, s, "bob", b"z\n")
    assert "event=blocked kind=user sender=alice@demo.test " \
        "rcpt=bob@demo.test" in blocker.logfile.read_text()


def test_connection_rate_limit(blocker):
    src = "127.0.0.60"
    for _ in range(4):
        s, lines = greet(blocker, src)
        s.close()
        assert lines[-1].code == 100
    s, lines = greet(blocker, src)
    with s:
        assert [r.code for r in lines] == [750], lines
        assert s.at_eof()
    # another address is unaffected
    s, lines = greet(blocker, "127.0.0.61")
    with s:
        assert lines[-1].code == 100
    assert "event=ratelimit kind=connections addr=127.0.0.60 limit=4 " \
        "per=60s" in blocker.logfile.read_text()


def test_message_rate_limit(blocker):
    with login_from(blocker, "alice@demo.test", "127.0.0.70") as s:
        for i in range(2):
            send(blocker, s, "dave", b"%d\n" % i)
        s.cmd("DELIVER TO dave@demo.test")
        r = s.final()[-1]
        assert r.code == 751, r.raw
        s.cmd("NOOP")                           # the session goes on
        s.expect(200)
    with login_from(blocker, "alice@demo.test", "127.0.0.71") as s:
        send(blocker, s, "dave", b"ok\n")
    assert "event=ratelimit kind=messages" in blocker.logfile.read_text()


def test_bad_config_refused(tmp_path, certs):
    for bad in ("block nets nosuch", "block networks nosuch",
                "limit connections 5 each 1m", "limit fish 5 per 1m",
                "limit messages -1 per 1m", "limit messages 5 per 0s",
                "limit loopback maybe", "limit frob yes",
                'settings ""'):
        d = Daemon(tmp_path / "c", certs["cert"], certs["key"],
                   extra_conf=bad)
        r = subprocess.run([binary("immpd"), "-n", "-f", str(d.conf)],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        assert r.returncode != 0, (bad, r.stdout)
    good = "\n".join(['table t db:"%s/t.db"' % tmp_path,
                      "block networks t", "block domains t",
                      "limit connections 0 per 1m",
                      "limit domain-messages 10 per 1h",
                      'settings "%s/s/settings.db"' % tmp_path])
    d = Daemon(tmp_path / "g", certs["cert"], certs["key"], extra_conf=good)
    r = subprocess.run([binary("immpd"), "-n", "-f", str(d.conf)],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert r.returncode == 0, r.stdout


def test_loopback_exempt_by_default(tmp_path, certs):
    d = Daemon(tmp_path, certs["cert"], certs["key"],
               extra_conf="limit connections 2 per 1m")
    d.start()
    try:
        for _ in range(6):
            s, lines = greet(d, "127.0.0.90")
            s.close()
            assert lines[-1].code == 100, lines
        assert "event=ratelimit" not in d.logfile.read_text()
    finally:
        d.stop()
