"""pytest fixtures: nginx instances, the fake Odoo and redis-server.

Every nginx instance started by a test has its error log checked at
teardown: an [alert], [crit] or [emerg] line, a sanitizer report or a
worker that exited on a signal fails the test.
"""

import os

import pytest
import requests

import harness
import tokens


def pytest_configure(config):
    if not os.path.exists(harness.MODULE):
        raise pytest.UsageError("module not built: %s (run make)"
                                % harness.MODULE)


@pytest.fixture(scope="session")
def fake_odoo_server(tmp_path_factory):
    workdir = str(tmp_path_factory.mktemp("odoo"))
    server = harness.FakeOdoo(
        workdir, credentials=os.path.join(harness.ROOT, "config",
                                          "odoo-credentials.json"))
    yield server
    server.stop()


@pytest.fixture
def odoo(fake_odoo_server):
    """The fake Odoo, with fresh data and empty logs for this test."""
    fake_odoo_server.reset()
    return fake_odoo_server


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    server = harness.Redis(str(tmp_path_factory.mktemp("redis")))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def keys(tmp_path_factory):
    """Keys for every algorithm (PyJWT / cryptography), their JWKS."""
    return tokens.Keys(str(tmp_path_factory.mktemp("keys")))


@pytest.fixture
def api(keys):
    """requests with a valid RS256 partner token for acme."""
    session = requests.Session()
    session.headers["Authorization"] = "Bearer " + keys.token(
        "RS256", scope="orders:read orders:write")
    yield session
    session.close()


class NginxFactory:
    def __init__(self, tmp_path, keys):
        self.tmp_path = tmp_path
        self.keys = keys
        self.instances = []

    def __call__(self, http, odoo=None, start=True, name=None, extra=None,
                 **kw):
        prefix = str(self.tmp_path / (name or "nginx%d"
                                      % len(self.instances)))
        values = {"JWT": self.keys.conf()}
        values.update(extra or {})
        instance = harness.Nginx(prefix, http, extra=values,
                                 odoo_port=odoo.port if odoo else 1, **kw)
        instance.expect_bad_log = False
        self.instances.append(instance)
        if start:
            instance.start()
        return instance

    def finish(self):
        problems = []
        for instance in self.instances:
            instance.stop()
            if instance.expect_bad_log:
                continue
            bad = harness.bad_log_lines(instance.error_log())
            if bad:
                problems.append("%s:\n  %s" % (instance.prefix,
                                               "\n  ".join(bad)))
        return problems


@pytest.fixture
def nginx(tmp_path, keys):
    """nginx(http_conf, odoo=..., workers=..., start=True) -> harness.Nginx;
    @JWT@ in the configuration stands for the test keys' directives."""
    factory = NginxFactory(tmp_path, keys)
    yield factory
    problems = factory.finish()
    if problems:
        pytest.fail("error log guard:\n" + "\n".join(problems),
                    pytrace=False)
