"""Test harness: real immpd daemons on loopback, started from
<repo>/build (make check builds it first; nothing is built here), each
in its own temporary directory."""

import atexit
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

import immpclient

REPO = Path(__file__).resolve().parents[2]
# IMMPD_TEST_BUILD points the tests at another build directory (development
# only; make check uses <repo>/build).
BUILD = Path(os.environ.get("IMMPD_TEST_BUILD", REPO / "build")).resolve()
DOMAIN = "demo.test"
# Small Argon2id parameters keep the tests fast; the server reads them
# from the verifier, so the protocol is the same as with the defaults.
ARGON_OPS = "1"
ARGON_MEM = "8192"

_running = []           # daemons alive during the current test


def binary(name):
    p = BUILD / name
    if not os.access(p, os.X_OK):
        pytest.fail("%s is missing: run make first" % p, pytrace=False)
    return str(p)


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_cert(directory, name=DOMAIN, stem="cert"):
    """A self-signed certificate for name (SAN DNS:name) with its key;
    returns (cert, key) paths."""
    directory = Path(directory)
    cert = directory / (stem + ".pem")
    key = directory / (stem + "-key.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
         "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", str(key),
         "-out", str(cert), "-days", "2", "-subj", "/CN=" + name,
         "-addext", "subjectAltName=DNS:" + name],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    os.chmod(key, 0o600)
    return cert, key


def random_password():
    return immpclient.b64(os.urandom(12))


def proc_children(ppid):
    """{pid: argv} of the processes whose parent is ppid."""
    out = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/status" % entry) as f:
                status = f.read()
            with open("/proc/%s/cmdline" % entry, "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("PPid:") and int(line.split()[1]) == ppid:
                out[int(entry)] = [a.decode() for a in argv if a]
    return out


def proc_state(pid):
    """The State letter of pid, or None if it is gone."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("State:"):
                    return line.split()[1]
    except OSError:
        return None
    return None


def proc_argv(pid):
    """The argv of a live process, [] if it cannot be read."""
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return [a.decode(errors="replace")
                    for a in f.read().split(b"\0") if a]
    except OSError:
        return []


def alive(pid):
    return proc_state(pid) not in (None, "Z", "X")


def role(argv):
    """Which immpd process an argv is: network, queue, lookup, deliver."""
    if not argv:
        return None
    prog = os.path.basename(argv[0])
    if prog == "immpd" and "-X" in argv:
        i = argv.index("-X")
        return argv[i + 1] if i + 1 < len(argv) else None
    return {"immp-queue": "queue", "immp-lookup": "lookup",
            "immp-deliver": "deliver"}.get(prog)


class Daemon:
    """One immpd instance in directory base."""

    def __init__(self, base, cert, key, users=None, implicit_tls=False,
                 extra_conf="", privsep=False, maildir_user=None,
                 domain=DOMAIN, port=None):
        self.base = Path(base)
        self.domain = domain
        self.base.mkdir(parents=True, exist_ok=True)
        self.cert, self.key = Path(cert), Path(key)
        self.port = port or free_port()
        self.tls_port = free_port() if implicit_tls else None
        self.conf = self.base / "immpd.conf"
        self.mail = self.base / "mail"
        self.spool = self.base / "spool"
        self.users_db = self.base / "users.db"
        self.logfile = self.base / "immpd.log"
        # sun_path holds 108 octets: keep the control socket short.
        self.sockdir = Path(tempfile.mkdtemp(prefix="immpd-", dir="/tmp"))
        os.chmod(self.sockdir, 0o755)
        # Kept across restarts of this daemon, removed when pytest ends.
        atexit.register(shutil.rmtree, str(self.sockdir), True)
        self.control = self.sockdir / "ctl.sock"
        self.privsep = privsep
        self.proc = None
        self.log_start = 0
        self.libexec = BUILD    # where immpd finds immp-queue & co.
        self.pids = {}
        self.users = {}
        lines = [
            "# integration test configuration",
            'domain "%s"' % domain,
            'listen on 127.0.0.1 port %d tls-cert "%s" tls-key "%s"' % (
                self.port, self.cert, self.key),
        ]
        if implicit_tls:
            lines.append('listen on 127.0.0.1 port %d tls tls-cert "%s" '
                         'tls-key "%s"' % (self.tls_port, self.cert,
                                           self.key))
        lines += [
            'table users db:"%s"' % self.users_db,
            "users users",
            'maildir "%s/%%{user}/Maildir"' % self.mail + (
                ' user "%s"' % maildir_user if maildir_user else ""),
            'queue "%s"' % self.spool,
            "retry first 2s max 10s",
            'control-socket "%s"' % self.control,
        ]
        if extra_conf:
            lines.append(extra_conf)
        self.conf.write_text("\n".join(lines) + "\n")
        for account in (users or {}):
            self.add_user(account, users[account])

    # -- set-up ------------------------------------------------------------
    def add_user(self, account, password):
        r = subprocess.run(
            [binary("immpctl"), "-f", str(self.conf), "user", "add", "-o",
             ARGON_OPS, "-m", ARGON_MEM, account],
            input=(password + "\n").encode(), stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, timeout=60)
        if r.returncode != 0:
            pytest.fail("immpctl user add %s failed (%d): %s" % (
                account, r.returncode, r.stdout.decode(errors="replace")),
                pytrace=False)
        self.users[account] = password

    def start(self, timeout=15):
        env = dict(os.environ)
        env["IMMPD_LIBEXECDIR"] = str(self.libexec)
        args = [binary("immpd"), "-d", "-v", "-f", str(self.conf)]
        if not self.privsep:
            args.insert(3, "-u")
        log = open(self.logfile, "ab")
        log.write(b"--- start %s\n" % " ".join(args).encode())
        log.flush()
        self.log_start = log.tell()
        self.proc = subprocess.Popen(args, env=env, stdin=subprocess.DEVNULL,
                                     stdout=log, stderr=log)
        log.close()
        _running.append(self)
        end = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                pytest.fail("immpd exited with %d at start-up:\n%s" % (
                    self.proc.returncode, self.log_tail()), pytrace=False)
            if self._greets():
                break
            if time.monotonic() > end:
                pytest.fail("immpd does not answer on port %d:\n%s" % (
                    self.port, self.log_tail()), pytrace=False)
            time.sleep(0.1)
        self.pids = {role(argv): pid for pid, argv in
                     proc_children(self.proc.pid).items() if role(argv)}
        return self

    def wait_ready(self, timeout=30):
        """Waits until the parent has logged "immpd ready" since the last
        start: every child has sent READY, which each sends only after
        sandbox_drop (user, chroot, seccomp).  The greeting alone does not
        show that: the network process answers while the others may still
        be starting as root.  Returns children(); fails the test with the
        log after timeout seconds or if the daemon exits."""
        def ready():
            if self.proc is None or self.proc.poll() is not None:
                pytest.fail("immpd exited before it was ready:\n" +
                            self.log_tail(), pytrace=False)
            with open(self.logfile, "rb") as f:
                f.seek(self.log_start)
                return b"immpd ready" in f.read()
        if not immpclient.wait_for(ready, timeout):
            pytest.fail("immpd not ready within %d s:\n%s" % (
                timeout, self.log_tail()), pytrace=False)
        self.pids = self.children()
        return self.pids

    def _greets(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port),
                                          timeout=2) as s:
                s.settimeout(2)
                return s.recv(5).startswith(b"100")
        except OSError:
            return False

    def children(self):
        """{role: pid} of the running children."""
        if self.proc is None:
            return {}
        return {role(argv): pid for pid, argv in
                proc_children(self.proc.pid).items() if role(argv)}

    def descendants(self):
        """Every pid below the parent (children, workers)."""
        if self.proc is None:
            return []
        todo, seen = [self.proc.pid], []
        while todo:
            for pid in proc_children(todo.pop()):
                seen.append(pid)
                todo.append(pid)
        return seen

    def stop(self, check=True):
        """SIGTERM to the parent; with check, asserts a clean exit 0 and
        that no child is left."""
        if self.proc is None:
            return
        kids = self.descendants()
        rc = self.proc.poll()
        if rc is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                self.kill_leftovers(kids)
                if check:
                    pytest.fail("immpd did not exit within 15 s of "
                                "SIGTERM:\n" + self.log_tail(),
                                pytrace=False)
                return
        # A delivery worker may still be in a file system sync when its
        # parent is gone; it ends once that returns (its channel is
        # closed).  Give it a bounded time before calling it left over.
        deadline = time.monotonic() + 20
        while any(alive(p) for p in kids) and time.monotonic() < deadline:
            time.sleep(0.05)
        left = [p for p in kids if alive(p)]
        left_argv = {p: proc_argv(p) for p in left}
        self.kill_leftovers(kids)
        if self in _running:
            _running.remove(self)
        self.proc = None
        if check:
            assert rc == 0, "immpd exited %s after SIGTERM:\n%s" % (
                rc, self.log_tail())
            assert not left, "children left running after SIGTERM: %s" % (
                [(p, role(left_argv.get(p, []))) for p in left],)

    def wait_exit(self, timeout=15):
        """Waits for the parent to exit on its own; returns its status
        (None if it is still running)."""
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        if self in _running:
            _running.remove(self)
        self.proc = None
        return rc

    def kill_leftovers(self, pids):
        for pid in pids:
            if alive(pid):
                try:
                    os.kill(pid, signal.SIGCONT)
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

    def log_tail(self, n=120):
        try:
            lines = self.logfile.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(lines[-n:])

    # -- helpers for tests -------------------------------------------------
    def maildir(self, user, folder=None):
        p = self.mail / user / "Maildir"
        return p / ("." + folder) if folder else p

    def messages(self, user, folder=None, sub="new"):
        d = self.maildir(user, folder) / sub
        try:
            return sorted(p for p in d.iterdir() if p.is_file())
        except FileNotFoundError:
            return []

    def wait_message(self, user, uuid, folder=None, timeout=20):
        """The path of the message with uuid in user's new/, waiting for
        it; fails the test with the log if it does not arrive."""
        def find():
            return [p for p in self.messages(user, folder) if uuid in p.name]
        found = immpclient.wait_for(find, timeout)
        if not found:
            pytest.fail("message %s did not arrive in %s:\n%s" % (
                uuid, self.maildir(user, folder) / "new", self.log_tail()),
                pytrace=False)
        assert len(found) == 1, "several copies of %s: %s" % (uuid, found)
        return found[0]

    def session(self, **kw):
        kw.setdefault("cafile", str(self.cert))
        return immpclient.Session(self.port, **kw)

    def login(self, account="alice@demo.test", **kw):
        s = self.session(**kw)
        s.login(account, self.users[account])
        return s

    def assert_healthy(self, rcpt="alice@demo.test"):
        """A fresh session gets the normal greeting and a delivery to rcpt
        arrives: the daemon survived whatever the test did."""
        sender = next(a for a in self.users if a != rcpt) \
            if len(self.users) > 1 else rcpt
        with self.session() as s:
            lines = s.greeting()
            assert [r.code for r in lines] == [100, 100, 101], lines
            s.upgrade()
            r, _ = s.auth(sender, self.users[sender])
            assert r.code == 210, r.raw
            body = b"still alive " + os.urandom(4).hex().encode() + b"\n"
            uuid = s.deliver([rcpt], [("body.txt", "text/plain", body,
                                       True)])
        self.wait_message(rcpt.split("@")[0], uuid)
        return uuid


# -- privilege separation as installed (root) ----------------------------

PRIVSEP_USERS = ("_immpd", "_immpq", "nobody")


def missing_privsep_users():
    """The users of PRIVSEP_USERS that this system lacks (make
    install-users creates _immpd and _immpq)."""
    out = []
    for u in PRIVSEP_USERS:
        try:
            pwd.getpwnam(u)
        except KeyError:
            out.append(u)
    return out


def proc_status(pid):
    """/proc/PID/status as {field: value text}."""
    with open("/proc/%d/status" % pid) as f:
        return dict(line.split(":", 1) for line in f if ":" in line)


def proc_uids(pid):
    """The real, effective, saved and file-system uids of pid."""
    return [int(x) for x in proc_status(pid)["Uid"].split()]


def privsep_daemon(certs, prefix, extra_conf="",
                   accounts=("alice@demo.test", "bob@demo.test")):
    """A Daemon (not started) that runs as installed: user _immpd, queue
    user _immpq, network chrooted to an empty directory (d.empty),
    Maildirs owned by nobody, the certificate copied in (readable by
    root only), the given accounts added with random passwords and the
    users table world-readable.  Everything lives in a new directory
    /tmp/<prefix>XXXX (d.base): the caller removes it after d.stop()."""
    base = tempfile.mkdtemp(prefix=prefix, dir="/tmp")
    os.chmod(base, 0o755)
    immpq = pwd.getpwnam("_immpq")
    nobody = pwd.getpwnam("nobody")
    empty = os.path.join(base, "empty")
    os.mkdir(empty, 0o755)
    spool = os.path.join(base, "spool")
    os.mkdir(spool, 0o700)
    os.chown(spool, immpq.pw_uid, immpq.pw_gid)
    mail = os.path.join(base, "mail")
    os.mkdir(mail, 0o755)
    os.chown(mail, nobody.pw_uid, nobody.pw_gid)
    cert = os.path.join(base, "cert.pem")
    key = os.path.join(base, "key.pem")
    shutil.copy(certs["cert"], cert)
    shutil.copy(certs["key"], key)
    os.chmod(key, 0o600)
    conf = 'user "_immpd"\nqueue-user "_immpq"\nchroot "%s"' % empty
    if extra_conf:
        conf += "\n" + extra_conf
    d = Daemon(base, cert, key, privsep=True, maildir_user="nobody",
               extra_conf=conf)
    for account in accounts:
        d.add_user(account, random_password())
    os.chmod(d.users_db, 0o644)
    d.empty = empty
    return d


USERS = {"alice@demo.test": None, "bob@demo.test": None}


def new_daemon(tmp_path_factory, certs, name, users=None, **kw):
    base = tmp_path_factory.mktemp(re.sub(r"[^A-Za-z0-9_-]", "_", name))
    users = users or {a: random_password() for a in USERS}
    d = Daemon(base, certs["cert"], certs["key"], users=users, **kw)
    return d.start()


def run_immp(d, account, args, password=None, ca=None, extra=None,
             env=None, timeout=60, stdin=None):
    """Runs build/immp against daemon d as account; returns the
    CompletedProcess (stdout/stderr as text)."""
    pwfile = d.base / ("password-" + account)
    pwfile.write_text((password if password is not None
                       else d.users[account]) + "\n")
    os.chmod(pwfile, 0o600)
    argv = [binary("immp"), "-H", "127.0.0.1:%d" % d.port, "-u", account,
            "--password-file", str(pwfile)]
    if ca is not False:
        argv += ["--ca", str(ca or d.cert)]
    argv += extra or []
    argv += ["send"] + list(args)
    e = dict(os.environ)
    e.pop("IMMP_PASSWORD", None)
    e.pop("IMMP_ACCOUNT", None)
    e.update(env or {})
    return subprocess.run(argv, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, env=e, timeout=timeout,
                          input=stdin if stdin is not None else b"")


ACCEPTED_RE = re.compile(r"^immp: message ([0-9a-f-]{36}) accepted\n$")


def immp_uuid(r):
    """The UUID of an accepted message from immp's output, asserting
    success."""
    out = r.stdout.decode(errors="replace")
    assert r.returncode == 0, "immp exited %d: %s %s" % (
        r.returncode, out, r.stderr.decode(errors="replace"))
    m = ACCEPTED_RE.match(out)
    assert m, "unexpected output %r" % out
    return m.group(1)


def run_immp_cmd(d, account, args, password=None, timeout=60, stdin=None):
    """Runs build/immp against daemon d as account with the command
    args (e.g. ["check", "/INBOX"]); returns the CompletedProcess
    (stdout/stderr as bytes)."""
    pwfile = d.base / ("password-" + account)
    pwfile.write_text((password if password is not None
                       else d.users[account]) + "\n")
    os.chmod(pwfile, 0o600)
    argv = [binary("immp"), "-H", "127.0.0.1:%d" % d.port, "-u", account,
            "--password-file", str(pwfile), "--ca", str(d.cert)]
    argv += list(args)
    e = dict(os.environ)
    e.pop("IMMP_PASSWORD", None)
    e.pop("IMMP_ACCOUNT", None)
    return subprocess.run(argv, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, env=e, timeout=timeout,
                          input=stdin if stdin is not None else b"")
