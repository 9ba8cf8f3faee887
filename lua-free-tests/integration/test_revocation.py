"""Revocation at the edge: what scripts/govern-revoke writes in Redis takes
effect on the next request of two gateways sharing that Redis (a partner
blocked, its tokens issued before a time, one token by jti), in the same
script call as the rate limit where the route has one and in one call of
its own elsewhere (shared by the requests of one token), and Redis down
follows govern_revocation_fallback."""

import concurrent.futures
import os
import subprocess
import time

import pytest
import requests

import harness


CONF = """
    govern_redis 127.0.0.1:@REDIS@ timeout=300ms;
    server {
        listen 127.0.0.1:@PORT@;
        govern_audit @PREFIX@/audit.log buffer=0;
        @JWT@
        @FALLBACK@

        location /limited/ {
            govern on;
            govern_rate_limit orders 1000r/m;
            proxy_pass http://odoo/web/;
        }

        location /by/ {
            govern on;
            govern_rate_limit shared 1000r/m by=$remote_addr;
            proxy_pass http://odoo/web/;
        }

        location /plain/ {
            govern on;
            proxy_pass http://odoo/web/;
        }

        location = /metrics {
            govern_metrics;
        }
    }
"""

ROUTES = ("/limited/version", "/by/version", "/plain/version")
SCRIPT = os.path.join(harness.ROOT, "scripts", "govern-revoke")


@pytest.fixture
def redis(tmp_path):
    server = harness.Redis(str(tmp_path))
    yield server
    server.stop()


@pytest.fixture
def two(nginx, odoo, redis):
    """Two gateways sharing one Redis."""
    return [nginx(CONF, odoo=odoo, extra={"REDIS": redis.port,
                                          "FALLBACK": ""})
            for _ in range(2)]


def revoke(redis, *args):
    p = subprocess.run([SCRIPT, "--redis", "127.0.0.1:%d" % redis.port]
                       + [str(a) for a in args],
                       capture_output=True, text=True, timeout=10)
    assert p.returncode == 0, p.stderr
    return p.stdout


def get(gw, token, path):
    return requests.get(gw.url(path), timeout=10,
                        headers={"Authorization": "Bearer " + token})


def answers(gws, token):
    """(status, reason) of every route of every gateway."""
    out = set()
    for gw in gws:
        for path in ROUTES:
            r = get(gw, token, path)
            out.add((r.status_code, r.json().get("reason")
                     if r.status_code != 200 else None))
    return out


def commands(redis):
    import redis as redis_module
    info = redis_module.Redis(port=redis.port).info("commandstats")
    return {k: v["calls"] for k, v in info.items()}


def test_partner_blocked_on_every_gateway(two, keys, redis):
    token = keys.token("RS256")
    assert answers(two, token) == {(200, None)}

    assert "blocked acme" in revoke(redis, "block", "acme")
    assert answers(two, token) == {(403, "partner_blocked")}
    # another partner is not
    assert answers(two, keys.token("RS256", sub="globex")) == {(200, None)}

    r = get(two[0], token, "/plain/version")
    assert r.headers["Content-Type"] == "application/problem+json"
    assert "blocked since" in revoke(redis, "show", "acme")

    revoke(redis, "unblock", "acme")
    assert answers(two, token) == {(200, None)}

    for gw in two:
        recs = gw.wait_audit(12)
        assert {rec["revocation"] for rec in recs} == {"passed", "partner"}
        assert all(rec["reason"] == "partner_blocked"
                   for rec in recs if rec["revocation"] == "partner")


def test_tokens_issued_before_a_time(two, keys, redis):
    now = int(time.time())
    old = keys.token("RS256", iat=now - 60)
    no_iat = keys.token("RS256", iat=None)
    assert answers(two, old) == {(200, None)}

    revoke(redis, "before", "acme", now - 10)
    assert answers(two, old) == {(401, "token_revoked")}
    assert answers(two, no_iat) == {(401, "token_revoked")}
    # issued at the cut-off or later: valid
    assert answers(two, keys.token("RS256", iat=now - 10)) == {(200, None)}
    assert answers(two, keys.token("RS256", iat=now - 60, sub="globex")) \
        == {(200, None)}

    r = get(two[1], old, "/limited/version")
    assert r.headers["WWW-Authenticate"].startswith(
        'Bearer realm="govern", error="invalid_token"')

    revoke(redis, "clear-before", "acme")
    assert answers(two, old) == {(200, None)}


def test_one_token_by_jti(two, keys, redis):
    a = keys.token("RS256", jti="token-a")
    b = keys.token("RS256", jti="token-b")
    assert answers(two, a) == {(200, None)}

    assert "revoked for 600 s" in revoke(redis, "jti", "acme", "token-a", 600)
    assert answers(two, a) == {(401, "token_revoked")}
    assert answers(two, b) == {(200, None)}
    # the same jti of another partner is another token
    assert answers(two, keys.token("RS256", jti="token-a", sub="globex")) \
        == {(200, None)}
    assert "revoked, " in revoke(redis, "show", "acme", "token-a")

    revoke(redis, "clear-jti", "acme", "token-a")
    assert answers(two, a) == {(200, None)}

    recs = two[0].wait_audit(15)
    assert {rec["revocation"] for rec in recs} == {"passed", "jti"}

    m = requests.get(two[0].url("/metrics"), timeout=10).text
    assert 'govern_revocation_total{result="jti"} 3' in m


def test_no_round_trip_of_its_own_on_rate_limited_routes(two, keys, redis):
    token = keys.token("RS256")
    get(two[0], token, "/limited/version")
    before = commands(redis)
    for _ in range(10):
        assert get(two[0], token, "/limited/version").status_code == 200
    after = commands(redis)
    calls = {k: after.get(k, 0) - before.get(k, 0) for k in after}
    # one script call per request: the rate limit and the revocation
    assert calls.get("cmdstat_evalsha", 0) == 10
    assert calls.get("cmdstat_hmget", 0) == 10       # inside the script

    # a route without limits: one call of its own
    before = commands(redis)
    for _ in range(10):
        assert get(two[0], token, "/plain/version").status_code == 200
    after = commands(redis)
    calls = {k: after.get(k, 0) - before.get(k, 0) for k in after}
    assert calls.get("cmdstat_evalsha", 0) == 10


@pytest.mark.parametrize("path", ["/plain/version", "/by/version"])
def test_checks_of_one_token_share_a_call(nginx, odoo, keys, redis, path):
    """Where the check is a call of its own, the requests of one token
    that arrive while such a call is in flight (Redis paused here) share
    the next one; a blocked partner's are all refused, none reaches
    Odoo."""
    gw = nginx(CONF.replace("timeout=300ms", "timeout=3s"), odoo=odoo,
               extra={"REDIS": redis.port, "FALLBACK": ""})
    token = keys.token("RS256", sub="busy")
    assert get(gw, token, path).status_code == 200
    for blocked in (False, True):
        if blocked:
            revoke(redis, "block", "busy")
        before = commands(redis)
        odoo.reset()
        subprocess.run(["redis-cli", "-p", str(redis.port), "client",
                        "pause", "1000", "all"], check=True,
                       capture_output=True)
        with concurrent.futures.ThreadPoolExecutor(30) as pool:
            codes = list(pool.map(lambda _: get(gw, token, path).status_code,
                                  range(30)))
        after = commands(redis)
        assert codes == ([403] if blocked else [200]) * 30
        # far fewer checks than requests (the limit of /by/ is by
        # address: its calls are shared too)
        checks = after["cmdstat_hmget"] - before.get("cmdstat_hmget", 0)
        assert 1 <= checks <= 12, checks
        if blocked:
            assert odoo.requests() == []


def test_blocked_partner_takes_no_rate_limit_token(nginx, odoo, keys, redis):
    gw = nginx(CONF.replace("1000r/m", "3r/m"), odoo=odoo,
               extra={"REDIS": redis.port, "FALLBACK": ""})
    token = keys.token("RS256")
    revoke(redis, "block", "acme")
    for _ in range(5):
        r = get(gw, token, "/limited/version")
        assert r.status_code == 403 and r.json()["reason"] == "partner_blocked"
    revoke(redis, "unblock", "acme")
    codes = [get(gw, token, "/limited/version").status_code
             for _ in range(4)]
    assert codes == [200, 200, 200, 429]


@pytest.mark.parametrize("fallback", ["", "govern_revocation_fallback open;"])
def test_redis_down_open(nginx, odoo, keys, redis, fallback):
    gw = nginx(CONF, odoo=odoo, extra={"REDIS": redis.port,
                                       "FALLBACK": fallback})
    token = keys.token("RS256")
    revoke(redis, "block", "acme")
    assert get(gw, token, "/plain/version").status_code == 403
    redis.stop()

    # allowed, and said so: once in the error log, in every record
    for path in ROUTES:
        for _ in range(3):
            assert get(gw, token, path).status_code == 200
    recs = [rec for rec in gw.wait_audit(10) if rec["status"] == 200]
    assert len(recs) == 9
    assert {rec["revocation"] for rec in recs} == {"unchecked"}
    assert gw.error_log().count("revocation cannot be checked") == 1
    m = requests.get(gw.url("/metrics"), timeout=10).text
    assert 'govern_revocation_total{result="unchecked"} 9' in m


def test_redis_down_closed(nginx, odoo, keys, redis):
    gw = nginx(CONF, odoo=odoo, extra={
        "REDIS": redis.port, "FALLBACK": "govern_revocation_fallback closed;"})
    token = keys.token("RS256")
    assert get(gw, token, "/plain/version").status_code == 200
    redis.stop()

    for path in ROUTES:
        r = get(gw, token, path)
        assert r.status_code == 503, (path, r.text)
        assert r.json()["reason"] == "revocation_unavailable"
        assert r.headers["Retry-After"] == "1"


def test_revocation_off(nginx, odoo, keys, redis):
    gw = nginx(CONF, odoo=odoo, extra={"REDIS": redis.port,
                                       "FALLBACK": "govern_revocation off;"})
    token = keys.token("RS256")
    revoke(redis, "block", "acme")
    assert get(gw, token, "/limited/version").status_code == 200
    before = commands(redis)
    for path in ROUTES:
        assert get(gw, token, path).status_code == 200
    after = commands(redis)
    # the two rate-limited routes only
    assert after["cmdstat_evalsha"] - before.get("cmdstat_evalsha", 0) == 2
    assert after.get("cmdstat_hmget", 0) == before.get("cmdstat_hmget", 0)
    assert {rec["revocation"] for rec in gw.wait_audit(4)} == {None}


def test_nginx_t_refuses_a_fallback(nginx):
    gw = nginx(CONF.replace("@FALLBACK@", "govern_revocation_fallback maybe;"),
               extra={"REDIS": 1}, start=False)
    gw.expect_bad_log = True
    rc, out = gw.test_config()
    assert rc != 0 and "invalid value \"maybe\"" in out, out


def test_script_usage(redis):
    p = subprocess.run([SCRIPT, "--redis", "127.0.0.1:%d" % redis.port,
                        "jti", "acme"], capture_output=True, text=True)
    assert p.returncode == 2
    p = subprocess.run([SCRIPT, "--redis", "127.0.0.1:1", "block", "acme"],
                       capture_output=True, text=True)
    assert p.returncode == 1 and "redis 127.0.0.1:1" in p.stderr


ODOO_CONF = """
    govern_redis 127.0.0.1:@REDIS@ timeout=300ms;
    govern_odoo_credentials @PREFIX@/odoo-credentials.json;
    server {
        listen 127.0.0.1:@PORT@;
        @JWT@

        location /xmlrpc/ {
            govern on;
            govern_odoo xmlrpc;
            govern_odoo_allow res.partner search_read scope=customers:write;
            proxy_pass http://odoo;
        }

        location /jsonrpc {
            govern on;
            govern_odoo jsonrpc;
            govern_odoo_allow res.partner search_read scope=customers:write;
            proxy_pass http://odoo;
        }

        location /json/2/ {
            govern on;
            govern_odoo json2;
            govern_odoo_allow res.partner search_read scope=customers:write;
            proxy_pass http://odoo;
        }
    }
"""


def test_odoo_routes_answer_in_odoo_classes(nginx, odoo, redis, keys):
    """A revoked token is a login refused (AccessDenied, XML-RPC fault 3),
    a blocked partner a call denied (AccessError, fault 4), on every
    protocol; Odoo sees none of them."""
    import xmlrpc.client

    gw = nginx(ODOO_CONF, odoo=odoo, extra={"REDIS": redis.port},
               start=False)
    gw.install_credentials()
    gw.start()
    token = keys.token("RS256", jti="xml-a", scope="customers:write")

    def xml():
        models = xmlrpc.client.ServerProxy(
            gw.url("/xmlrpc/2/object"),
            headers=[("Authorization", "Bearer " + token)])
        try:
            models.execute_kw("retail", 2, "key", "res.partner",
                              "search_read", [[]], {"limit": 1})
        except xmlrpc.client.Fault as f:
            return f.faultCode, f.faultString
        return 0, ""

    def jsonrpc():
        r = requests.post(gw.url("/jsonrpc"), timeout=10, json={
            "jsonrpc": "2.0", "method": "call", "id": 1,
            "params": {"service": "object", "method": "execute_kw",
                       "args": ["retail", 2, "key", "res.partner",
                                "search_read", [[]], {"limit": 1}]}},
            headers={"Authorization": "Bearer " + token})
        assert r.status_code == 200
        error = r.json().get("error")
        return error and (error["data"]["name"], error["data"]["reason"])

    def json2():
        r = requests.post(gw.url("/json/2/res.partner/search_read"),
                          timeout=10, json={"domain": [], "limit": 1},
                          headers={"Authorization": "Bearer " + token})
        body = r.json()
        return r.status_code, isinstance(body, dict) and body.get("name")

    assert xml() == (0, "")
    assert jsonrpc() is None
    assert json2()[0] == 200
    seen = len(odoo.calls())

    revoke(redis, "jti", "acme", "xml-a", 600)
    code, text = xml()
    assert code == 3 and "token_revoked" in text
    assert jsonrpc() == ("odoo.exceptions.AccessDenied", "token_revoked")
    assert json2() == (401, "werkzeug.exceptions.Unauthorized")
    revoke(redis, "clear-jti", "acme", "xml-a")

    revoke(redis, "block", "acme")
    code, text = xml()
    assert code == 4 and "partner_blocked" in text
    assert jsonrpc() == ("odoo.exceptions.AccessError", "partner_blocked")
    assert json2() == (403, "odoo.exceptions.AccessError")
    revoke(redis, "unblock", "acme")

    assert xml() == (0, "")
    assert len(odoo.calls()) == seen + 1
