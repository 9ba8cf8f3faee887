"""Odoo-aware governance end to end against the fake Odoo: the retail
calls partners make on both protocols, the policy's refusals in the shape
Odoo clients expect, and the call log showing what reached Odoo."""

import json
import os
import time

import pytest
import requests

import harness

KEY = json.load(open(os.path.join(harness.ROOT, "config",
                                  "odoo-credentials.json")))["acme"]["api_key"]

RULES = """
            govern_odoo_allow product.product search_read scope=catalog:read;
            govern_odoo_allow stock.quant search_read scope=catalog:read;
            govern_odoo_allow res.partner create scope=customers:write;
            govern_odoo_allow sale.order create,action_confirm
                              scope=orders:write;
            govern_odoo_allow stock.picking search_read,read
                              scope=orders:read;
            govern_odoo_allow account.move search_read scope=invoices:read;
            govern_odoo_max_records 100;
"""

CONF = """
    server {
        listen 127.0.0.1:@PORT@;
        govern_audit @PREFIX@/audit.log buffer=0;
        @JWT@

        location = /jsonrpc {
            govern on;
            govern_odoo jsonrpc;
            @RULES@
            proxy_pass http://odoo;
        }

        location /web/dataset/ {
            govern on;
            govern_odoo jsonrpc;
            @RULES@
            proxy_pass http://odoo;
        }

        location /json/2/ {
            govern on;
            govern_odoo json2;
            # until credential mediation: the partner token comes in its
            # own header and Odoo's key passes through
            govern_jwt_token $http_x_partner_token;
            govern_jwt_forward on;
            @RULES@
            proxy_pass http://odoo;
        }
    }
"""

SCOPES = "catalog:read customers:write orders:write orders:read " \
         "invoices:read"


@pytest.fixture
def gw(nginx, odoo):
    return nginx(CONF, odoo=odoo, extra={"RULES": RULES})


@pytest.fixture
def token(keys):
    return keys.token("RS256", scope=SCOPES)


def rpc(gw, token, model, method, args, kwargs=None, rid=1, uid=7, key=KEY):
    params = {"service": "object", "method": "execute_kw",
              "args": ["retail", uid, key, model, method, args]
              + ([kwargs] if kwargs is not None else [])}
    r = requests.post(gw.url("/jsonrpc"),
                      json={"jsonrpc": "2.0", "method": "call", "id": rid,
                            "params": params},
                      headers={"Authorization": "Bearer " + token})
    assert r.status_code == 200, (model, method, r.text)
    return r.json()


def j2(gw, token, model, method, body):
    return requests.post(gw.url("/json/2/%s/%s" % (model, method)),
                         json=body,
                         headers={"X-Partner-Token": token,
                                  "Authorization": "bearer " + KEY})


def test_retail_flow_jsonrpc(gw, odoo, token):
    r = rpc(gw, token, "product.product", "search_read",
            [[["sale_ok", "=", True]]],
            {"fields": ["default_code", "qty_available"], "limit": 10})
    assert [p["default_code"] for p in r["result"]] == ["SKU-001", "SKU-002"]
    r = rpc(gw, token, "stock.quant", "search_read", [[]],
            {"fields": ["quantity"], "limit": 10})
    assert len(r["result"]) == 2
    partner = rpc(gw, token, "res.partner", "create",
                  [{"name": "Jane Doe", "email": "jane@example.com"}])
    assert isinstance(partner["result"], int)
    order = rpc(gw, token, "sale.order", "create",
                [{"partner_id": partner["result"],
                  "order_line": [[0, 0, {"product_id": 1,
                                         "product_uom_qty": 2}]]}],
                {"context": {"lang": "en_US"}})
    assert rpc(gw, token, "sale.order", "action_confirm",
               [[order["result"]]])["result"] is True
    picks = rpc(gw, token, "stock.picking", "search_read",
                [[["sale_id", "=", order["result"]]]],
                {"fields": ["state"], "limit": 5})
    assert picks["result"][0]["state"] == "assigned"
    inv = rpc(gw, token, "account.move", "search_read",
              [[["move_type", "=", "out_invoice"]]],
              {"fields": ["name"], "limit": 50})
    assert inv["result"][0]["name"] == "INV/2026/00001"

    calls = [(c["model"], c["method"]) for c in odoo.calls()]
    assert ("sale.order", "action_confirm") in calls
    recs = gw.wait_audit(7)
    assert recs[3]["odoo"] == {"db": "retail", "model": "sale.order",
                               "method": "create", "records": 2,
                               "clamped": False, "protocol": "jsonrpc"}
    assert recs[0]["odoo"]["records"] == 10


def test_retail_flow_json2(gw, odoo, token):
    r = j2(gw, token, "product.product", "search_read",
           {"domain": [["sale_ok", "=", True]], "fields": ["default_code"],
            "limit": 10})
    assert r.status_code == 200 and len(r.json()) == 2
    r = j2(gw, token, "sale.order", "create",
           {"vals_list": [{"partner_id": 3, "order_line": [
               [0, 0, {"product_id": 1, "product_uom_qty": 1}]]}]})
    assert r.status_code == 200
    (oid,) = r.json()
    r = j2(gw, token, "sale.order", "action_confirm", {"ids": [oid]})
    assert r.status_code == 200 and r.json() is True
    r = j2(gw, token, "stock.picking", "read",
           {"ids": [1], "fields": ["state"]})
    assert r.json()[0]["state"] == "assigned"
    rec = gw.wait_audit(4)[1]
    assert rec["odoo"]["model"] == "sale.order" and rec["odoo"]["db"] is None


def jsonrpc_refused(resp, name, rid=1):
    assert resp["id"] == rid
    err = resp["error"]
    assert err["code"] == 200 and err["message"] == "Odoo Server Error"
    assert err["data"]["name"] == name
    return err["data"]


@pytest.mark.parametrize("model,method,args,kwargs,why", [
    ("res.partner", "unlink", [[1]], None, "no rule allows"),
    ("res.users", "write", [[7], {"name": "x"}], None, "no rule allows"),
    ("res.partner", "_compute_display_name", [[1]], None, "private"),
    ("res.users.apikeys", "search_read", [[]], None, "API keys"),
    ("sale.order", "create", [{"partner_id": 3}],
     {"context": {"allowed_company_ids": [2]}}, "allowed_company_ids"),
    ("sale.order", "create", [{"partner_id": 3}],
     {"context": {"default_user_id": 2}}, "default_user_id"),
    ("product.product", "search_read", [[]], {"fields": ["name"]},
     "without a limit"),
    ("product.product", "search_read", [[]], {"limit": 500},
     "more records"),
    ("sale.order", "create",
     [{"partner_id": 3, "order_line": [[0, 0, {"product_id": 1}]] * 120}],
     None, "more records"),
])
def test_policy_refusals_jsonrpc(gw, odoo, token, model, method, args,
                                 kwargs, why):
    data = jsonrpc_refused(rpc(gw, token, model, method, args, kwargs, rid=9),
                           "odoo.exceptions.AccessError", rid=9)
    assert why in data["message"]
    assert data["reason"] == "odoo_denied"
    assert odoo.calls() == [] and odoo.requests() == []
    assert gw.wait_audit(1)[0]["reason"] == "odoo_denied"


def test_outside_the_partners_scopes(gw, odoo, keys):
    token = keys.token("RS256", scope="catalog:read")
    data = jsonrpc_refused(rpc(gw, token, "sale.order", "create",
                               [{"partner_id": 3}]),
                           "odoo.exceptions.AccessError")
    assert "sale.order.create" in data["message"]
    assert odoo.requests() == []


def test_db_service_and_logins_never_pass(gw, odoo, token):
    for service, method, args in [("db", "list", []),
                                  ("db", "drop", ["admin", "retail"]),
                                  ("common", "login",
                                   ["retail", "admin", "admin"]),
                                  ("common", "authenticate",
                                   ["retail", "admin", "admin", {}])]:
        r = requests.post(gw.url("/jsonrpc"), json={
            "jsonrpc": "2.0", "id": 3, "params": {
                "service": service, "method": method, "args": args}},
            headers={"Authorization": "Bearer " + token})
        jsonrpc_refused(r.json(), "odoo.exceptions.AccessError", rid=3)
    assert odoo.requests() == []
    r = requests.post(gw.url("/jsonrpc"), json={
        "jsonrpc": "2.0", "id": 4, "params": {
            "service": "common", "method": "version", "args": []}},
        headers={"Authorization": "Bearer " + token})
    assert r.json()["result"]["server_version"] == "19.0"


def test_call_kw_url_cannot_lie(gw, odoo, token):
    # the URL names an allowed model, the body a forbidden one
    r = requests.post(gw.url("/web/dataset/call_kw/product.product/"
                             "search_read"),
                      json={"jsonrpc": "2.0", "id": 5, "params": {
                          "model": "res.users", "method": "write",
                          "args": [[2], {"login": "x"}], "kwargs": {}}},
                      headers={"Authorization": "Bearer " + token})
    data = jsonrpc_refused(r.json(), "odoo.exceptions.AccessError", rid=5)
    assert "res.users.write" in data["message"]
    assert odoo.requests() == []


@pytest.mark.parametrize("model,method,body,why", [
    # a search's containers are read only when the policy needs them
    ("product.product", "search_read",
     {"domain": [["default_code", "in", ["A", "B"]]], "limit": 5,
      "context": {"lang": "en_US", "allowed_company_ids": [2]}},
     "allowed_company_ids"),
    ("stock.picking", "read",
     {"ids": list(range(1, 102)), "fields": ["state"]}, "more records"),
    ("sale.order", "action_confirm", {"ids": [1.0] * 101}, "more records"),
    ("sale.order", "action_confirm", {"ids": [1, "2"]},
     "400 record ids must be integers"),
])
def test_json2_policy_reads_what_it_needs(gw, odoo, token, model, method,
                                          body, why):
    r = j2(gw, token, model, method, body)
    status, why = why.split(" ", 1) if why[:3] == "400" else ("403", why)
    assert r.status_code == int(status) and why in r.json()["message"], r.text
    assert odoo.requests() == []


def test_json2_refusals(gw, odoo, token):
    r = j2(gw, token, "res.users", "write", {"ids": [2], "vals": {}})
    assert r.status_code == 403
    body = r.json()
    assert body["name"] == "odoo.exceptions.AccessError"
    assert body["arguments"][1] == 403 and body["reason"] == "odoo_denied"
    r = j2(gw, token, "sale.order", "create",
           {"vals_list": [{"partner_id": 3}],
            "context": {"active_test": False}})
    assert r.status_code == 403 and "active_test" in r.json()["message"]
    r = j2(gw, token, "product.product", "search_read", {"domain": []})
    assert r.status_code == 403 and "limit" in r.json()["message"]
    r = requests.post(gw.url("/json/2/sale.order"), json={},
                      headers={"X-Partner-Token": token})
    assert r.status_code == 400
    assert r.json()["name"] == "werkzeug.exceptions.BadRequest"
    assert odoo.requests() == []


def test_refusals_before_the_body_use_odoo_shapes(gw, odoo, keys):
    r = requests.post(gw.url("/jsonrpc"), json={"jsonrpc": "2.0", "id": 1},
                      headers={"Authorization": "Bearer nope"})
    assert r.status_code == 200
    assert r.json()["id"] is None
    assert r.json()["error"]["data"]["name"] == \
        "odoo.exceptions.AccessDenied"
    assert r.json()["error"]["data"]["reason"] == "token_malformed"
    r = requests.post(gw.url("/json/2/res.partner/search_read"), json={})
    assert r.status_code == 401
    assert r.json()["name"] == "werkzeug.exceptions.Unauthorized"
    assert odoo.requests() == []


def test_malformed_jsonrpc(gw, odoo, token):
    for body in ([1, 2], {"jsonrpc": "2.0", "id": 2, "params": []},
                 {"jsonrpc": "2.0", "id": 2, "params": {
                     "service": "object", "method": "execute_kw",
                     "args": ["retail", 7]}}):
        r = requests.post(gw.url("/jsonrpc"), json=body,
                          headers={"Authorization": "Bearer " + token})
        assert r.status_code == 200
        err = r.json()["error"]["data"]
        assert err["name"] == "odoo.exceptions.ValidationError"
        assert err["reason"] == "odoo_malformed"
    assert odoo.requests() == []


@pytest.mark.parametrize("line,message", [
    ("govern_odoo maybe;", 'invalid value "maybe"'),
    ("govern_odoo_allow sale.order create orders:write;",
     'invalid parameter "orders:write", it must be scope=SCOPE'),
    ("govern_odoo_allow sale.order create,,write scope=a;",
     'invalid method list'),
    ("govern_odoo_allow sale.order _private scope=a;",
     'invalid method list'),
    ("govern_odoo_max_records none;", 'invalid number of records "none"'),
    ("govern_odoo_allow a.b,c.d read scope=x;",
     'invalid model "a.b,c.d", one model per rule'),
])
def test_nginx_t_odoo(nginx, line, message):
    gw = nginx("""
    server {
        listen 127.0.0.1:@PORT@;
        @JWT@
        location /json/2/ {
            govern on;
            %s
            proxy_pass http://odoo;
        }
    }
""" % line, start=False)
    rc, out = gw.test_config()
    gw.expect_bad_log = True
    assert rc != 0 and message in out, out


MEDIATED = """
    govern_odoo_credentials @PREFIX@/odoo-credentials.json;
    server {
        listen 127.0.0.1:@PORT@;
        govern_audit @PREFIX@/audit.log buffer=0;
        error_log @PREFIX@/debug.log debug;
        @JWT@

        location = /jsonrpc {
            govern on;
            govern_odoo jsonrpc;
            @RULES@
            proxy_pass http://odoo;
        }

        location /json/2/ {
            govern on;
            govern_odoo json2;
            @RULES@
            proxy_pass http://odoo;
        }

        location /web/dataset/ {
            govern on;
            govern_odoo jsonrpc;
            @RULES@
            proxy_pass http://odoo;
        }
    }
"""


def mediated(nginx, odoo, mode=0o600):
    gw = nginx(MEDIATED, odoo=odoo, extra={"RULES": RULES}, start=False)
    gw.install_credentials(mode)
    return gw


def test_credentials_are_injected_jsonrpc(nginx, odoo, token):
    gw = mediated(nginx, odoo).start()
    # the partner claims the admin account: the mapped bot is used instead
    r = rpc(gw, token, "res.partner", "create", [{"name": "Via gateway"}],
            uid=2, key="admin")
    assert isinstance(r["result"], int), r
    (call,) = odoo.calls()
    assert call["uid"] == 7 and call["db"] == "retail"
    assert call["credential"] == KEY[:8]
    (req,) = odoo.requests()
    body = req["body_len"]
    assert body > 0
    # the key stays out of the audit trail and the logs
    with open(os.path.join(gw.prefix, "audit.log")) as f:
        assert KEY not in f.read()
    assert KEY not in gw.error_log()
    with open(os.path.join(gw.prefix, "debug.log")) as f:
        assert KEY not in f.read()
    assert gw.wait_audit(1)[0]["odoo"]["db"] == "retail"


def test_credentials_rewrite_keeps_the_partners_bytes(nginx, odoo, token):
    """Only execute_kw's db, uid and key change: spacing, key order,
    escapes and numbers reach Odoo exactly as the partner wrote them."""
    import hashlib
    gw = mediated(nginx, odoo).start()
    template = ('{ "params" : {"args":[ %s ,\t%s , %s, "product.product",'
                ' "search_read", [[["name", "ilike", "T-shirt \\u00e9\\/"],'
                ' ["list_price", ">=", -1E1]]],'
                ' {"limit": 10, "fields": ["name"]}], "method": '
                '"execute_kw", "service": "object"},\n"id": 1.50,'
                ' "jsonrpc": "2.0", "method": "call" }')
    sent = template % ('"someone-else"', "2", '"admin"')
    r = requests.post(gw.url("/jsonrpc"), data=sent.encode(),
                      headers={"Authorization": "Bearer " + token,
                               "Content-Type": "application/json"})
    assert r.status_code == 200 and "result" in r.json(), r.text
    assert r.json()["id"] == 1.5
    want = (template % ('"retail"', "7", json.dumps(KEY))).encode()
    (req,) = odoo.requests()
    assert req["body_len"] == len(want)
    assert req["body_sha256"] == hashlib.sha256(want).hexdigest()
    assert int(req["headers"]["content-length"]) == len(want)


def test_credentials_rewrite_is_resent_whole_on_retry(nginx, odoo, token):
    """The rewritten body is a chain around the partner's buffer: when the
    first upstream drops the connection after reading it, nginx sends it
    again to the next one, from its first byte."""
    import hashlib
    import socket
    import threading

    dropper = socket.socket()
    dropper.bind(("127.0.0.1", 0))
    dropper.listen(4)
    seen = []

    def drop():
        conn, _ = dropper.accept()
        conn.settimeout(5)
        data = b""
        while b"jsonrpc" not in data.split(b"\r\n\r\n", 1)[-1]:
            chunk = conn.recv(65536)
            if not chunk:
                break
            data += chunk
        seen.append(data)
        conn.close()

    thread = threading.Thread(target=drop, daemon=True)
    thread.start()
    conf = MEDIATED.replace("proxy_pass http://odoo;",
                            "proxy_pass http://retry;\n"
                            "            proxy_next_upstream error "
                            "non_idempotent;")
    conf = ("upstream retry { server 127.0.0.1:%d max_fails=0; "
            "server 127.0.0.1:@ODOO@ max_fails=0; }\n" % dropper.getsockname()[1]
            + conf)
    gw = nginx(conf, odoo=odoo, extra={"RULES": RULES}, start=False)
    gw.install_credentials()
    gw.start()
    try:
        body = json.dumps({
            "jsonrpc": "2.0", "method": "call", "id": 3, "params": {
                "service": "object", "method": "execute_kw",
                "args": ["someone-else", 2, "admin", "product.product",
                         "search_read", [[]], {"limit": 5}]}}).encode()
        for _ in range(2):      # round robin: one of them meets the dropper
            r = requests.post(gw.url("/jsonrpc"), data=body,
                              headers={"Authorization": "Bearer " + token,
                                       "Content-Type": "application/json"})
            assert r.status_code == 200 and "result" in r.json(), r.text
        thread.join(5)
        assert seen, "the first upstream was never tried"
        reqs = odoo.requests()
        assert len(reqs) == 2
        first = seen[0].split(b"\r\n\r\n", 1)[1]
        for req in reqs:
            assert req["body_sha256"] == hashlib.sha256(first).hexdigest()
            assert int(req["headers"]["content-length"]) == len(first)
        assert b'"retail"' in first and b'"admin"' not in first
    finally:
        dropper.close()


def test_call_kw_is_not_rewritten(nginx, odoo, token):
    """call_kw runs on the caller's Odoo session: its positional args are
    the method's own (a domain, fields, offset, limit), never db, uid and
    key, so the body reaches Odoo as sent and holds no key."""
    import hashlib
    gw = mediated(nginx, odoo).start()
    sent = json.dumps({"jsonrpc": "2.0", "method": "call", "id": 4,
                       "params": {"model": "product.product",
                                  "method": "search_read",
                                  "args": [[["sale_ok", "=", True]],
                                           ["name"], 0, 5],
                                  "kwargs": {}}}).encode()
    requests.post(gw.url("/web/dataset/call_kw"), data=sent,
                  headers={"Authorization": "Bearer " + token,
                           "Content-Type": "application/json"})
    (req,) = odoo.requests()
    assert req["body_sha256"] == hashlib.sha256(sent).hexdigest()
    assert int(req["headers"]["content-length"]) == len(sent)


def test_credentials_are_injected_json2(nginx, odoo, token):
    gw = mediated(nginx, odoo).start()
    r = requests.post(gw.url("/json/2/product.product/search_read"),
                      json={"domain": [], "fields": ["name"], "limit": 5},
                      headers={"Authorization": "Bearer " + token})
    assert r.status_code == 200 and len(r.json()) == 3
    (req,) = odoo.requests()
    assert req["headers"]["authorization"] == "bearer " + KEY
    assert req["headers"]["x-odoo-database"] == "retail"


def test_partner_without_credentials(nginx, odoo, keys):
    gw = mediated(nginx, odoo).start()
    token = keys.token("RS256", sub="stranger", scope=SCOPES)
    data = jsonrpc_refused(rpc(gw, token, "res.partner", "create",
                               [{"name": "x"}]),
                           "odoo.exceptions.AccessError")
    assert "no Odoo credentials" in data["message"]
    assert odoo.requests() == []


def test_credentials_file_is_read_again_on_reload(nginx, odoo, keys):
    """Partners are looked up among several mappings, and nginx -s reload
    picks up a changed file: a partner added, another removed."""
    creds = json.load(open(os.path.join(harness.ROOT, "config",
                                        "odoo-credentials.json")))
    gw = mediated(nginx, odoo)
    path = os.path.join(gw.prefix, "odoo-credentials.json")

    def write(partners):
        with open(path, "w") as f:
            json.dump({p: creds[p] for p in partners}, f)

    def create_as(partner):
        token = keys.token("RS256", sub=partner, scope=SCOPES)
        return rpc(gw, token, "res.partner", "create", [{"name": partner}])

    def reload_until(partner, mapped):
        gw.reload()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            r = create_as(partner)
            if ("result" in r) == mapped:
                return r
            time.sleep(0.1)
        raise AssertionError("reload did not change %s's mapping" % partner)

    write(["acme"])
    gw.start()
    assert "result" in create_as("acme")
    assert "no Odoo credentials" in create_as("globex")["error"]["data"][
        "message"]
    write(["acme", "globex"])
    reload_until("globex", True)
    assert [c["uid"] for c in odoo.calls()] == [7, 8]
    write(["globex"])
    reload_until("acme", False)     # old workers may serve acme meanwhile
    assert "result" in create_as("globex")
    assert odoo.calls()[-1]["uid"] == 8


def test_world_readable_credentials_fail_nginx_t(nginx, odoo):
    gw = mediated(nginx, odoo, mode=0o644)
    rc, out = gw.test_config()
    gw.expect_bad_log = True
    assert rc != 0
    assert ("is accessible by group or others: it holds Odoo keys, "
            "chmod 600 it") in out


IDEM = """
    govern_redis 127.0.0.1:@REDIS@ timeout=500ms;
    govern_odoo_credentials @PREFIX@/odoo-credentials.json;
    server {
        listen 127.0.0.1:@PORT@;
        govern_audit @PREFIX@/audit.log buffer=0;
        @JWT@

        location /json/2/ {
            govern on;
            govern_odoo json2;
            govern_idempotency @MODE@ ttl=1h;
            @RULES@
            proxy_pass http://odoo;
        }
    }
"""


def idem_gw(nginx, odoo, redis, mode="required"):
    gw = nginx(IDEM, odoo=odoo, start=False,
               extra={"RULES": RULES, "REDIS": redis.port, "MODE": mode})
    gw.install_credentials()
    return gw.start()


ORDER = {"vals_list": [{"partner_id": 3, "order_line": [
    [0, 0, {"product_id": 1, "product_uom_qty": 2}]]}]}


def create(gw, token, key, body=ORDER):
    headers = {"Authorization": "Bearer " + token}
    if key:
        headers["Idempotency-Key"] = key
    return requests.post(gw.url("/json/2/sale.order/create"), json=body,
                         headers=headers, timeout=10)


@pytest.fixture
def redis(tmp_path):
    server = harness.Redis(str(tmp_path))
    yield server
    server.stop()


def test_concurrent_retries_create_one_order(nginx, odoo, token, redis):
    import concurrent.futures
    gw = idem_gw(nginx, odoo, redis)
    odoo.control("faults", {"latency_ms": 300})
    with concurrent.futures.ThreadPoolExecutor(10) as pool:
        results = list(pool.map(lambda _: create(gw, token, "order-42"),
                                range(10)))
    odoo.control("faults", {"latency_ms": 0})
    codes = sorted(r.status_code for r in results)
    assert codes.count(200) >= 1
    assert all(c in (200, 409) for c in codes), codes
    created = [c for c in odoo.calls() if c["method"] == "create"]
    assert len(created) == 1
    orders = odoo.control("records/sale.order")
    assert len(orders) == 1
    # a retry after completion: the same answer, not a second order
    first = [r for r in results
             if r.status_code == 200 and "Idempotency-Replayed"
             not in r.headers]
    assert len(first) == 1
    again = create(gw, token, "order-42")
    assert again.status_code == 200
    assert again.headers["Idempotency-Replayed"] == "true"
    assert again.content == first[0].content
    assert again.headers["Content-Type"] == first[0].headers["Content-Type"]
    assert len([c for c in odoo.calls() if c["method"] == "create"]) == 1
    conflicts = [r for r in results if r.status_code == 409]
    for r in conflicts:
        assert r.json()["reason"] == "idempotency_conflict"
        assert r.json()["name"] == "werkzeug.exceptions.HTTPException"


def test_changed_payload_and_missing_key(nginx, odoo, token, redis):
    gw = idem_gw(nginx, odoo, redis)
    assert create(gw, token, "k1").status_code == 200
    other = {"vals_list": [{"partner_id": 3, "order_line": []}]}
    r = create(gw, token, "k1", other)
    assert r.status_code == 422
    assert r.json()["reason"] == "idempotency_mismatch"
    r = create(gw, token, None)
    assert r.status_code == 400
    assert r.json()["reason"] == "idempotency_required"
    assert len(odoo.control("records/sale.order")) == 1
    rec = gw.wait_audit(3)[0]
    assert rec["idempotency_key"] == "k1"


def test_upstream_failure_releases_the_key(nginx, odoo, token, redis):
    gw = idem_gw(nginx, odoo, redis)
    odoo.control("faults", {"fail_500": 1})
    r = create(gw, token, "k500")
    assert r.status_code == 500
    time.sleep(0.2)             # the release is sent after the response
    r = create(gw, token, "k500")
    assert r.status_code == 200 and "Idempotency-Replayed" not in r.headers
    assert len(odoo.control("records/sale.order")) == 1


def test_optional_mode_and_redis_down(nginx, odoo, token, redis):
    gw = idem_gw(nginx, odoo, redis, mode="optional")
    assert create(gw, token, None).status_code == 200
    redis.stop()
    time.sleep(0.3)
    r = create(gw, token, "k-down")
    assert r.status_code == 503
    assert r.json()["reason"] == "idempotency_unavailable"
    assert len(odoo.control("records/sale.order")) == 1
