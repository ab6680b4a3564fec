"""Configuration reload (immpd.conf(5) RELOAD): SIGHUP and immpctl
reload under load; sessions in progress keep their settings, new ones
see the new ones; a broken configuration is refused and the daemon
keeps serving."""

import os
import signal
import subprocess
import threading
import time

import pytest

import immpclient
from harness import binary, random_password


def ctl(d, *args):
    return subprocess.run([binary("immpctl"), "-f", str(d.conf)] +
                          list(args), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=30, text=True)


def set_conf(d, **settings):
    """Rewrites d's configuration with the given statements replaced or
    added (name -> whole line, None removes)."""
    lines = [l for l in d.conf.read_text().splitlines()
             if l.split(" ", 1)[0] not in settings]
    lines += [v for v in settings.values() if v is not None]
    tmp = d.conf.with_suffix(".new")
    tmp.write_text("\n".join(lines) + "\n")
    os.replace(tmp, d.conf)         # a reload never sees half a file


def part(s, payload, pid="q1"):
    """One DATA part; returns the final reply of that pipeline."""
    s.data("body.txt", payload, "text/plain", True, pid=pid)
    while True:
        r = s.reply()
        if r.code == 271:
            continue
        return r


def test_reload_sessions_keep_old_settings(fresh_daemon):
    d = fresh_daemon(extra_conf="max-message-size 1M")
    big = b"y" * 200000
    old = d.login("alice@demo.test")
    old.cmd("DELIVER TO bob@demo.test")
    old.expect(270)

    set_conf(d, **{"max-message-size": "max-message-size 100K"})
    r = ctl(d, "reload")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "reloaded\n"

    # The message under way keeps the 1M limit.
    assert part(old, big).code == 272
    old.cmd("DONE")
    uuid = old.expect(273).text.split()[0]
    old.close()
    d.wait_message("bob", uuid)

    # A new session gets the new limit.
    with d.login("alice@demo.test") as s:
        s.cmd("DELIVER TO bob@demo.test")
        s.expect(270)
        r = part(s, big)
        assert r.code == 432, r.raw
    assert "reload: configuration reloaded" in d.log_tail(400)


def test_reload_broken_config_refused(fresh_daemon):
    d = fresh_daemon(extra_conf="max-message-size 1M")
    good = d.conf.read_text()
    d.conf.write_text(good + "this is not a statement\nmax-sessions x\n")
    # immpctl reads the file for control-socket: it shows the errors
    r = ctl(d, "reload")
    assert r.returncode == 1
    assert ":%d: syntax error" % (len(good.splitlines()) + 1) in r.stderr
    # the daemon, asked through -s, refuses it as well
    r = subprocess.run([binary("immpctl"), "-s", str(d.control), "reload"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=30)
    assert r.returncode == 1
    assert "has errors" in r.stderr and "kept" in r.stderr
    log = d.log_tail(400)
    assert "running configuration kept" in log
    assert ":%d:" % (len(good.splitlines()) + 1) in log
    # still serving, with the old 1M limit
    with d.login("alice@demo.test") as s:
        s.cmd("DELIVER TO bob@demo.test")
        s.expect(270)
        assert part(s, b"z" * 200000).code == 272
    d.assert_healthy()
    # SIGHUP with the broken file: the same, and the daemon stays up
    d.proc.send_signal(signal.SIGHUP)
    assert immpclient.wait_for(
        lambda: d.log_tail(400).count("running configuration kept") >= 2)
    assert d.proc.poll() is None
    d.conf.write_text(good)
    assert ctl(d, "reload").returncode == 0


def test_sighup_reload(fresh_daemon):
    d = fresh_daemon(extra_conf="max-message-size 1M")
    set_conf(d, **{"max-message-size": "max-message-size 50K"})
    d.proc.send_signal(signal.SIGHUP)
    assert immpclient.wait_for(
        lambda: "reload: configuration reloaded" in d.log_tail(400))

    def refused():
        with d.login("alice@demo.test") as s:
            s.cmd("DELIVER TO bob@demo.test")
            s.expect(270)
            return part(s, b"w" * 100000).code == 432
    assert immpclient.wait_for(refused, timeout=10)
    d.assert_healthy()


def test_reload_needs_restart(fresh_daemon):
    d = fresh_daemon()
    text = d.conf.read_text()
    d.conf.write_text(text.replace("port %d" % d.port, "port %d" %
                                   (d.port + 1)).replace(
        "retry first 2s max 10s", "retry first 3s max 20s"))
    r = ctl(d, "reload")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "reloaded, needs restart: listen\n"
    assert "need a restart and were kept: listen" in d.log_tail(400)
    d.assert_healthy()      # still on the old port


def test_reload_under_load(fresh_daemon):
    """Sessions deliver continuously while the configuration is reloaded
    many times: every message is accepted and delivered."""
    # Recipients never log in: their sessions would get notices (150).
    d = fresh_daemon(users={a: random_password() for a in (
        "alice@demo.test", "bob@demo.test", "carol@demo.test",
        "dave@demo.test")})
    errors, uuids = [], []
    stop = threading.Event()

    def worker(sender, rcpt):
        try:
            while not stop.is_set():
                with d.login(sender) as s:
                    for _ in range(3):
                        uuids.append((rcpt, s.deliver(
                            [rcpt + "@demo.test"],
                            [("b.txt", "text/plain", os.urandom(2000),
                              False)])))
        except Exception as e:      # noqa: BLE001 - reported below
            errors.append(repr(e))

    threads = [threading.Thread(target=worker, args=a) for a in
               (("alice@demo.test", "carol"), ("bob@demo.test", "dave"),
                ("alice@demo.test", "dave"))]
    for t in threads:
        t.start()
    try:
        for i in range(10):
            set_conf(d, **{"max-sessions": "max-sessions %d" % (100 + i)})
            r = ctl(d, "reload")
            assert r.returncode == 0, r.stderr
            if i % 2:
                d.proc.send_signal(signal.SIGHUP)
            time.sleep(0.2)
    finally:
        stop.set()
        for t in threads:
            t.join(60)
    assert not errors, errors
    assert len(uuids) >= 3
    for rcpt, uuid in uuids:
        d.wait_message(rcpt, uuid)
    st = ctl(d, "show", "stats").stdout
    assert "network.sessions.max=109" in st
    assert "has errors" not in d.log_tail(2000)
    assert d.proc.poll() is None


@pytest.mark.parametrize("garbage", [b"", b"\x00\x01\x02", b"domain\n"])
def test_reload_hostile_files(fresh_daemon, garbage):
    d = fresh_daemon()
    good = d.conf.read_bytes()
    d.conf.write_bytes(garbage)
    # -s: immpctl itself does not read the broken file
    r = subprocess.run([binary("immpctl"), "-s", str(d.control), "reload"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=30)
    assert r.returncode == 1, r.stdout
    d.conf.write_bytes(good)
    d.assert_healthy()
