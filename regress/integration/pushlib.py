"""Set-up shared by the push tests (test_push.py, test_push_domain.py):
two real daemons, a.test and b.test, that relay to each other, each
with a domain secret the tests know, so that a test can also speak as
one domain to the other (AUTH COOKIE)."""

import subprocess

from harness import binary, random_password
from test_relay import Pair


def secret_pair(tmp_path_factory, name, a_users=(), b_users=(), a_extra="",
                b_extra=""):
    """A started Pair (test_relay.py) in a directory named after name,
    with p.secret[domain] the secret of each domain.  a_users and
    b_users: accounts added to a.test and b.test before the start, with
    random passwords (Daemon.users), besides Pair's alice and carol at
    a.test and bob at b.test.  a_extra and b_extra: more configuration
    lines for each."""
    sdir = tmp_path_factory.mktemp("secrets")
    p = Pair(tmp_path_factory, name,
             a_extra='domain-secret "%s"\n' % (sdir / "a.secret") + a_extra,
             b_extra='domain-secret "%s"\n' % (sdir / "b.secret") + b_extra,
             start_a=False, start_b=False)
    p.secret = {}
    for d, stem, more in ((p.a, "a", a_users), (p.b, "b", b_users)):
        for account in more:
            d.add_user(account, random_password())
        r = subprocess.run([binary("immpctl"), "-f", str(d.conf), "secret",
                            "generate"], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=30)
        assert r.returncode == 0, r.stdout
        p.secret[d.domain] = (sdir / (stem + ".secret")).read_bytes()
        d.start()
    return p
