"""make install into a temporary DESTDIR: the documented file list
(README.md Install), the example files, and the installed daemon
starting from there with the example configuration."""

import atexit
import os
import re
import shutil
import signal
import socket
import subprocess
from pathlib import Path

import pytest

import immpclient
from harness import BUILD, REPO, free_port, make_cert

PREFIX = "/usr/local"

# README.md, "Install".
DOCUMENTED = {
    "usr/local/sbin/immpd": 0o555,
    "usr/local/sbin/immpctl": 0o555,
    "usr/local/bin/immp": 0o555,
    "usr/local/libexec/immpd/immp-queue": 0o555,
    "usr/local/libexec/immpd/immp-lookup": 0o555,
    "usr/local/libexec/immpd/immp-deliver": 0o555,
    "usr/local/share/man/man1/immp.1": 0o444,
    "usr/local/share/man/man5/immpd.conf.5": 0o444,
    "usr/local/share/man/man5/immpd-tables.5": 0o444,
    "usr/local/share/man/man7/immp.7": 0o444,
    "usr/local/share/man/man8/immpd.8": 0o444,
    "usr/local/share/man/man8/immpctl.8": 0o444,
    "usr/local/share/examples/immpd/immpd.conf": 0o644,
    "usr/local/share/examples/immpd/immpd.service": 0o644,
    "usr/local/share/examples/immpd/immpd.rc": 0o644,
}


@pytest.fixture(scope="module")
def staged(tmp_path_factory):
    dest = tmp_path_factory.mktemp("destdir")
    # -o all: install what the tests run against, never rebuild here.
    r = subprocess.run(["make", "-s", "-o", "all", "install",
                        "B=%s" % BUILD, "DESTDIR=%s" % dest,
                        "PREFIX=%s" % PREFIX], cwd=REPO,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=120, text=True)
    assert r.returncode == 0, r.stdout
    return dest


def test_documented_file_list(staged):
    files = {str(p.relative_to(staged)): p.stat().st_mode & 0o7777
             for p in staged.rglob("*") if not p.is_dir()}
    assert files == DOCUMENTED
    for name in ("immpd", "immpctl"):
        assert (staged / "usr/local/sbin" / name).read_bytes() == \
            (BUILD / name).read_bytes()
    # the man pages are the ones that pass mandoc -Tlint
    for page in (staged / "usr/local/share/man").rglob("*.[1-8]"):
        assert page.read_bytes() == (REPO / "man" / page.name).read_bytes()


def test_nothing_outside_destdir(staged):
    """install touches no live path: DESTDIR holds only usr/."""
    assert sorted(p.name for p in staged.iterdir()) == ["usr"]


def test_every_page_installed_is_documented():
    """Every man page in man/ is installed and listed in README.md."""
    readme = (REPO / "README.md").read_text()
    for page in sorted((REPO / "man").glob("*.[1-8]")):
        assert "man%s/%s" % (page.suffix[1:], page.name) in \
            "".join(DOCUMENTED), page.name
        stem = page.stem
        assert "%s(%s)" % (stem, page.suffix[1:]) in readme, page.name


def test_service_files():
    unit = (REPO / "etc/immpd.service").read_text()
    assert "ExecStart=%s/sbin/immpd -d -f /etc/immpd.conf" % PREFIX in unit
    assert "ExecStartPre=%s/sbin/immpd -n -f /etc/immpd.conf" % PREFIX \
        in unit
    assert "ExecReload=/bin/kill -HUP $MAINPID" in unit
    # hardening that would break privilege separation stays out
    caps = re.search(r"^CapabilityBoundingSet=(.*)$", unit, re.M).group(1)
    for cap in ("CAP_SETUID", "CAP_SETGID", "CAP_SYS_CHROOT"):
        assert cap in caps.split()
    assert "AF_UNIX" in unit        # imsg socket pairs, control socket
    assert not re.search(r"^(PrivateUsers|DynamicUser)=yes", unit, re.M)
    rc = (REPO / "etc/immpd.rc").read_text()
    assert 'daemon="%s/sbin/immpd"' % PREFIX in rc
    assert "rc_reload=NO" not in rc
    assert "rc_cmd $1" in rc


def example_conf(staged, tmp_path):
    """The installed example configuration with the paths of this test:
    every statement kept, only addresses, files and directories moved
    under tmp_path."""
    cert, key = make_cert(tmp_path)
    port = free_port()
    sockdir = Path("/tmp") / ("immpd-inst-%d" % os.getpid())
    sockdir.mkdir(exist_ok=True)
    atexit.register(shutil.rmtree, str(sockdir), True)
    text = (staged / "usr/local/share/examples/immpd/immpd.conf") \
        .read_text()
    text = text.replace("listen on 127.0.0.1 port 1025 ",
                        "listen on 127.0.0.1 port %d " % port, 1)
    text = text.replace("/etc/immpd/cert.pem", str(cert))
    text = text.replace("/etc/immpd/key.pem", str(key))
    text = text.replace("/etc/immpd/users.db", str(tmp_path / "users.db"))
    text = text.replace("/var/mail/", str(tmp_path / "mail") + "/", 1)
    text = text.replace('#queue "/var/spool/immpd"',
                        'queue "%s"' % (tmp_path / "spool"))
    text = text.replace('#control-socket "/var/run/immpd.sock"',
                        'control-socket "%s"' % (sockdir / "ctl.sock"))
    assert str(cert) in text and str(tmp_path / "spool") in text and \
        "port %d " % port in text and \
        str(sockdir) in text
    conf = tmp_path / "immpd.conf"
    conf.write_text(text)
    return conf, port, sockdir / "ctl.sock", cert


def test_example_config_checks(staged):
    example = staged / "usr/local/share/examples/immpd/immpd.conf"
    r = subprocess.run([str(staged / "usr/local/sbin/immpd"), "-n", "-f",
                        str(example)], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=30)
    assert r.returncode == 0, r.stdout
    assert "configuration OK" in r.stdout


def test_installed_daemon_runs(staged, tmp_path):
    conf, port, ctlsock, cert = example_conf(staged, tmp_path)
    sbin = staged / "usr/local/sbin"
    env = dict(os.environ)
    env["IMMPD_LIBEXECDIR"] = str(staged / "usr/local/libexec/immpd")
    r = subprocess.run([str(sbin / "immpctl"), "-f", str(conf), "user",
                        "add", "-o", "1", "-m", "8192", "alice@demo.test"],
                       input="secret words\n", text=True, timeout=60,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert r.returncode == 0, r.stdout
    log = open(tmp_path / "immpd.log", "wb")
    proc = subprocess.Popen([str(sbin / "immpd"), "-d", "-u", "-f",
                             str(conf)], env=env, stdout=log, stderr=log,
                            stdin=subprocess.DEVNULL)
    log.close()
    try:
        def greets():
            try:
                with socket.create_connection(("127.0.0.1", port),
                                              timeout=2) as s:
                    return s.recv(5).startswith(b"100")
            except OSError:
                return False
        assert immpclient.wait_for(greets, timeout=20), \
            (tmp_path / "immpd.log").read_text()
        with immpclient.Session(port, cafile=str(cert)) as s:
            s.login("alice@demo.test", "secret words")
            uuid = s.deliver(["alice@demo.test"], [(
                "a.txt", "text/plain", b"installed\n", True)])
        maildir = tmp_path / "mail/alice/Maildir"
        assert immpclient.wait_for(
            lambda: [p for p in maildir.glob("*/*") if uuid in p.name],
            timeout=20)
        r = subprocess.run([str(sbin / "immpctl"), "-s", str(ctlsock),
                            "show", "stats"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        assert "queue.delivered=1" in r.stdout
        r = subprocess.run([str(sbin / "immpctl"), "-f", str(conf),
                            "reload"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=30)
        assert r.stdout == "reloaded\n", r.stderr
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            rc = None
    assert rc == 0, (tmp_path / "immpd.log").read_text()
    assert not ctlsock.exists()     # removed at exit
