"""Fixtures of the end-to-end suite: a real havend on a free loopback port, OCI layouts.

`registry` is one daemon shared by the whole session; each test works in its own
repository (`repo`) so tests do not see each other's tags.  `start_registry` starts a
private daemon for tests that kill it or need an empty registry.  The tail of every live
daemon's log is attached to a failing test's report.  Helpers live in havenlib.py.

`containerd` and `dockerd` are one private containerd and one dockerd on it for the
session, started only when a test asks for them (engines.py says how).

HAVEN_E2E_DB=postgres runs the whole suite on PostgreSQL: one throwaway cluster for the
session (pgcluster.py), a database per daemon.  Tests that need the engine say so with
`registry_engine`.
"""

import os

import pytest

import engines
import havenlib
import pgcluster
from havenlib import Layouts, Registry

ENGINE = os.environ.get("HAVEN_E2E_DB", "sqlite")


@pytest.fixture(scope="session", autouse=True)
def postgres_cluster():
    """On the PostgreSQL run, the session's cluster (every Registry uses it)."""
    if ENGINE != "postgres":
        yield None
        return
    cluster = pgcluster.Cluster().start()
    havenlib.postgres = cluster
    yield cluster
    havenlib.postgres = None
    cluster.stop()


def _start(tmp_path_factory, name, env=None, listen_on=None):
    reg = Registry(tmp_path_factory.mktemp(name))
    reg.listen_on = listen_on or reg.listen_on
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
    """Factory: start_registry(env=None, listen_on=None) -> a private, running Registry
    (stopped after); listen_on is the address it binds (default 127.0.0.1)."""
    started = []

    def start(env=None, listen_on=None):
        reg = _start(tmp_path_factory, "havend-own", env, listen_on)
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
        for engine in list(engines.live_engines):
            rep.sections.append((engine.name, engine.log_tail(20)))
        if havenlib.postgres is not None:
            rep.sections.append(("postgres", havenlib.postgres.log_tail(20)))


@pytest.fixture(scope="session")
def layouts(tmp_path_factory):
    return Layouts(tmp_path_factory.mktemp("layouts"))


# ---------------------------------------------------------------- container engines


@pytest.fixture(scope="session")
def engine_root():
    """The short directory under /tmp that holds the engines' roots and sockets."""
    root = engines.make_root()
    yield root
    engines.release_root(root)


def _stop_engine(engine):
    problems = engine.stop()
    if problems:
        pytest.fail("; ".join(problems) + "\n" + engine.log_tail(), pytrace=False)


@pytest.fixture(scope="session")
def containerd(engine_root, tmp_path_factory):
    root = engine_root / "containerd"
    root.mkdir()
    c = engines.Containerd(root, tmp_path_factory.mktemp("containerd") / "containerd.log")
    c.start()
    yield c
    _stop_engine(c)


@pytest.fixture(scope="session")
def dockerd(engine_root, containerd, tmp_path_factory):
    root = engine_root / "docker"
    root.mkdir()
    d = engines.Dockerd(root, tmp_path_factory.mktemp("dockerd") / "dockerd.log")
    d.start(containerd)
    yield d
    _stop_engine(d)


@pytest.fixture(scope="session")
def engine_images(tmp_path_factory):
    return engines.TestImages(tmp_path_factory.mktemp("engine-images"))
