"""immpctl against a running daemon: every control command with its
output checked, show queue/envelope/message from the spool with the
daemon stopped, and hostile control clients (immpctl(8))."""

import os
import re
import socket
import subprocess
import time

import pytest

import immpclient
from harness import binary
from test_privsep import privsep_daemon  # noqa: F401 - fixture

UUID_RE = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
QUEUE_LINE_RE = re.compile(
    r"^uuid=(%s) rcpt=(\S+) state=(pending|done|failed) tries=\d+ "
    r"next=\d+ sender=(\S+) accepted=\d+ size=\d+ flags=\d+ "
    r"bounce=[01] held=([01])$" % UUID_RE)


def ctl(d, *args, check=True, timeout=30):
    """Runs immpctl -f <d's config> args; returns the CompletedProcess
    with text output; with check, asserts exit 0."""
    r = subprocess.run([binary("immpctl"), "-f", str(d.conf)] +
                       list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout, text=True)
    if check:
        assert r.returncode == 0, "immpctl %s: %d %s %s" % (
            " ".join(args), r.returncode, r.stdout, r.stderr)
    return r


def kv(out):
    """key=value lines into a dict."""
    res = {}
    for line in out.splitlines():
        k, _, v = line.partition("=")
        res[k] = v
    return res


def queue_lines(out):
    rows = []
    for line in out.splitlines():
        m = QUEUE_LINE_RE.match(line)
        assert m, "malformed show queue line %r" % line
        rows.append(m.groups())
    return rows


def send(d, rcpt="bob@demo.test", sender="alice@demo.test", size=100):
    with d.login(sender) as s:
        return s.deliver([rcpt], [("body.txt", "text/plain",
                                   b"x" * size + b"\n", True)])


def raw_control(d):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(str(d.control))
    return s


def read_answer(s):
    """Lines of one answer up to "." or "! ..."; returns (lines, end)."""
    buf = b""
    while True:
        while b"\n" not in buf:
            chunk = s.recv(65536)
            if not chunk:
                raise ConnectionError("closed, pending %r" % buf)
            buf += chunk
        line, buf = buf.split(b"\n", 1)
        line = line.decode()
        if line == "." or line.startswith("! "):
            return line


def closed(s, wait=5):
    """True if the daemon closes the connection (after at most an error
    line) within wait seconds."""
    s.settimeout(wait)
    data = b""
    try:
        while True:
            chunk = s.recv(4096)
            if not chunk:
                return True
            data += chunk
            if len(data) > 4096:
                return False
    except (socket.timeout, TimeoutError):
        return False
    except ConnectionResetError:
        return True


def test_show_stats(daemon):
    send(daemon)
    r = ctl(daemon, "show", "stats")
    st = kv(r.stdout)
    for key in ("network.sessions.current", "network.sessions.total",
                "network.accept", "queue.messages", "queue.accepted",
                "queue.delivered", "queue.bounced", "queue.deliver",
                "queue.relay", "queue.held"):
        assert key in st, r.stdout
    assert int(st["queue.accepted"]) >= 1
    assert int(st["network.sessions.total"]) >= 1
    assert st["network.accept"] == "running"
    for line in r.stdout.splitlines():
        assert re.fullmatch(r"[a-z][a-z0-9._-]*=\S*", line), line


def test_queue_commands(daemon):
    """pause deliver keeps messages queued; show queue, envelope,
    message, hold, schedule, release, resume act on them."""
    r = ctl(daemon, "pause", "deliver")
    assert r.stdout == "deliver=paused\n"
    try:
        uuid = send(daemon)
        rows = queue_lines(ctl(daemon, "show", "queue").stdout)
        mine = [row for row in rows if row[0] == uuid]
        assert mine and mine[0][1] == "bob@demo.test" and \
            mine[0][2] == "pending" and mine[0][3] == "alice@demo.test" \
            and mine[0][4] == "0", rows

        env = ctl(daemon, "show", "envelope", uuid).stdout.splitlines()
        assert "uuid=%s" % uuid in env and "sender=alice@demo.test" in env
        assert env[-1] == "held=0"
        assert any(line.startswith("rcpt=bob@demo.test . pending")
                   for line in env), env

        msg = ctl(daemon, "show", "message", uuid).stdout
        assert "IMMP-UUID: %s" % uuid in msg or uuid in msg
        assert "x" * 100 in msg

        assert ctl(daemon, "hold", uuid).stdout == "held=1\n"
        rows = queue_lines(ctl(daemon, "show", "queue").stdout)
        assert [row[4] for row in rows if row[0] == uuid] == ["1"]
        assert ctl(daemon, "schedule", uuid).stdout.startswith(
            "scheduled=")
        assert ctl(daemon, "release", uuid).stdout == "released=1\n"
        assert ctl(daemon, "release", uuid).stdout == "released=0\n"
        st = kv(ctl(daemon, "show", "stats").stdout)
        assert st["queue.deliver"] == "paused"
        assert int(st["queue.messages"]) >= 1
    finally:
        assert ctl(daemon, "resume", "deliver").stdout == \
            "deliver=running\n"
    daemon.wait_message("bob", uuid)
    gone = immpclient.wait_for(
        lambda: uuid not in ctl(daemon, "show", "queue").stdout)
    assert gone


def test_remove(daemon):
    ctl(daemon, "pause", "deliver")
    try:
        uuid = send(daemon)
        assert ctl(daemon, "remove", uuid).stdout == "removed=1\n"
        assert uuid not in ctl(daemon, "show", "queue").stdout
        r = ctl(daemon, "show", "envelope", uuid, check=False)
        assert r.returncode == 1 and "no such message" in r.stderr
        r = ctl(daemon, "remove", uuid, check=False)
        assert r.returncode == 1 and "no such message" in r.stderr
    finally:
        ctl(daemon, "resume", "deliver")
    time.sleep(1)
    assert not [p for p in daemon.messages("bob") if uuid in p.name]
    assert not list((daemon.spool / "queue").glob(uuid + ".*"))
    assert "msg removed uuid=%s" % uuid in daemon.log_tail(400)


def test_hold_all_and_schedule_all(daemon):
    ctl(daemon, "pause", "deliver")
    try:
        a = send(daemon)
        b = send(daemon)
        n = int(ctl(daemon, "hold", "all").stdout.split("=")[1])
        assert n >= 2
        held = {row[0] for row in queue_lines(
            ctl(daemon, "show", "queue").stdout) if row[4] == "1"}
        assert {a, b} <= held
        assert ctl(daemon, "schedule", "all").stdout.startswith(
            "scheduled=")
        assert int(ctl(daemon, "release", "all").stdout.split("=")[1]) \
            >= 2
    finally:
        ctl(daemon, "resume", "deliver")
    daemon.wait_message("bob", a)
    daemon.wait_message("bob", b)


def test_pause_accept(daemon):
    assert ctl(daemon, "pause", "accept").stdout == "accept=paused\n"
    try:
        s = socket.create_connection(("127.0.0.1", daemon.port),
                                     timeout=5)
        s.settimeout(1.5)
        with pytest.raises((socket.timeout, TimeoutError)):
            s.recv(10)
        st = kv(ctl(daemon, "show", "stats").stdout)
        assert st["network.accept"] == "paused"
    finally:
        assert ctl(daemon, "resume", "accept").stdout == \
            "accept=running\n"
    # The waiting connection is taken now.
    s.settimeout(10)
    assert s.recv(5).startswith(b"100")
    s.close()
    daemon.assert_healthy()


def test_pause_relay(daemon):
    assert ctl(daemon, "pause", "relay").stdout == "relay=paused\n"
    assert kv(ctl(daemon, "show", "stats").stdout)["queue.relay"] == \
        "paused"
    assert ctl(daemon, "resume", "relay").stdout == "relay=running\n"


def test_log_level(daemon):
    assert ctl(daemon, "log", "brief").stdout == "log=brief\n"
    assert ctl(daemon, "log", "verbose").stdout == "log=verbose\n"
    assert "control log verbose" in daemon.log_tail(200)


def test_update_table(daemon):
    r = ctl(daemon, "update", "table", "users")
    assert re.fullmatch(r"table=users state=open path=%s\n" %
                        re.escape(str(daemon.users_db)), r.stdout), r.stdout
    r = ctl(daemon, "update", "table", "nosuch", check=False)
    assert r.returncode == 1 and "no such table" in r.stderr
    r = ctl(daemon, "update", "table", "bad/name", check=False)
    assert r.returncode == 1


def test_monitor(daemon):
    r = ctl(daemon, "monitor", "-c", "2", "-i", "1")
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["sessions", "new", "accepted", "delivered",
                                "tempfail", "permfail", "bounced", "queue",
                                "held"]
    assert len(lines) == 3
    for line in lines[1:]:
        assert len(line.split()) == 9 and all(
            f.isdigit() for f in line.split())


def test_bad_arguments(daemon):
    r = ctl(daemon, "show", "envelope", "not-a-uuid", check=False)
    assert r.returncode == 1
    r = ctl(daemon, "schedule", "0" * 8 + "-0000-4000-8000-" + "0" * 12,
            check=False)
    assert r.returncode == 1 and "no such message" in r.stderr
    r = ctl(daemon, "pause", "everything", check=False)
    assert r.returncode == 1 and "usage" in r.stderr


def test_protocol_unknown_command_keeps_client(daemon):
    s = raw_control(daemon)
    s.sendall(b"frobnicate now\n")
    assert read_answer(s).startswith("! ")
    s.sendall(b"show stats\n")
    assert read_answer(s) == "."
    s.close()


@pytest.mark.parametrize("payload", [
    b"\x00\x01\x02garbage\xff\xfe\n",
    b"show  stats\n",
    b"show stats \n",
    b"show stats\r\n",
    b"\n",
    b"a b c d e f g h\n",
])
def test_hostile_malformed(daemon, payload):
    s = raw_control(daemon)
    s.sendall(payload)
    assert closed(s)
    s.close()
    assert ctl(daemon, "show", "stats").returncode == 0


def test_hostile_oversized(daemon):
    s = raw_control(daemon)
    try:
        s.sendall(b"show " + b"q" * 100000)
    except (BrokenPipeError, ConnectionResetError):
        pass
    assert closed(s)
    s.close()
    s = raw_control(daemon)
    s.sendall(b"x" * 600 + b"\n")
    assert closed(s)
    s.close()
    assert ctl(daemon, "show", "stats").returncode == 0
    assert "reason=request-too-long" in daemon.log_tail(400)


def test_hostile_close_mid_request(daemon):
    for data in (b"show que", b"show queue\n", b"show stats\n",
                 b"reload\n"[:3]):
        for _ in range(5):
            s = raw_control(daemon)
            s.sendall(data)
            s.close()
    # many requests sent ahead, then gone
    s = raw_control(daemon)
    s.sendall(b"show stats\nshow queue\nshow stats\n")
    s.close()
    time.sleep(0.5)
    assert ctl(daemon, "show", "stats").returncode == 0
    daemon.assert_healthy()


def test_too_many_clients(daemon):
    held = [raw_control(daemon) for _ in range(8)]
    try:
        time.sleep(0.3)
        extra = raw_control(daemon)
        assert closed(extra)
        extra.close()
    finally:
        for s in held:
            s.close()
    time.sleep(0.3)
    assert ctl(daemon, "show", "stats").returncode == 0
    assert "reason=too-many-clients" in daemon.log_tail(400)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to change uid")
def test_non_root_peer_refused(daemon):
    """A peer that is neither root nor the daemon's uid is dropped even
    when the socket mode would let it connect."""
    os.chmod(daemon.control, 0o666)
    try:
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                os.setgid(65534)
                os.setuid(65534)
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.settimeout(5)
                s.connect(str(daemon.control))
                try:
                    s.sendall(b"show stats\n")
                except OSError:
                    pass
                data = b""
                try:
                    while True:
                        chunk = s.recv(4096)
                        if not chunk:
                            break
                        data += chunk
                except OSError:
                    pass
                code = 0 if data == b"" else 2
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status
    finally:
        os.chmod(daemon.control, 0o600)
    assert "control refused uid=65534 reason=not-permitted" in \
        daemon.log_tail(400)
    assert ctl(daemon, "show", "stats").returncode == 0


def test_socket_option(daemon, tmp_path):
    """-s names the socket; the configuration is then not needed for
    commands that talk to the daemon."""
    r = subprocess.run([binary("immpctl"), "-f", str(tmp_path / "none"),
                        "-s", str(daemon.control), "show", "stats"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert "queue.messages=" in r.stdout


def test_show_queue_daemon_stopped(fresh_daemon):
    d = fresh_daemon()
    ctl(d, "pause", "deliver")
    a = send(d)
    b = send(d, rcpt="alice@demo.test", sender="bob@demo.test")
    online = ctl(d, "show", "queue").stdout
    d.stop()
    r = ctl(d, "show", "queue")
    assert "immpd is not running" in r.stderr
    rows = queue_lines(r.stdout)
    assert {row[0] for row in rows} == {a, b}
    assert all(row[2] == "pending" for row in rows)
    # same lines as the daemon gave (held=0 either way)
    assert sorted(r.stdout.splitlines()) == sorted(online.splitlines())
    env = ctl(d, "show", "envelope", a).stdout.splitlines()
    assert "uuid=%s" % a in env and env[-1] == "held=0"
    assert "x" * 100 in ctl(d, "show", "message", b).stdout
    r = ctl(d, "schedule", a, check=False)
    assert r.returncode == 1 and "cannot reach immpd" in r.stderr
    # and they are delivered after a restart
    d.start()
    d.wait_message("bob", a)
    d.wait_message("alice", b)


# The verifier of alice@demo.test, password "correct horse", from the
# example in immpd-tables(5) and immp(7).
ALICE_VERIFIER = (
    "$immp-scram-sha256$argon2id13$o=1$m=8192$AAECAwQFBgcICQoLDA0ODw==$"
    "ep3/rzWfXBRyflAbry/CBhXRUkgvTGTsn0LRBnvocR0=$"
    "j8t9GA/2RdqFPMPqoBABV1XPfwb+coQCyoaIjE0n+3Y=")


def makemap(*args, cwd=None):
    return subprocess.run([binary("immpctl"), "makemap"] + list(args),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, timeout=30, cwd=cwd)


def test_makemap_users_table(fresh_daemon, tmp_path):
    """A users table built by makemap is used by the running daemon."""
    d = fresh_daemon()
    src = tmp_path / "users.txt"
    src.write_text("# users\n\nalice@demo.test\t%s\n"
                   "bob@demo.test %s\n" % (ALICE_VERIFIER, ALICE_VERIFIER))
    old = d.users_db.stat()
    r = makemap("-t", "users", str(src), str(d.users_db))
    assert r.returncode == 0, r.stderr
    assert r.stdout == "records=2 table=%s\n" % d.users_db
    new = d.users_db.stat()
    assert new.st_ino != old.st_ino                 # renamed into place
    assert (new.st_mode, new.st_uid, new.st_gid) == \
        (old.st_mode, old.st_uid, old.st_gid)      # kept from the old one
    assert not [p for p in d.users_db.parent.iterdir()
                if p.name.startswith("users.db.")]
    r = ctl(d, "update", "table", "users")
    assert "state=open" in r.stdout
    with d.session() as s:
        s.greeting()
        s.upgrade()
        r, _ = s.auth("alice@demo.test", "correct horse")
        assert r.code == 210, r.raw
    with d.session() as s:
        s.greeting()
        s.upgrade()
        r, _ = s.auth("alice@demo.test", "wrong horse")
        assert r.code != 210


def test_makemap_refuses_bad_input(tmp_path):
    out = tmp_path / "t.db"
    out.write_bytes(b"old table")
    src = tmp_path / "t.txt"
    src.write_text("a 1\nb 2\nbad\na 3\n")
    r = makemap(str(src), str(out))
    assert r.returncode == 1
    assert "%s:3: missing value" % src in r.stderr
    assert "%s:4: duplicate key, first on line 1" % src in r.stderr
    assert out.read_bytes() == b"old table"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.db", "t.txt"]
    r = makemap("-t", "nosuch", str(src), str(out))
    assert r.returncode == 1 and "unknown table type" in r.stderr
    r = makemap(str(tmp_path / "missing.txt"), str(out))
    assert r.returncode == 1
    src.write_text("other.test mx.other.test:1025\n")
    r = makemap("-t", "routes", str(src), str(tmp_path / "routes.db"))
    assert r.returncode == 0 and r.stdout.startswith("records=1 ")


def test_privileged_daemon(request):
    """With privilege separation: root is served, the daemon's own
    user is not, and a reload reaches the chrooted processes."""
    if os.geteuid() != 0:
        pytest.skip("privilege separation needs root")
    import test_privsep
    if test_privsep.missing_users():
        pytest.skip("system users missing")
    d = request.getfixturevalue("privsep_daemon")
    assert "queue.messages=" in ctl(d, "show", "stats").stdout
    text = d.conf.read_text()
    d.conf.write_text(text + "max-message-size 1K\n")
    assert ctl(d, "reload").stdout == "reloaded\n"
    for proc in ("network", "queue", "lookup"):
        assert immpclient.wait_for(
            lambda: "%s: reload: configuration applied" % proc in
            d.log_tail(400)), d.log_tail(400)
    with d.login("alice@demo.test") as s:
        s.cmd("DELIVER TO bob@demo.test")
        s.expect(270)
        s.data("b.txt", b"q" * 5000, "text/plain", True, pid="q1")
        while True:
            r = s.reply()
            if r.code != 271:
                break
        assert r.code == 432, r.raw
    os.chmod(d.control, 0o666)
    try:
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                os.setgid(65534)
                os.setuid(d.ids["_immpd"])
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.settimeout(5)
                s.connect(str(d.control))
                try:
                    s.sendall(b"show stats\n")
                    code = 0 if s.recv(100) == b"" else 2
                except OSError:
                    code = 0
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    finally:
        os.chmod(d.control, 0o600)
    assert "control refused uid=%d reason=not-permitted" % \
        d.ids["_immpd"] in d.log_tail(400)


def test_update_table_forces_reopen(fresh_daemon, tmp_path):
    """update table reopens the table even when stat(2) cannot tell:
    a users table rewritten in place (same inode, size and mtime) is
    used only after immpctl update table."""
    d = fresh_daemon()
    with d.login("alice@demo.test"):
        pass                            # lookup has the table open now
    src = tmp_path / "users.txt"
    src.write_text("alice@demo.test %s\nbob@demo.test %s\n" % (
        ALICE_VERIFIER, ALICE_VERIFIER))
    alt = tmp_path / "alt.db"
    r = makemap("-t", "users", str(src), str(alt))
    assert r.returncode == 0, r.stderr
    old = d.users_db.stat()
    data = alt.read_bytes()
    if len(data) != old.st_size:
        pytest.skip("tables of different sizes (%d, %d octets)" % (
            len(data), old.st_size))
    with open(d.users_db, "r+b") as f:
        f.write(data)
    os.utime(d.users_db, ns=(old.st_atime_ns, old.st_mtime_ns))
    new = d.users_db.stat()
    assert (new.st_dev, new.st_ino, new.st_size, new.st_mtime_ns) == \
        (old.st_dev, old.st_ino, old.st_size, old.st_mtime_ns)
    r = ctl(d, "update", "table", "users")
    assert r.stdout == "table=users state=open path=%s\n" % d.users_db
    # the new table's verifier counts, the old one's no longer
    for password, accepted in (("correct horse", True),
                               (d.users["alice@demo.test"], False)):
        with d.session() as s:
            s.greeting()
            s.upgrade()
            r, _ = s.auth("alice@demo.test", password)
            assert (r.code == 210) == accepted, r.raw
