"""Keys from the identity provider (govern_jwt_keys_request): the JWKS is
fetched by a subrequest from a provider the test drives (jwks_server.py),
shared by two workers, refreshed in the background and on an unknown kid
at most once per min_refresh, kept while the provider fails for up to
stale, then 503 keys_unavailable; a removed kid stops verifying, cached or
not; a reload keeps the set."""

import http.client
import json
import os
import re
import secrets
import socket
import subprocess
import threading
import time

import pytest
import requests

import harness
import tokens
from jwks_server import JwksServer


CONF = """
    server {
        listen 127.0.0.1:@PORT@;
        govern_audit @PREFIX@/audit.log buffer=0;
        govern_jwt_issuer %(iss)s;
        govern_jwt_audience %(aud)s;
        add_header X-Worker $pid always;

        location = /_jwks {
            internal;
            proxy_pass http://127.0.0.1:@IDP@/jwks;
            proxy_connect_timeout 1s;
            proxy_read_timeout @IDP_TIMEOUT@;
        }

        location /web/ {
            govern on;
            govern_jwt_keys_request /_jwks @KEYS_PARAMS@;
            proxy_pass http://odoo;
        }

        location /both/ {
            govern on;
            govern_jwt_keys @FILE_KEYS@;
            govern_jwt_keys_request /_jwks @KEYS_PARAMS@;
            proxy_pass http://odoo/web/;
        }

        location /other {
            return 200 "other";
        }

        location = /metrics {
            govern_metrics;
        }
    }
""" % {"iss": tokens.ISSUER, "aud": tokens.AUDIENCE}


@pytest.fixture
def idp():
    server = JwksServer()
    server.add("k1")
    yield server
    server.stop()


@pytest.fixture
def start(nginx, odoo, idp, keys):
    def start(params="min_refresh=1s", workers=2, timeout="2s", **kw):
        return nginx(CONF, odoo=odoo, workers=workers,
                     extra={"IDP": idp.port, "KEYS_PARAMS": params,
                            "IDP_TIMEOUT": timeout,
                            "FILE_KEYS": keys.jwks_path}, **kw)
    return start


def get(gw, token, path="/web/version", close=True):
    headers = {"Authorization": "Bearer " + token}
    if close:
        headers["Connection"] = "close"
    return requests.get(gw.url(path), headers=headers, timeout=30)


def reason(r):
    return r.json()["reason"]


def forged(kid):
    return tokens.forge({"alg": "ES256", "kid": kid}, {"sub": "acme"},
                        b"\0" * 64)


def metrics(gw):
    text = requests.get(gw.url("/metrics"), timeout=10).text
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


def test_first_load_shared_by_workers(start, idp, odoo):
    gw = start()
    token = idp.token("k1")

    # the first requests wait for the one fetch, then every worker
    # verifies with the set it published
    seen = set()
    for _ in range(30):
        r = get(gw, token)
        assert r.status_code == 200, r.text
        seen.add(r.headers["X-Worker"])
    assert idp.count() == 1
    assert len(seen) == 2, "both workers answered"

    rec = gw.wait_audit(30)[-1]
    assert rec["kid"] == "k1" and rec["key_source"] == "request:/_jwks"

    # the provider got none of the partner's headers
    (_, headers), = idp.fetches
    assert not any(h.lower() == "authorization" for h in headers)

    m = metrics(gw)
    assert m['govern_jwks_fetches_total{source="/_jwks",result="ok"}'] == 1
    assert m['govern_jwks_keys{source="/_jwks"}'] == 1
    assert 0 <= m['govern_jwks_age_seconds{source="/_jwks"}'] < 30


def test_rotation_on_refresh(start, idp):
    idp.set(max_age=2)
    gw = start()
    assert get(gw, idp.token("k1")).status_code == 200
    assert idp.count() == 1

    idp.add("k2")
    time.sleep(2.1)

    # due: served with the set in force, a refresh starts behind it, and
    # the partner's next request goes on another connection
    t = time.monotonic()
    r = get(gw, idp.token("k1"), close=False)
    assert r.status_code == 200
    assert time.monotonic() - t < 1
    assert r.headers.get("Connection") == "close"
    idp.wait_count(2)

    # the new kid verifies in both workers without another fetch
    time.sleep(0.2)
    seen = set()
    for _ in range(20):
        r = get(gw, idp.token("k2"))
        assert r.status_code == 200, r.text
        seen.add(r.headers["X-Worker"])
    assert idp.count() == 2
    assert len(seen) == 2


def test_rotation_on_unknown_kid(start, idp):
    gw = start("min_refresh=1s")
    assert get(gw, idp.token("k1")).status_code == 200
    assert idp.count() == 1

    # within min_refresh of the last fetch: refused at once, no fetch
    idp.add("k3")
    r = get(gw, idp.token("k3"))
    assert r.status_code == 401 and reason(r) == "token_signature"
    assert idp.count() == 1

    # later: the request waits for one fetch and is verified
    time.sleep(1.1)
    r = get(gw, idp.token("k3"))
    assert r.status_code == 200, r.text
    assert idp.count() == 2

    # a kid the provider does not have either: one fetch, then refused
    time.sleep(1.1)
    r = get(gw, forged("nope"))
    assert r.status_code == 401 and reason(r) == "token_signature"
    assert idp.count() == 3


def test_flood_of_random_kids(start, idp):
    """10,000 tokens with random kids over keep-alive connections from 20
    clients: the provider sees at most one fetch per min_refresh (1 s),
    and every token is refused."""
    gw = start("min_refresh=1s")
    assert get(gw, idp.token("k1")).status_code == 200
    before = idp.count()

    statuses = {}
    lock = threading.Lock()

    def flood(n):
        conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=30)
        mine = {}
        for _ in range(n):
            conn.request("GET", "/web/version", headers={
                "Authorization": "Bearer " + forged(secrets.token_hex(8))})
            resp = conn.getresponse()
            body = resp.read()
            key = (resp.status, json.loads(body)["reason"])
            mine[key] = mine.get(key, 0) + 1
            if resp.getheader("Connection") == "close":
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", gw.port,
                                                  timeout=30)
        conn.close()
        with lock:
            for k, v in mine.items():
                statuses[k] = statuses.get(k, 0) + v

    t = time.monotonic()
    threads = [threading.Thread(target=flood, args=(500,))
               for _ in range(20)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(120)
    elapsed = time.monotonic() - t

    print("flood: %.1f s, %d fetches" % (elapsed, idp.count() - before))
    assert statuses == {(401, "token_signature"): 10000}
    fetches = idp.count() - before
    assert 1 <= fetches <= int(elapsed) + 1, (fetches, elapsed)
    assert elapsed < 90
    # and the fetches were spaced by min_refresh, as this process's
    # threads (the 20 clients share the provider's interpreter) see it
    times = [f[0] for f in idp.fetches]
    assert all(b - a >= 0.75 for a, b in zip(times, times[1:])), times


def test_hanging_provider(start, idp):
    """A refresh hangs: other locations of the worker and tokens of known
    kids are answered at once; a request with an unknown kid waits for
    that fetch (nginx's proxy_read_timeout ends it) and is refused."""
    idp.set(max_age=1)
    gw = start("min_refresh=1s", workers=1, timeout="3s")
    assert get(gw, idp.token("k1")).status_code == 200
    idp.set(mode="hang")
    time.sleep(1.1)

    t = time.monotonic()
    assert get(gw, idp.token("k1")).status_code == 200
    assert time.monotonic() - t < 0.1
    idp.wait_count(2)

    for _ in range(10):
        t = time.monotonic()
        assert requests.get(gw.url("/other"), timeout=10).text == "other"
        assert time.monotonic() - t < 0.1
        t = time.monotonic()
        assert get(gw, idp.token("k1")).status_code == 200
        assert time.monotonic() - t < 0.1

    t = time.monotonic()
    r = get(gw, forged("new"))
    waited = time.monotonic() - t
    assert r.status_code == 401 and reason(r) == "token_signature"
    assert 0.5 < waited < 5
    assert idp.count() == 2
    idp.set(mode="ok")

    assert "could not be fetched (504)" in gw.error_log()


def test_stale_then_keys_unavailable(start, idp):
    idp.set(max_age=1)
    gw = start("refresh=1s min_refresh=1s stale=2s")
    token = idp.token("k1")
    assert get(gw, token).status_code == 200
    loaded = time.monotonic()
    idp.set(mode="error")

    # fresh for 1 s, then kept for 2 s while the refreshes fail
    first_503 = None
    while time.monotonic() - loaded < 6:
        r = get(gw, token)
        if r.status_code == 503:
            first_503 = time.monotonic() - loaded
            break
        assert r.status_code == 200, r.text
        time.sleep(0.1)
    assert first_503 is not None and 2.9 < first_503 < 4.5, first_503
    assert reason(r) == "keys_unavailable"
    assert r.headers["Content-Type"] == "application/problem+json"

    deadline = time.monotonic() + 5
    while not any(rec["reason"] == "keys_unavailable"
                  for rec in gw.audit()):
        assert time.monotonic() < deadline, "no audit record of the 503"
        time.sleep(0.02)
    (rec,) = [rec for rec in gw.audit() if rec["status"] == 503]
    assert rec["reason"] == "keys_unavailable" and rec["decision"] == "deny"

    # once per change of state, not per request
    log = gw.error_log()
    assert log.count("cannot be refreshed") == 1
    assert log.count("is past stale") == 1
    assert "answered the key set of \"/_jwks\" with HTTP 500" in log

    # the provider is back: the next fetch restores the set
    idp.set(mode="ok")
    time.sleep(1.1)
    r = get(gw, token)
    assert r.status_code == 200, r.text
    assert gw.error_log().count("is refreshed again") == 1
    m = metrics(gw)
    assert m['govern_jwks_fetches_total{source="/_jwks",result="error"}'] >= 2


def test_removed_kid_refused_after_refresh(start, idp):
    idp.add("k2")
    idp.set(max_age=1)
    gw = start("min_refresh=1s", workers=1)
    t1, t2 = idp.token("k1"), idp.token("k2")
    assert get(gw, t2).status_code == 200
    assert get(gw, t2).status_code == 200          # a cache hit
    assert metrics(gw)["govern_token_cache_total{result=\"hit\"}"] >= 1

    idp.remove("k2")
    time.sleep(1.1)
    assert get(gw, t1).status_code == 200          # starts the refresh
    idp.wait_count(2)
    time.sleep(0.2)

    r = get(gw, t2)
    assert r.status_code == 401 and reason(r) == "token_signature"
    assert get(gw, t1).status_code == 200


def test_reload_keeps_the_set(start, idp):
    idp.set(max_age=600)
    gw = start("min_refresh=1s")
    token = idp.token("k1")
    assert get(gw, token).status_code == 200
    idp.set(mode="error")

    old = gw.worker_pids()
    gw.reload()
    deadline = time.monotonic() + 10
    while gw.worker_pids() & old and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not gw.worker_pids() & old

    for _ in range(10):
        assert get(gw, token).status_code == 200
    assert idp.count() == 1


def test_provider_garbage_and_unusable_sets(start, idp):
    idp.set(mode="garbage")
    gw = start("min_refresh=1s")
    r = get(gw, idp.token("k1"))
    assert r.status_code == 503 and reason(r) == "keys_unavailable"
    assert "is invalid: not JSON" in gw.error_log()

    # a set of keys that cannot serve (an encryption key, no alg)
    idp.set(mode="ok")
    idp.remove("k1")
    idp.add("k4", publish_alg=False)
    idp.extra = [{"kty": "RSA", "use": "enc", "alg": "RSA-OAEP",
                  "kid": "enc", "n": "AQAB", "e": "AQAB"}]
    time.sleep(1.1)
    r = get(gw, idp.token("k4"))
    assert r.status_code == 503 and reason(r) == "keys_unavailable"
    log = gw.error_log()
    assert "has no usable key" in log
    assert re.search(r'JWKS key #0 \(kid "k4"\) has no "alg".*skipped', log)
    assert '"use" is "enc"' in log
    m = metrics(gw)
    assert m['govern_jwks_fetches_total{source="/_jwks",result="invalid"}'] \
        == 2


def test_alg_pins_keys_without_alg(start, idp):
    """Entra ID publishes keys without "alg": alg= pins them."""
    idp.remove("k1")
    idp.add("entra", alg="RS256", publish_alg=False)
    gw = start("alg=RS256 min_refresh=1s")
    assert get(gw, idp.token("entra")).status_code == 200


def test_file_keys_beside_the_provider(start, idp, keys):
    """A location with file keys too verifies them while the provider is
    down, and the provider's keys once it is back."""
    idp.set(mode="error")
    gw = start("min_refresh=1s")
    r = get(gw, keys.token("RS256"), path="/both/version")
    assert r.status_code == 200, r.text
    assert gw.wait_audit(1)[-1]["key_source"] == "file:" + keys.jwks_path

    # a kid in neither: the provider's set is not usable, so the gateway
    # cannot tell: 503
    r = get(gw, idp.token("k1"), path="/both/version")
    assert r.status_code == 503 and reason(r) == "keys_unavailable"

    idp.set(mode="ok")
    time.sleep(1.1)
    r = get(gw, idp.token("k1"), path="/both/version")
    assert r.status_code == 200, r.text
    (rec,) = [rec for rec in gw.wait_audit(3)
              if rec["kid"] == "k1" and rec["status"] == 200]
    assert rec["key_source"] == "request:/_jwks"


def test_client_gone_while_waiting(start, idp):
    """A client that leaves while its request waits for the first load
    takes nothing with it: the fetch completes and serves the next."""
    idp.set(mode="hang")
    gw = start("min_refresh=1s", workers=1, timeout="2s")
    s = socket.create_connection(("127.0.0.1", gw.port))
    s.sendall(b"GET /web/version HTTP/1.1\r\nHost: x\r\nAuthorization: "
              b"Bearer " + idp.token("k1").encode() + b"\r\n\r\n")
    idp.wait_count(1)
    s.close()
    time.sleep(0.2)
    idp.set(mode="ok")
    idp.wait_count(1)
    time.sleep(0.3)
    r = get(gw, idp.token("k1"))
    assert r.status_code == 200, r.text
    assert idp.count() == 1


CONF_BAD = """
    server {
        listen 127.0.0.1:@PORT@;
        location / {
            %s
        }
    }
"""


@pytest.mark.parametrize("directive,message", [
    ("govern_jwt_keys_request jwks;", "the URI of an internal location"),
    ("govern_jwt_keys_request /j alg=none;", 'unknown algorithm "none"'),
    ("govern_jwt_keys_request /j min_refresh=10m refresh=1m;",
     "min_refresh must be at least 1s and at most refresh"),
    ("govern_jwt_keys_request /j min_refresh=500ms;",
     "min_refresh must be at least 1s"),
    ("govern_jwt_keys_request /j stale=x;", 'invalid "stale=x"'),
    ("govern_jwt_keys_request /j color=red;", 'invalid parameter "color=red"'),
    ("govern_jwt_keys_request /j; govern_jwt_keys_request /k;",
     "is duplicate"),
])
def test_nginx_t_refuses(nginx, directive, message):
    gw = nginx(CONF_BAD % directive, start=False)
    gw.expect_bad_log = True                # the [emerg] is the point
    rc, out = gw.test_config()
    assert rc != 0 and message in out, out
    assert "nginx.conf:" in out


def test_nginx_t_other_parameters(nginx):
    gw = nginx(CONF_BAD % "govern_jwt_keys_request /j refresh=1m;"
               "} location /x { govern_jwt_keys_request /j refresh=2m;",
               start=False)
    gw.expect_bad_log = True
    rc, out = gw.test_config()
    assert rc != 0 and "is declared with other parameters" in out, out


def test_nginx_t_accepts_request_keys_alone(nginx):
    gw = nginx(CONF_BAD % ("govern on; govern_jwt_keys_request /j; "
                           "govern_jwt_issuer i; govern_jwt_audience a;"),
               start=False)
    rc, out = gw.test_config()
    assert rc == 0, out


OIDC_CONF = """
    server {
        listen 127.0.0.1:@PORT@;
        govern_audit @PREFIX@/audit.log buffer=0;

        location = /_jwks {
            internal;
            proxy_pass http://127.0.0.1:@OIDC@/jwks;
            proxy_read_timeout 5s;
        }

        location /web/ {
            govern on;
            govern_jwt_keys_request /_jwks;
            govern_jwt_issuer http://127.0.0.1:@OIDC@;
            govern_jwt_audience urn:govern;
            govern_scopes orders:read;
            proxy_pass http://odoo;
        }
    }
"""


@pytest.mark.parametrize("alg", ["ES256", "RS256"])
def test_tokens_of_a_real_openid_provider(nginx, odoo, alg, tmp_path):
    """oidc-provider (npm, certified, offline) issues JWT access tokens
    by client_credentials; the gateway fetches its jwks_uri and verifies
    them."""
    port = harness.free_port()
    log = open(str(tmp_path / "oidc.log"), "w")
    proc = subprocess.Popen(
        ["node", os.path.join(os.path.dirname(__file__), "oidc_idp.mjs"),
         str(port), alg], stdout=log, stderr=subprocess.STDOUT,
        env=dict(os.environ, GOVERN_NPM=os.path.join(
            harness.ROOT, "build", "npm", "node_modules")))
    try:
        harness.wait_port(port, proc=proc)
        r = requests.post("http://127.0.0.1:%d/token" % port,
                          auth=("acme", "acme-secret"),
                          data={"grant_type": "client_credentials",
                                "scope": "orders:read",
                                "resource": "urn:govern"}, timeout=10)
        assert r.status_code == 200, r.text
        token = r.json()["access_token"]

        gw = nginx(OIDC_CONF, odoo=odoo, extra={"OIDC": port})
        r = get(gw, token)
        assert r.status_code == 200, r.text
        rec = gw.wait_audit(1)[-1]
        assert rec["partner"] == "acme"
        assert rec["kid"] == "oidc-" + alg.lower()
        assert rec["key_source"] == "request:/_jwks"
        assert rec["scopes_granted"] == ["orders:read"]

        # its signature altered: refused
        tampered = token[:-4] + ("AAAA" if token[-4:] != "AAAA" else "BBBB")
        r = get(gw, tampered)
        assert r.status_code == 401 and reason(r) == "token_signature"
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()
