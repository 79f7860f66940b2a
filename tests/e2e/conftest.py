"""Fixtures of the end-to-end suite: a real havend on a free loopback port, OCI layouts.

`registry` is one daemon shared by the whole session; each test works in its own
repository (`repo`) so tests do not see each other's tags.  `start_registry` starts a
private daemon for tests that kill it or need an empty registry.  The tail of every live
daemon's log is attached to a failing test's report.  Helpers live in havenlib.py.
"""

import pytest

import havenlib
from havenlib import Layouts, Registry


def _start(tmp_path_factory, name, env=None):
    reg = Registry(tmp_path_factory.mktemp(name))
    reg.start(env)
    return reg


def _stop_and_check(reg: Registry):
    """Stop the daemon; fail if it had died on its own or a sanitizer reported an error."""
    problems = reg.stop()
    text = reg.log_text()
    for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
        if marker in text:
            problems.append(f"sanitizer report in the log ({marker!r})")
    if problems:
        pytest.fail("; ".join(problems) + "\n" + reg.log_tail(80), pytrace=False)


@pytest.fixture(scope="session")
def registry(tmp_path_factory):
    reg = _start(tmp_path_factory, "havend")
    yield reg
    _stop_and_check(reg)


@pytest.fixture
def start_registry(tmp_path_factory):
    """Factory: start_registry(env=None) -> a private, running Registry (stopped after)."""
    started = []

    def start(env=None):
        reg = _start(tmp_path_factory, "havend-own", env)
        started.append(reg)
        return reg

    yield start
    for reg in started:
        _stop_and_check(reg)


@pytest.fixture
def repo(registry, request):
    """A repository name in `library` that no other test uses."""
    return registry.new_repo(request.node.name)


@pytest.fixture
def admin(registry):
    s = registry.session()
    yield s
    s.close()


@pytest.fixture
def anon(registry):
    s = registry.session(auth=False)
    yield s
    s.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed:
        for reg in list(havenlib.live_daemons):
            rep.sections.append((f"havend {reg.host}", reg.log_tail()))


@pytest.fixture(scope="session")
def layouts(tmp_path_factory):
    return Layouts(tmp_path_factory.mktemp("layouts"))
