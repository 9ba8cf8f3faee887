"""govern_metrics: Prometheus counters shared by the workers, by route,
decision and reason; token-cache and rate-limit counters; kept across
reloads; label values escaped; only GET and HEAD."""

import re
import time

import pytest
import requests


CONF = """
    govern_redis 127.0.0.1:@REDIS@ timeout=200ms;

    server {
        listen 127.0.0.1:@PORT@;
        @JWT@

        location /orders/ {
            govern on;
            govern_route orders;
            govern_scopes orders:read;
            govern_rate_limit calls 1000r/m;
            proxy_pass http://odoo/web/;
        }

        location /admin/ {
            govern on;
            govern_route "odd \\"route\\"";
            govern_scopes admin:all;
            proxy_pass http://odoo/web/;
        }

        location ~ ^/unnamed/ {
            govern on;
            rewrite ^/unnamed(/.*)$ $1 break;
            proxy_pass http://odoo;
        }

        location = /metrics {
            govern_metrics;
            allow 127.0.0.1;
            deny all;
        }
    }
"""


def metrics(gw):
    r = requests.get(gw.url("/metrics"), timeout=5)
    assert r.status_code == 200
    assert r.headers["Content-Type"] == \
        "text/plain; version=0.0.4; charset=utf-8"
    series = {}
    for line in r.text.splitlines():
        if line.startswith("#"):
            assert re.match(r"# (HELP|TYPE) govern_\w+ ", line), line
            continue
        name, value = line.rsplit(" ", 1)
        assert name not in series, "duplicate series " + name
        series[name] = int(value)
    return series


def settled(gw, key, value, timeout=3.0):
    """The counters once key reached value: a request is counted in the
    log phase, after its response has left."""
    deadline = time.time() + timeout
    while True:
        m = metrics(gw)
        if key is None:         # all governed requests
            seen = sum(v for k, v in m.items()
                       if k.startswith("govern_requests_total"))
        else:
            seen = m.get(key, 0)
        if seen >= value or time.time() > deadline:
            return m
        time.sleep(0.02)


def requests_total(route, decision, reason=""):
    return 'govern_requests_total{route="%s",decision="%s",reason="%s"}' \
        % (route, decision, reason)


@pytest.fixture
def gw(nginx, odoo, redis_server):
    return nginx(CONF, odoo=odoo, workers=2,
                 extra={"REDIS": redis_server.port})


def test_counts_by_route_decision_and_reason(gw, keys):
    good = {"Authorization": "Bearer " + keys.token("RS256")}
    for _ in range(3):
        assert requests.get(gw.url("/orders/version"), headers=good,
                            timeout=5).status_code == 200
    assert requests.get(gw.url("/orders/version"),
                        timeout=5).status_code == 401
    assert requests.get(gw.url("/admin/version"), headers=good,
                        timeout=5).status_code == 403
    assert requests.get(gw.url("/unnamed/web/version"), headers=good,
                        timeout=5).status_code == 200

    m = settled(gw, None, 6)
    assert m[requests_total("orders", "allow")] == 3
    assert m[requests_total("orders", "deny", "token_missing")] == 1
    # the route label escaped as Prometheus wants it
    assert m[requests_total('odd \\"route\\"', "deny",
                            "scope_missing")] == 1
    # a regex location's name is its route
    assert m[requests_total("^/unnamed/", "allow")] == 1
    # one token: the first lookup misses, the next four hit
    assert m['govern_token_cache_total{result="miss"}'] == 1
    assert m['govern_token_cache_total{result="hit"}'] == 4
    assert m['govern_ratelimit_total{source="redis"}'] == 3
    assert m['govern_ratelimit_total{source="local"}'] == 0
    assert m["govern_redis_up"] == 1
    # nothing else was counted, and /metrics itself is not governed
    assert sum(v for k, v in m.items()
               if k.startswith("govern_requests_total")) == 6


def test_counters_survive_a_reload(gw, keys):
    good = {"Authorization": "Bearer " + keys.token("RS256")}
    key = requests_total("orders", "allow")
    for _ in range(4):
        requests.get(gw.url("/orders/version"), headers=good, timeout=5)
    assert settled(gw, key, 4)[key] == 4
    gw.reload()
    requests.get(gw.url("/orders/version"), headers=good, timeout=5)
    assert settled(gw, key, 5)[key] == 5


def test_redis_down_shows(nginx, odoo, keys):
    gw = nginx(CONF, odoo=odoo, extra={"REDIS": 1})    # nothing listens
    good = {"Authorization": "Bearer " + keys.token("RS256")}
    assert requests.get(gw.url("/orders/version"), headers=good,
                        timeout=5).status_code == 200
    m = settled(gw, 'govern_ratelimit_total{source="local"}', 1)
    assert m["govern_redis_up"] == 0
    assert m['govern_ratelimit_total{source="local"}'] == 1


def test_only_get_and_head(gw):
    assert requests.post(gw.url("/metrics"), data="x",
                         timeout=5).status_code == 405
    r = requests.head(gw.url("/metrics"), timeout=5)
    assert r.status_code == 200 and r.text == ""


@pytest.mark.parametrize("conf,message", [
    ("location /m { govern_metrics on; }",
     'invalid number of arguments in "govern_metrics"'),
    ("govern_metrics;", '"govern_metrics" directive is not allowed here'),
])
def test_nginx_t_metrics(nginx, conf, message):
    gw = nginx("server { listen 127.0.0.1:@PORT@; %s }" % conf, start=False)
    rc, out = gw.test_config()
    gw.expect_bad_log = True
    assert rc != 0 and message in out, out
