"""Crash test (DESIGN §4: a 273 is a promise).  Several client sessions
send a steady stream of messages while this test, acting as the service
manager, kill -9s one of the five processes (parent, network, queue,
lookup, deliver) at random moments and restarts immpd whenever it has
exited.  At the end every message answered 273 must be in its
recipient's Maildir exactly once (by the IMMP-UUID header), no UUID may
appear twice, and every file in new/ and cur/ must be complete (its body
is exactly the one sent).  Files left in tmp/ are allowed.

CRASH_MESSAGES (default 2000) sets how many 273s to collect at least,
CRASH_KILLS (default 25) how many kills at least;
CRASH_SEED makes the kill schedule repeatable."""

import email
import email.policy
import hashlib
import os
import random
import re
import signal
import threading
import time

from harness import alive
from immpclient import Session, wait_for

MESSAGES = int(os.environ.get("CRASH_MESSAGES", "2000"))
KILLS = int(os.environ.get("CRASH_KILLS", "25"))
CLIENTS = 4
RCPTS = ("alice", "bob", "carol")
ROLES = ("parent", "network", "queue", "lookup", "deliver")
NO_LIMITS = "limit connections 0 per 1m\nlimit messages 0 per 1m"
MARK = b"crash-test-marker "
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-"
                     r"[0-9a-f]{12}")


class Load:
    """The client side: CLIENTS threads, each logging in, sending
    messages one after the other, reconnecting after any error."""

    def __init__(self, d, target):
        self.d = d
        self.target = target
        self.lock = threading.Lock()
        self.accepted = {}      # uuid -> (rcpt, body sha256)
        self.sent = {}          # marker -> body sha256 (every attempt)
        self.errors = 0
        self.logins = 0
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.run, args=(i,),
                                         daemon=True)
                        for i in range(CLIENTS)]

    def done(self):
        with self.lock:
            return len(self.accepted) >= self.target

    def run(self, n):
        rng = random.Random(n)
        seq = 0
        s = None
        while not self.stop.is_set():
            try:
                if s is None:
                    s = Session(self.d.port, cafile=str(self.d.cert),
                                timeout=10)
                    s.login("sender@demo.test",
                            self.d.users["sender@demo.test"])
                    with self.lock:
                        self.logins += 1
                seq += 1
                rcpt = rng.choice(RCPTS)
                marker = b"%d-%d-%s" % (n, seq, os.urandom(6).hex().encode())
                body = (MARK + marker + b"\n" +
                        os.urandom(rng.randrange(32, 3000)).hex().encode() +
                        b"\n")
                sha = hashlib.sha256(body).hexdigest()
                with self.lock:
                    self.sent[marker] = sha
                uuid = s.deliver(["%s@demo.test" % rcpt],
                                 [("body.txt", "text/plain", body, True)])
                with self.lock:
                    self.accepted[uuid] = (rcpt, sha)
            except Exception:
                with self.lock:
                    self.errors += 1
                if s is not None:
                    try:
                        s.close()
                    except Exception:
                        pass
                s = None
                time.sleep(0.05)
        if s is not None:
            try:
                s.close()
            except Exception:
                pass


def descendants_gone(pids, timeout=15):
    return wait_for(lambda: not any(alive(p) for p in pids), timeout)


def restart(d, old):
    """The service manager: immpd has exited (or is being made to);
    waits for every old process to be gone, then starts it again."""
    if d.proc is not None:
        rc = d.wait_exit(20)
        assert rc is not None, "immpd did not exit:\n" + d.log_tail()
    assert descendants_gone(old), "processes left after immpd " \
        "exited: %s" % [p for p in old if alive(p)]
    d.start(timeout=30)


def maildir_files(d):
    """[(path, sub)] of every file in new/ and cur/ of every mailbox."""
    out = []
    for dirpath, _, files in os.walk(d.mail):
        sub = os.path.basename(dirpath)
        if sub in ("new", "cur"):
            out += [(os.path.join(dirpath, f), sub) for f in files]
    return out


def body_of(path):
    """(IMMP-UUID, body octets of the text part) of a delivered file;
    raises if the file does not parse as a whole message."""
    with open(path, "rb") as fh:
        raw = fh.read()
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg.defects == [], (path, msg.defects)
    uuid = msg["IMMP-UUID"]
    assert uuid, "no IMMP-UUID header in %s" % path
    bodies = [p.get_payload(decode=True) for p in msg.walk()
              if not p.is_multipart() and
              (p.get_payload(decode=True) or b"").startswith(MARK)]
    assert len(bodies) == 1, "%s: %d marked parts" % (path, len(bodies))
    if msg.is_multipart():
        assert raw.rstrip().endswith(b"--"), "%s: truncated" % path
    return str(uuid), bodies[0]


def test_kill9_under_load(fresh_daemon):
    seed = int(os.environ.get("CRASH_SEED", str(int(time.time()))))
    rng = random.Random(seed)
    users = {"%s@demo.test" % u: "pw-" + u for u in RCPTS + ("sender",)}
    # thousands of messages and ~100 logins from 127.0.0.1 in a minute:
    # above the default per-address rate limits
    d = fresh_daemon(users=users, extra_conf=NO_LIMITS)
    load = Load(d, MESSAGES)
    for t in load.threads:
        t.start()
    kills = {r: 0 for r in ROLES}
    deadline = time.monotonic() + 600
    try:
        while not load.done() or sum(kills.values()) < KILLS:
            assert time.monotonic() < deadline, \
                "load did not finish: %d accepted" % len(load.accepted)
            time.sleep(rng.uniform(0.05, 0.6))
            victim = rng.choice(ROLES)
            kids = d.children()
            old = [d.proc.pid] + d.descendants()
            pid = d.proc.pid if victim == "parent" else kids.get(victim)
            if pid is None:
                continue
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            kills[victim] += 1
            # a dead child makes the parent stop the rest and exit; a
            # dead parent's children see their channel close and exit
            restart(d, old)
    finally:
        load.stop.set()
        for t in load.threads:
            t.join(30)

    accepted = dict(load.accepted)
    # Everything committed leaves the queue within the retry schedule.
    def delivered_all():
        seen = set()
        for path, _ in maildir_files(d):
            seen.update(UUID_RE.findall(os.path.basename(path)))
        return set(accepted) <= seen
    wait_for(delivered_all, 90, step=0.5)
    wait_for(lambda: not any((d.spool / "queue").glob("*.env")), 60,
             step=0.5)

    by_uuid = {}
    sent_shas = set(load.sent.values())
    for path, _ in maildir_files(d):
        uuid, body = body_of(path)
        by_uuid.setdefault(uuid, []).append(path)
        sha = hashlib.sha256(body).hexdigest()
        assert sha in sent_shas, "%s: body differs from every one sent" % (
            path)
        if uuid in accepted:
            rcpt, want = accepted[uuid]
            assert sha == want, "%s: body of %s differs" % (path, uuid)
            assert "/%s/Maildir/" % rcpt in path, (path, rcpt)
    dups = {u: p for u, p in by_uuid.items() if len(p) > 1}
    missing = [u for u in accepted if u not in by_uuid]
    extra = len(set(by_uuid) - set(accepted))
    print("crash test: seed %d, %d accepted (273), %d delivered files, "
          "%d delivered without a 273 seen, %d client errors, %d logins, "
          "kills %s" % (seed, len(accepted), sum(map(len, by_uuid.values())),
                        extra, load.errors, load.logins, kills))
    assert not dups, "delivered more than once: %s" % dups
    assert not missing, "accepted but not delivered (%d): %s\n%s" % (
        len(missing), missing[:10], d.log_tail(60))
    assert sum(kills.values()) >= KILLS, kills
    d.assert_healthy("alice@demo.test")
