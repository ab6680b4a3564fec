"""Fixtures for the integration tests (see harness.py)."""

import pytest

from harness import _running, make_cert, new_daemon, BUILD


@pytest.fixture(scope="session")
def certs(tmp_path_factory):
    d = tmp_path_factory.mktemp("certs")
    cert, key = make_cert(d)
    other, other_key = make_cert(d, stem="other")
    return {"cert": cert, "key": key, "other": other,
            "other_key": other_key}


@pytest.fixture(scope="module")
def daemon(tmp_path_factory, certs, request):
    """A daemon shared by the tests of one module (alice and bob)."""
    d = new_daemon(tmp_path_factory, certs,
                   request.module.__name__.replace(".", "_"),
                   implicit_tls=getattr(request.module, "IMPLICIT_TLS",
                                        False))
    yield d
    d.stop()


@pytest.fixture
def fresh_daemon(tmp_path_factory, certs, request):
    """A daemon of the test's own (for throttling and crash tests)."""
    made = []

    def make(**kw):
        d = new_daemon(tmp_path_factory, certs, request.node.name[:30],
                       **kw)
        made.append(d)
        return d
    yield make
    for d in made:
        if d.proc is not None:
            d.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed:
        for d in list(_running):
            rep.sections.append(("immpd log %s" % d.base, d.log_tail()))


def pytest_sessionfinish(session, exitstatus):
    """A daemon left running by a teardown that failed half-way is
    stopped here, not left behind on the machine."""
    for d in list(_running):
        d.stop(check=False)


def pytest_report_header(config):
    return "immpd binaries: %s" % BUILD

