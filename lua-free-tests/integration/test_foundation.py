"""The gateway's foundation: loading into stock nginx, correlation ids,
the audit trail across reopen/reload/quit, context across internal
redirects, variables, nginx -t messages and the error-log guard."""

import concurrent.futures
import http.client
import json
import os
import re
import socket
import time

import pytest
import requests

import harness
import tokens


GOVERNED = """
    server {
        listen 127.0.0.1:@PORT@;
        govern_audit @PREFIX@/audit.log buffer=0;
        @JWT@

        location /web/ {
            govern on;
            govern_route odoo-web;
            proxy_pass http://odoo;
        }

        location /jsonrpc {
            govern on;
            proxy_pass http://odoo;
        }

        location /open/ {
            proxy_pass http://odoo/web/;
        }
    }
"""

HEX32 = re.compile(r"^[0-9a-f]{32}$")
TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")

AUDIT_FIELDS = [
    "ts", "v", "request_id", "trace_id", "node", "route", "method", "path",
    "status", "decision", "reason", "partner", "sub", "iss", "kid",
    "key_source", "jti",
    "scopes_required", "scopes_granted", "api_version", "deprecated",
    "odoo", "ratelimit", "revocation", "idempotency_key", "webhook",
    "body_sha256",
    "bytes_in",
    "bytes_out", "upstream_status", "upstream_ms", "total_ms", "client_ip"]


def upstream_headers(odoo, index=-1):
    reqs = odoo.requests()
    assert reqs, "the upstream saw no request"
    return reqs[index]["headers"]


def test_module_loads_into_stock_nginx(nginx, odoo, api):
    gw = nginx(GOVERNED, odoo=odoo, start=False)
    rc, out = gw.test_config()
    assert rc == 0, out
    assert "test is successful" in out
    gw.start()
    r = api.get(gw.url("/web/version"))
    assert r.status_code == 200
    assert r.json()["version"] == "19.0"


def test_generated_request_id_reaches_upstream_and_audit(nginx, odoo, api):
    gw = nginx(GOVERNED, odoo=odoo)
    r = api.get(gw.url("/web/version?debug=1"))
    assert r.status_code == 200
    rid = r.headers["X-Request-Id"]
    assert HEX32.match(rid)
    assert upstream_headers(odoo)["x-request-id"] == rid

    (rec,) = gw.wait_audit(1)
    assert rec["request_id"] == rid
    assert rec["route"] == "odoo-web"
    assert rec["path"] == "/web/version"
    assert rec["decision"] == "allow" and rec["reason"] is None


def test_sane_request_id_is_kept(nginx, odoo, api):
    gw = nginx(GOVERNED, odoo=odoo)
    rid = "Partner-ABC_123.x-" + "9" * 46          # exactly 64 characters
    assert len(rid) == 64
    r = api.get(gw.url("/web/version"), headers={"X-Request-Id": rid})
    assert r.headers["X-Request-Id"] == rid
    assert upstream_headers(odoo)["x-request-id"] == rid
    assert gw.wait_audit(1)[0]["request_id"] == rid


@pytest.mark.parametrize("bad", [
    "has space", "a" * 65, 'quote"d', "semi;colon", "caf\xe9", "a/b", "{x}",
])
def test_invalid_request_id_is_replaced(nginx, odoo, bad, api):
    gw = nginx(GOVERNED, odoo=odoo)
    r = api.get(gw.url("/web/version"),
                     headers={"X-Request-Id": bad.encode("latin-1")})
    rid = r.headers["X-Request-Id"]
    assert rid != bad and HEX32.match(rid)
    assert upstream_headers(odoo)["x-request-id"] == rid
    assert gw.wait_audit(1)[0]["request_id"] == rid


def raw_request(port, head, api=None):
    if api is not None:
        line, rest = head.split("\r\n", 1)
        head = "%s\r\nAuthorization: %s\r\n%s" % (
            line, api.headers["Authorization"], rest)
    with socket.create_connection(("127.0.0.1", port), 5) as s:
        s.sendall(head.encode())
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    return data.decode(errors="replace")


def test_duplicate_request_ids_reach_upstream_as_one_id(nginx, odoo, api):
    gw = nginx(GOVERNED, odoo=odoo)
    resp = raw_request(gw.port,
                       "GET /web/version HTTP/1.1\r\nHost: x\r\n"
                       "X-Request-Id: first-id\r\n"
                       "X-Request-Id: second-id\r\n"
                       "Connection: close\r\n\r\n", api)
    assert "\r\nX-Request-Id: first-id\r\n" in resp
    (req,) = odoo.requests()
    # http.server folds repeated headers into the last one it saw
    assert req["headers"]["x-request-id"] == "first-id"


def test_upstream_request_id_does_not_leak(nginx, odoo, api):
    gw = nginx("""
    server {
        listen 127.0.0.1:@UPSTREAM@;
        location / {
            add_header X-Request-Id upstream-own-id;
            return 200 "ok\\n";
        }
    }
    server {
        listen 127.0.0.1:@PORT@;
        @JWT@
        location / {
            govern on;
            proxy_pass http://127.0.0.1:@UPSTREAM@;
        }
    }
    """, extra={"UPSTREAM": harness.free_port()})
    resp = raw_request(gw.port, "GET / HTTP/1.1\r\nHost: x\r\n"
                                "Connection: close\r\n\r\n", api)
    ids = re.findall(r"(?im)^X-Request-Id: (.*)\r$", resp)
    assert len(ids) == 1 and HEX32.match(ids[0])


def test_valid_traceparent_is_continued(nginx, odoo, api):
    gw = nginx(GOVERNED, odoo=odoo)
    inbound = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"
    api.get(gw.url("/web/version"), headers={"traceparent": inbound})
    tp = TRACEPARENT.match(upstream_headers(odoo)["traceparent"])
    assert tp, "upstream got no valid traceparent"
    assert tp.group(1) == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert tp.group(2) not in ("00f067aa0ba902b7", "0" * 16)
    assert tp.group(3) == "00"
    assert gw.wait_audit(1)[0]["trace_id"] == tp.group(1)


@pytest.mark.parametrize("bad", [
    None,
    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
    "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
    "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
    "garbage",
])
def test_invalid_or_missing_traceparent_starts_a_trace(nginx, odoo, bad, api):
    gw = nginx(GOVERNED, odoo=odoo)
    headers = {"traceparent": bad} if bad else {}
    api.get(gw.url("/web/version"), headers=headers)
    tp = TRACEPARENT.match(upstream_headers(odoo)["traceparent"])
    assert tp
    assert tp.group(1) != "4bf92f3577b34da6a3ce929d0e0e4736"
    assert tp.group(1) != "0" * 32
    assert gw.wait_audit(1)[0]["trace_id"] == tp.group(1)


def test_two_traceparents_start_a_trace_every_copy_carries(nginx, odoo,
                                                           api):
    """Two traceparent headers make the context invalid (W3C): a new trace
    starts, and every copy the upstream would read carries it."""
    gw = nginx(GOVERNED, odoo=odoo)
    first = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    second = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    raw_request(gw.port,
                "GET /web/version HTTP/1.1\r\nHost: x\r\n"
                "traceparent: %s\r\ntraceparent: %s\r\n"
                "Connection: close\r\n\r\n" % (first, second), api)
    # http.server keeps the last copy: the second, unless it was replaced
    tp = TRACEPARENT.match(upstream_headers(odoo)["traceparent"])
    assert tp
    assert tp.group(1) not in (first[3:35], second[3:35])
    assert gw.wait_audit(1)[0]["trace_id"] == tp.group(1)


def test_ungoverned_location_is_untouched(nginx, odoo):
    gw = nginx(GOVERNED, odoo=odoo)
    r = requests.get(gw.url("/open/version"))
    assert r.status_code == 200
    assert "X-Request-Id" not in r.headers
    assert "x-request-id" not in upstream_headers(odoo)
    time.sleep(0.2)
    assert gw.audit() == []


def test_audit_record_shape_and_secrets(nginx, odoo, api, keys):
    gw = nginx(GOVERNED, odoo=odoo)
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "params": {
        "service": "common", "method": "version", "args": []},
        "secret": "body-secret-77"})
    r = api.post(gw.url("/jsonrpc?token=query-secret-55"), data=body,
                 headers={"Cookie": "session_id=cookie-secret-88",
                          "Content-Type": "application/json"})
    assert r.status_code == 200

    token = api.headers["Authorization"].split()[1]
    with open(os.path.join(gw.prefix, "audit.log")) as f:
        raw = f.read()
    for secret in (token, token.split(".")[2], "cookie-secret-88",
                   "body-secret-77", "query-secret-55"):
        assert secret not in raw

    (rec,) = gw.wait_audit(1)
    assert list(rec) == AUDIT_FIELDS
    assert rec["v"] == 1
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", rec["ts"])
    assert rec["method"] == "POST"
    assert rec["path"] == "/jsonrpc"
    assert rec["route"] == "/jsonrpc"
    assert rec["status"] == 200 and rec["upstream_status"] == 200
    assert rec["decision"] == "allow"
    assert rec["client_ip"] == "127.0.0.1"
    assert rec["node"] == socket.gethostname()
    for field in ("bytes_in", "bytes_out", "upstream_ms", "total_ms"):
        assert isinstance(rec[field], int) and rec[field] >= 0, field
    assert rec["bytes_in"] > len(body)
    assert rec["bytes_out"] > len(r.content)
    assert rec["partner"] == "acme" and rec["sub"] == "acme"
    assert rec["iss"] == tokens.ISSUER and rec["kid"] == "rs256"
    assert rec["key_source"] == "file:" + keys.jwks_path
    assert re.match(r"^[0-9a-f]{16}$", rec["jti"])
    assert rec["scopes_required"] is None
    assert rec["scopes_granted"] == ["orders:read", "orders:write"]
    for field in ("api_version", "deprecated", "odoo", "ratelimit",
                  "idempotency_key", "webhook", "body_sha256"):
        assert rec[field] is None, field


def test_audit_escapes_hostile_paths(nginx, odoo, api):
    gw = nginx(GOVERNED, odoo=odoo)
    raw_request(gw.port, 'GET /web/a"b\\c%22\xff\xfe HTTP/1.1\r\n'
                         "Host: x\r\nConnection: close\r\n\r\n"
                         .encode("latin-1").decode("latin-1"), api)
    (rec,) = gw.wait_audit(1)
    assert rec["path"].startswith('/web/a"b\\c%22')


def test_request_refused_by_nginx_is_audited(nginx, odoo, api):
    gw = nginx("""
    server {
        listen 127.0.0.1:@PORT@;
        govern_audit @PREFIX@/audit.log buffer=0;
        @JWT@
        client_max_body_size 10;
        location /jsonrpc {
            govern on;
            proxy_pass http://odoo;
        }
    }
    """, odoo=odoo)
    r = api.post(gw.url("/jsonrpc"), data="x" * 100)
    assert r.status_code == 413
    rid = r.headers["X-Request-Id"]
    (rec,) = gw.wait_audit(1)
    assert rec["status"] == 413 and rec["decision"] == "deny"
    assert rec["request_id"] == rid
    assert rec["upstream_status"] is None
    assert odoo.requests() == []


def test_context_survives_internal_redirect(nginx, odoo, api):
    gw = nginx("""
    server {
        listen 127.0.0.1:@PORT@;
        govern_audit @PREFIX@/audit.log buffer=0;
        @JWT@
        location /web/ {
            govern on;
            govern_route web;
            proxy_pass http://odoo;
            proxy_intercept_errors on;
            error_page 404 = /fallback;
        }
        location = /fallback {
            return 200 "$govern_request_id $govern_decision $govern_route";
        }
    }
    """, odoo=odoo)
    r = api.get(gw.url("/web/no-such-page"))
    assert r.status_code == 200
    rid = r.headers["X-Request-Id"]
    assert r.text == "%s allow web" % rid
    assert upstream_headers(odoo)["x-request-id"] == rid
    (rec,) = gw.wait_audit(1)
    assert rec["request_id"] == rid and rec["upstream_status"] == 404


def test_variables(nginx, odoo, api):
    gw = nginx("""
    log_format vars '$govern_decision|$govern_route|$govern_request_id|'
                    '$govern_trace_id|$govern_reason|$govern_partner|'
                    '$govern_scopes|$govern_ratelimit_remaining';
    server {
        listen 127.0.0.1:@PORT@;
        access_log @PREFIX@/vars.log vars;
        @JWT@
        location /web/ {
            govern on;
            govern_route web;
            proxy_pass http://odoo;
        }
        location /open/ {
            proxy_pass http://odoo/web/;
        }
    }
    """, odoo=odoo)
    r = api.get(gw.url("/web/version"))
    requests.get(gw.url("/open/version"))
    tp = TRACEPARENT.match(upstream_headers(odoo, 0)
                           ["traceparent"])
    time.sleep(0.2)
    with open(os.path.join(gw.prefix, "vars.log")) as f:
        lines = f.read().splitlines()
    assert lines[0] == "allow|web|%s|%s|-|acme|orders:read orders:write|-" % (
        r.headers["X-Request-Id"], tp.group(1))
    assert lines[1] == "-|-|-|-|-|-|-|-"


def test_audit_reopen(nginx, odoo, api):
    gw = nginx(GOVERNED.replace("buffer=0", "buffer=64k flush=1h"),
               odoo=odoo)
    for _ in range(5):
        api.get(gw.url("/web/version"))
    audit = os.path.join(gw.prefix, "audit.log")
    os.rename(audit, audit + ".1")
    gw.ctl("reopen")                     # flushes, then reopens
    deadline = time.monotonic() + 5
    while not os.path.exists(audit) and time.monotonic() < deadline:
        time.sleep(0.02)
    for _ in range(3):
        api.get(gw.url("/web/version"))
    assert len(gw.audit("audit.log.1")) == 5
    gw.stop()
    assert len(gw.audit("audit.log")) == 3


def test_buffered_audit_flushed_on_quit(nginx, odoo, api):
    gw = nginx(GOVERNED.replace("buffer=0", "buffer=64k flush=1h"),
               odoo=odoo)
    for _ in range(10):
        api.get(gw.url("/web/version"))
    time.sleep(0.2)
    assert gw.audit() == [], "records should still be buffered"
    gw.stop()
    assert len(gw.audit()) == 10


def test_buffered_audit_flushed_by_timer(nginx, odoo, api):
    gw = nginx(GOVERNED.replace("buffer=0", "buffer=64k flush=200ms"),
               odoo=odoo)
    api.get(gw.url("/web/version"))
    assert len(gw.wait_audit(1, timeout=3)) == 1


def test_no_record_lost_or_duplicated_across_reloads(nginx, odoo, api):
    """2,000 concurrent requests while nginx -s reload runs three times."""
    gw = nginx(GOVERNED.replace("buffer=0", "buffer=64k flush=1s"),
               odoo=odoo, workers=2)
    total = 2000
    first_workers = gw.worker_pids()

    def call(i):
        conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=30)
        try:
            conn.request("GET", "/web/version?i=%d" % i,
                         headers={"X-Request-Id": "load-%d" % i,
                                  "Authorization":
                                      api.headers["Authorization"],
                                  "Connection": "close"})
            resp = conn.getresponse()
            resp.read()
            return resp.status, resp.getheader("X-Request-Id")
        finally:
            conn.close()

    with concurrent.futures.ThreadPoolExecutor(32) as pool:
        futures = [pool.submit(call, i) for i in range(total)]
        for n in range(3):
            while sum(f.done() for f in futures) < (n + 1) * total // 4:
                time.sleep(0.01)
            gw.reload()
        results = [f.result() for f in futures]

    assert all(status == 200 for status, _ in results)
    assert [rid for _, rid in results] == ["load-%d" % i for i in range(total)]
    assert not gw.worker_pids() & first_workers, "no reload happened"
    gw.stop()
    records = gw.audit()
    assert len(records) == total
    assert sorted(r["request_id"] for r in records) == \
        sorted("load-%d" % i for i in range(total))


BAD_CONFIGS = [
    ("govern maybe;",
     'invalid value "maybe" in "govern" directive, it must be "on" or "off"'),
    ("govern_audit @PREFIX@/a.log buffer=lots;",
     'invalid audit buffer size "lots"'),
    ("govern_audit @PREFIX@/a.log flush=0;", 'invalid audit flush time "0"'),
    ("govern_audit @PREFIX@/a.log sideways;", 'invalid parameter "sideways"'),
    ("govern_audit off extra;",
     '"govern_audit" directive takes no parameters after "off"'),
    ("govern_audit @PREFIX@/a.log; govern_audit @PREFIX@/b.log;",
     '"govern_audit" directive is duplicate'),
    ("govern_route x;", '"govern_route" directive is not allowed here'),
]


@pytest.mark.parametrize("directive,message", BAD_CONFIGS)
def test_nginx_t_refuses_bad_config(nginx, directive, message):
    gw = nginx("""
    server {
        listen 127.0.0.1:@PORT@;
        %s
        location / { return 204; }
    }
""" % directive, start=False)
    rc, out = gw.test_config()
    assert rc != 0
    line = [l for l in out.splitlines() if "[emerg]" in l]
    assert line, out
    expected = "%s in %s:" % (gw.render(message), gw.conf)
    assert expected in line[0], line[0]
    gw.expect_bad_log = True                # the [emerg] is the point


def test_error_log_guard_catches_alerts(nginx):
    """The guard fails a test on [alert]: provoke a real one by running a
    worker out of connections while upstreams hold them busy."""
    hole = socket.socket()
    hole.bind(("127.0.0.1", 0))
    hole.listen(64)                         # accepts, never answers
    gw = nginx("""
    server {
        listen 127.0.0.1:@PORT@;
        location / { proxy_pass http://127.0.0.1:@HOLE@; }
    }
    """, connections=4, extra={"HOLE": hole.getsockname()[1]})
    socks = []
    try:
        for _ in range(6):
            s = socket.create_connection(("127.0.0.1", gw.port))
            s.sendall(b"GET / HTTP/1.0\r\n\r\n")
            socks.append(s)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            bad = harness.bad_log_lines(gw.error_log())
            if bad:
                break
            time.sleep(0.05)
    finally:
        for s in socks:
            s.close()
        hole.close()
    assert any("[alert]" in line and "worker_connections are not enough"
               in line for line in bad)
    gw.expect_bad_log = True


def test_error_log_guard_patterns():
    assert harness.bad_log_lines("2026/01/01 [crit] 1#1: x\n"
                                 "2026/01/01 [info] 1#1: y\n"
                                 "==1==ERROR: AddressSanitizer: heap\n"
                                 "worker process 9 exited on signal 11\n"
                                 "[emerg] z\n") == [
        "2026/01/01 [crit] 1#1: x", "==1==ERROR: AddressSanitizer: heap",
        "worker process 9 exited on signal 11", "[emerg] z"]
