"""The Odoo policy is closed-world (issue 12): no call shape escapes the
allow rules or the record cap.  Each bypass found in issue 12 is sent
through real nginx to the fake Odoo, which dispatches and counts as Odoo
does (scripts/fake_odoo.py): a refusal must carry its reason and Odoo's
error shape, and the fake Odoo must not have received the request; an
allowed call must reach it with what the gateway counted (the limit it
saw after clamping, the records it created)."""

import http.client
import json
import re
import os

import pytest
import requests

import harness

KEY = json.load(open(os.path.join(harness.ROOT, "config",
                                  "odoo-credentials.json")))["acme"]["api_key"]
SCOPES = "catalog:read orders:write customers:write"
TIMEOUT = 10

# the refusals' messages, as docs/DESIGN.md gives them
MORE = "the call touches more records than allowed"
UNLIMITED = "a search without a limit reaches every record"
GROUPED = "a grouped read aggregates every record its domain matches"
UNKNOWN = ("the gateway does not know this method's shape (declare it "
           "with govern_odoo_method)")
NOT_RPC = "not an Odoo RPC endpoint"
RAW_PATH = ("the path must be sent as is: no percent-encoding, dot segments "
            "or repeated slashes")
BAD_IDS = "record ids must be integers"
BAD_CODE = "an x2many command code must be 0 to 6"
BAD_LIMIT = "a search's limit must be a non-negative integer"

ALLOW = """
            govern_odoo_allow product.product
                search_read,search_fetch,search,name_search,read
                scope=catalog:read;
            govern_odoo_allow sale.order create,write,read
                scope=orders:write;
            govern_odoo_allow res.partner create,write scope=customers:write;
"""

GROUPS = """
            govern_odoo_method product.product read_group group=4;
            govern_odoo_method product.product formatted_read_group group=5;
            govern_odoo_method product.product web_read_group group=3;
            govern_odoo_method res.partner address_get records;
            govern_odoo_allow product.product
                read_group,formatted_read_group,web_read_group
                scope=catalog:read;
            govern_odoo_allow res.partner address_get scope=customers:write;
"""

CAPPED = ALLOW + "            govern_odoo_max_records 100;\n"
CAP50 = ALLOW + "            govern_odoo_max_records 50;\n"
CAP_ONLY = "            govern_odoo_max_records 100;\n"
DECLARED = ALLOW + GROUPS + "            govern_odoo_max_records 100;\n"
CLAMP = ALLOW + GROUPS + "            govern_odoo_max_records 100 clamp;\n"

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

        location @WEB@ {
            govern on;
            govern_odoo jsonrpc;
            @RULES@
            proxy_pass http://odoo;
        }

        location /xmlrpc/2/ {
            govern on;
            govern_odoo xmlrpc;
            @RULES@
            proxy_pass http://odoo;
        }

        location /json/2/ {
            govern on;
            govern_odoo json2;
            # the partner token in its own header, Odoo's key passes
            govern_jwt_token $http_x_partner_token;
            govern_jwt_forward on;
            @RULES@
            proxy_pass http://odoo;
        }
    }
"""


def gateway(nginx, odoo, rules=CAPPED, web="/web/dataset/"):
    return nginx(CONF, odoo=odoo, extra={"RULES": rules, "WEB": web})


@pytest.fixture
def token(keys):
    return keys.token("RS256", scope=SCOPES)


class Client:
    """One partner's calls to a gateway, on each of Odoo's routes."""

    def __init__(self, gw, token, odoo):
        self.gw = gw
        self.token = token
        self.odoo = odoo
        self.cookie = None

    def login(self):
        """An Odoo session for call_kw, opened at the fake Odoo itself."""
        r = requests.post("http://127.0.0.1:%d/web/session/authenticate"
                          % self.odoo.port, timeout=TIMEOUT,
                          json={"jsonrpc": "2.0", "id": 0, "params": {
                              "db": "retail", "login": "acme@bots.example",
                              "password": KEY}})
        assert "result" in r.json(), r.text
        self.cookie = "session_id=" + r.cookies["session_id"]
        return self

    def post(self, path, body, headers=None, raw=None):
        h = {"Authorization": "Bearer " + self.token}
        if self.cookie:
            h["Cookie"] = self.cookie
        h.update(headers or {})
        data = raw if raw is not None else json.dumps(body).encode()
        h.setdefault("Content-Type", "application/json")
        return requests.post(self.gw.url(path), data=data, headers=h,
                             timeout=TIMEOUT)

    def execute_kw(self, model, method, args, kwargs=None, rid=1):
        return self.post("/jsonrpc", {
            "jsonrpc": "2.0", "method": "call", "id": rid, "params": {
                "service": "object", "method": "execute_kw",
                "args": ["retail", 7, KEY, model, method, args]
                + ([kwargs] if kwargs is not None else [])}})

    def xmlrpc(self, model, method, args, kwargs=None):
        """execute_kw over XML-RPC with the stdlib client: the result, or
        the Fault raised."""
        import xmlrpc.client
        models = xmlrpc.client.ServerProxy(
            self.gw.url("/xmlrpc/2/object"), allow_none=True,
            headers=[("Authorization", "Bearer " + self.token)])
        try:
            return models.execute_kw("retail", 7, KEY, model, method, args,
                                     kwargs or {})
        except xmlrpc.client.Fault as f:
            return f

    def execute(self, model, method, *args, rid=1):
        return self.post("/jsonrpc", {
            "jsonrpc": "2.0", "method": "call", "id": rid, "params": {
                "service": "object", "method": "execute",
                "args": ["retail", 7, KEY, model, method] + list(args)}})

    def call_kw(self, model, method, args, kwargs=None, rid=1,
                path="/web/dataset/call_kw"):
        return self.post(path, {
            "jsonrpc": "2.0", "method": "call", "id": rid, "params": {
                "model": model, "method": method, "args": args,
                "kwargs": kwargs or {}}})

    def json2(self, model, method, body=None, headers=None):
        """body None: no body at all (Content-Length: 0)."""
        h = {"X-Partner-Token": self.token, "Authorization": "bearer " + KEY}
        h.update(headers or {})
        if body is None:
            return requests.post(self.gw.url("/json/2/%s/%s"
                                             % (model, method)),
                                 headers=h, timeout=TIMEOUT)
        h.setdefault("Content-Type", "application/json")
        return requests.post(self.gw.url("/json/2/%s/%s" % (model, method)),
                             data=json.dumps(body).encode(), headers=h,
                             timeout=TIMEOUT)

    def raw(self, path, body, json2=False, headers=()):
        """POST to a path exactly as written (no client normalisation);
        body None: no body, no Content-Length, no Content-Type; bytes:
        sent as they are."""
        conn = http.client.HTTPConnection("127.0.0.1", self.gw.port,
                                          timeout=TIMEOUT)
        h = {} if body is None else {"Content-Type": "application/json"}
        if json2:
            h.update({"X-Partner-Token": self.token,
                      "Authorization": "bearer " + KEY})
        else:
            h["Authorization"] = "Bearer " + self.token
        h.update(dict(headers))
        data = body if isinstance(body, bytes) or body is None \
            else json.dumps(body).encode()
        try:
            conn.putrequest("POST", path, skip_accept_encoding=True)
            for k, v in h.items():
                conn.putheader(k, v)
            if data is not None:
                conn.putheader("Content-Length", str(len(data)))
            conn.endheaders(data)
            r = conn.getresponse()
            return r.status, dict(r.getheaders()), r.read()
        finally:
            conn.close()


@pytest.fixture
def client(token, odoo):
    def make(gw):
        return Client(gw, token, odoo)
    return make


JSONRPC_NAMES = {"odoo_denied": "odoo.exceptions.AccessError",
                 "odoo_malformed": "odoo.exceptions.ValidationError"}
JSON2_SHAPES = {"odoo_denied": (403, "odoo.exceptions.AccessError"),
                "odoo_malformed": (400, "werkzeug.exceptions.BadRequest")}


def refused_jsonrpc(r, reason, message=None, rid=1):
    """A refusal in Odoo's JSON-RPC shape: HTTP 200, error.data."""
    assert r.status_code == 200, r.text[:300]
    body = r.json()
    data = body.get("error", {}).get("data", {})
    assert data.get("reason") == reason, \
        "not refused with %s: %s" % (reason, r.text[:300])
    if rid is not None:
        assert body["id"] == rid
    err = body["error"]
    assert err["code"] == 200 and err["message"] == "Odoo Server Error"
    assert data["name"] == JSONRPC_NAMES[reason], data
    assert data["arguments"] == [data["message"]]
    if message:
        assert message in data["message"], data["message"]
    return data


def refused_json2(status, body, reason, message=None):
    """A refusal in Odoo's JSON-2 shape: the status, the error object."""
    want_status, name = JSON2_SHAPES[reason]
    assert isinstance(body, dict) and body.get("reason") == reason, \
        "not refused with %s: %s %s" % (reason, status, str(body)[:300])
    assert status == want_status, status
    assert body["name"] == name
    assert body["arguments"] == [body["message"], want_status]
    if message:
        assert message in body["message"], body["message"]
    return body


def r2(r):
    try:
        return r.status_code, r.json()
    except ValueError:
        return r.status_code, r.text[:300]


def raw2(answer):
    status, _, body = answer
    try:
        return status, json.loads(body)
    except ValueError:
        return status, body[:300]


def not_forwarded(odoo):
    assert odoo.requests() == [], "the call reached Odoo: %s" % [
        (q["method"], q["path"]) for q in odoo.requests()]


def the_call(odoo):
    calls = [c for c in odoo.calls() if c.get("service") is None]
    assert len(calls) == 1, calls
    return calls[0]


def lines(n, code=0, second=0):
    return [[code, second, {"product_id": 1, "product_uom_qty": 1}]
            for _ in range(n)]


# ------------------------------------------------ 1. x2many command codes

CREATES = [
    ("float create", {"partner_id": 3, "order_line": lines(150, 0.0)}),
    ("false create", {"partner_id": 3, "order_line": lines(150, False)}),
    ("float code and id", {"partner_id": 3,
                           "order_line": lines(150, 0.0, 0.0)}),
    ("true update", {"partner_id": 3, "order_line": [
        [True, 1, {"product_uom_qty": 2}]] * 150}),
    ("1.0 update", {"partner_id": 3, "order_line": [
        [1.0, 1, {"product_uom_qty": 2}]] * 150}),
    ("float set", {"partner_id": 3,
                   "tag_ids": [[6.0, 0, list(range(1, 1001))]]}),
    ("float set, false id", {"partner_id": 3,
                             "tag_ids": [[6.0, False, list(range(1, 1001))]]}),
    ("negative zero create", {"partner_id": 3,
                              "order_line": lines(150, -0.0)}),
    ("plain ids", {"partner_id": 3, "tag_ids": list(range(1, 1001))}),
    ("float plain ids", {"partner_id": 3,
                         "tag_ids": [float(i) for i in range(1, 1001)]}),
    ("link commands", {"partner_id": 3,
                       "tag_ids": [[4, i] for i in range(1, 1001)]}),
    ("float link commands", {"partner_id": 3,
                             "tag_ids": [[4.0, i, 0] for i in
                                         range(1, 1001)]}),
    ("unlink commands", {"partner_id": 3,
                           "tag_ids": [[3, i] for i in range(1, 200)]}),
    ("delete commands", {"partner_id": 3,
                         "order_line": [[2.0, i] for i in range(1, 200)]}),
    ("nested set in lines", {"partner_id": 3, "order_line": [
        [0, 0, {"product_id": 1, "tax_ids": [[6, 0, list(range(1, 200))]]}]
    ]}),
    ("nested plain ids in lines", {"partner_id": 3, "order_line": [
        [0.0, 0, {"product_id": 1, "tax_ids": list(range(1, 200))}]]}),
    ("lines and tags together", {"partner_id": 3,
                                 "order_line": lines(60, 0.0),
                                 "tag_ids": list(range(1, 60))}),
]


@pytest.mark.parametrize("vals", [c[1] for c in CREATES],
                         ids=[c[0] for c in CREATES])
def test_x2many_bypass_create_jsonrpc(nginx, odoo, client, vals):
    gw = gateway(nginx, odoo)
    c = client(gw)
    refused_jsonrpc(c.execute_kw("sale.order", "create", [vals]),
                    "odoo_denied", MORE)
    # the values as a keyword argument, and a list of one
    refused_jsonrpc(c.execute_kw("sale.order", "create", [],
                                 {"vals_list": [vals]}), "odoo_denied", MORE)
    refused_jsonrpc(c.execute("sale.order", "create", [vals]),
                    "odoo_denied", MORE)
    not_forwarded(odoo)
    recs = gw.wait_audit(3)
    assert [x["reason"] for x in recs] == ["odoo_denied"] * 3


@pytest.mark.parametrize("vals", [c[1] for c in CREATES],
                         ids=[c[0] for c in CREATES])
def test_x2many_bypass_create_call_kw_and_json2(nginx, odoo, client, vals):
    gw = gateway(nginx, odoo)
    c = client(gw)
    refused_jsonrpc(c.call_kw("sale.order", "create", [vals]),
                    "odoo_denied", MORE)
    refused_jsonrpc(c.call_kw("sale.order", "create", [],
                              {"vals_list": vals}), "odoo_denied", MORE)
    refused_json2(*r2(c.json2("sale.order", "create", {"vals_list": [vals]})),
                  "odoo_denied", MORE)
    refused_json2(*r2(c.json2("sale.order", "create", {"vals_list": vals})),
                  "odoo_denied", MORE)
    not_forwarded(odoo)


@pytest.mark.parametrize("vals", [
    {"order_line": lines(200, 0.0)},
    {"order_line": lines(200, False)},
    {"tag_ids": list(range(1, 1001))},
    {"tag_ids": [[6.0, 0, list(range(1, 1001))]]},
    {"tag_ids": [[4, i] for i in range(1, 1001)]},
], ids=["float", "false", "plain ids", "float set", "links"])
def test_x2many_bypass_write(nginx, odoo, client, vals):
    gw = gateway(nginx, odoo)
    c = client(gw)
    refused_json2(*r2(c.json2("sale.order", "write",
                              {"ids": [1], "vals": vals})),
                  "odoo_denied", MORE)
    refused_jsonrpc(c.execute_kw("sale.order", "write", [[1], vals]),
                    "odoo_denied", MORE)
    refused_jsonrpc(c.execute_kw("sale.order", "write", [[1]],
                                 {"vals": vals}), "odoo_denied", MORE)
    refused_jsonrpc(c.call_kw("sale.order", "write", [1, vals]),
                    "odoo_denied", MORE)
    not_forwarded(odoo)


@pytest.mark.parametrize("code", ["0e0", "0E+3", "-0", "0.000", "1e0",
                                  "6e0", "4.0E0", "2.0"])
def test_x2many_codes_in_any_number_spelling(nginx, odoo, client, code):
    """JSON spells numbers many ways; Python compares their values."""
    gw = gateway(nginx, odoo)
    c = client(gw)
    third = '[1,2,3]' if code.startswith("6") else '{"product_id": 1}'
    item = '[%s, 1, %s]' % (code, third)
    vals = '{"partner_id": 3, "order_line": [%s]}' % ", ".join([item] * 150)
    for route, body in (
            ("/jsonrpc", '{"jsonrpc": "2.0", "id": 1, "params": {"service": '
             '"object", "method": "execute_kw", "args": ["retail", 7, "%s", '
             '"sale.order", "create", [%s]]}}' % (KEY, vals)),
            ("/web/dataset/call_kw", '{"jsonrpc": "2.0", "id": 1, "params": '
             '{"model": "sale.order", "method": "create", "args": [%s], '
             '"kwargs": {}}}' % vals)):
        r = c.post(route, None, raw=body.encode())
        refused_jsonrpc(r, "odoo_denied", MORE)
    refused_json2(*raw2(c.raw("/json/2/sale.order/create",
                              ('{"vals_list": %s}' % vals).encode(),
                              json2=True)), "odoo_denied", MORE)
    not_forwarded(odoo)


def test_write_counts_every_record_it_writes(nginx, odoo, client):
    """write on N ids touches N times what one write touches."""
    gw = gateway(nginx, odoo)
    c = client(gw)
    vals = {"order_line": lines(20, 0.0)}       # 21 per order
    refused_json2(*r2(c.json2("sale.order", "write",
                              {"ids": [1, 2, 3, 4, 5], "vals": vals})),
                  "odoo_denied", MORE)
    not_forwarded(odoo)


def test_nested_creates_are_counted(nginx, odoo, client):
    """res.partner child_ids nests creates: 1 + 10 children + 150
    grandchildren; under the cap the same shape creates exactly what
    the gateway counted."""
    gw = gateway(nginx, odoo)
    c = client(gw)
    deep = {"name": "Group", "child_ids": [
        [0, 0, {"name": "Branch", "child_ids": [[0.0, 0, {"name": "Shop"}]]
                * 15}]] * 10}
    refused_jsonrpc(c.execute_kw("res.partner", "create", [deep]),
                    "odoo_denied", MORE)
    refused_json2(*r2(c.json2("res.partner", "create", {"vals_list": deep})),
                  "odoo_denied", MORE)
    not_forwarded(odoo)

    small = {"name": "Group", "category_id": [1, 2], "child_ids": [
        [0, 0, {"name": "Branch", "child_ids": [[False, 0, {"name": "Shop"}]]
                * 5}]] * 3}
    r = c.execute_kw("res.partner", "create", [small])
    assert isinstance(r.json().get("result"), int), r.text
    call = the_call(odoo)
    assert call["effects"]["created"] == {"res.partner": 19}
    assert call["effects"]["linked"]["res.partner.category"] == 2
    rec = gw.wait_audit(3)[-1]
    assert rec["decision"] == "allow"
    # 1 + 3 x (1 + 5) created, 2 tags linked
    assert rec["odoo"]["records"] == 21


def test_counted_as_odoo_runs_it(nginx, odoo, client):
    """Under the cap, float, boolean and plain-id shapes reach Odoo and do
    there what the gateway counted."""
    gw = gateway(nginx, odoo)
    c = client(gw)
    vals = {"partner_id": 3, "order_line": lines(40, 0.0) + lines(5, False),
            "tag_ids": [1, 2, 3.0]}
    r = c.execute_kw("sale.order", "create", [vals])
    assert isinstance(r.json().get("result"), int), r.text
    call = the_call(odoo)
    assert call["effects"]["created"] == {"sale.order": 1,
                                          "sale.order.line": 45}
    assert call["effects"]["linked"]["crm.tag"] == 3
    rec = gw.wait_audit(1)[0]
    assert rec["decision"] == "allow" and rec["odoo"]["records"] == 49


# ------------------------------------------------ 2. JSON-2 empty body

def test_json2_search_without_body_is_unlimited(nginx, odoo, client):
    gw = gateway(nginx, odoo)
    c = client(gw)
    for method in ("search_read", "search", "search_fetch"):
        refused_json2(*r2(c.json2("product.product", method)),
                      "odoo_denied", UNLIMITED)
        refused_json2(*r2(c.json2("product.product", method, {})),
                      "odoo_denied", UNLIMITED)
    not_forwarded(odoo)
    assert [x["reason"] for x in gw.wait_audit(6)] == ["odoo_denied"] * 6


def test_json2_without_content_length_has_no_body(nginx, odoo, client):
    """A POST with neither Content-Length nor Transfer-Encoding has an
    empty body (RFC 9112 6.3), which Odoo takes without a type: the
    search is unlimited, refused as such, not for its media type."""
    gw = gateway(nginx, odoo)
    c = client(gw)
    refused_json2(*raw2(c.raw("/json/2/product.product/search_read", None,
                              json2=True)), "odoo_denied", UNLIMITED)
    not_forwarded(odoo)
    gw = gateway(nginx, odoo, CLAMP)
    c = client(gw)
    status, headers, body = c.raw("/json/2/product.product/search_read",
                                  None, json2=True)
    assert status == 200 and len(json.loads(body)) == 3, body[:300]
    assert headers.get("Govern-Limit-Clamped") == "100"
    assert the_call(odoo)["bound"]["limit"] == 100


# ------------------------------------------------ 3. searches outside the list

def test_name_search_limits(nginx, odoo, client):
    gw = gateway(nginx, odoo)
    c = client(gw)
    refused_jsonrpc(c.execute_kw("product.product", "name_search", [],
                                 {"name": "a", "limit": 100000}),
                    "odoo_denied", MORE)
    refused_jsonrpc(c.execute_kw("product.product", "name_search", [],
                                 {"name": "a", "limit": None}),
                    "odoo_denied", UNLIMITED)
    refused_jsonrpc(c.execute_kw("product.product", "name_search",
                                 ["a", [], "ilike", 100000]),
                    "odoo_denied", MORE)
    refused_jsonrpc(c.execute_kw("product.product", "name_search",
                                 ["a", [], "ilike", None]),
                    "odoo_denied", UNLIMITED)
    refused_jsonrpc(c.execute_kw("product.product", "name_search",
                                 ["a", [], "ilike", False]),
                    "odoo_denied", UNLIMITED)
    refused_json2(*r2(c.json2("product.product", "name_search",
                              {"name": "a", "limit": 100000})),
                  "odoo_denied", MORE)
    refused_json2(*r2(c.json2("product.product", "name_search",
                              {"name": "a", "limit": None})),
                  "odoo_denied", UNLIMITED)
    refused_json2(*r2(c.json2("product.product", "name_search",
                              {"name": "a", "limit": 0})),
                  "odoo_denied", UNLIMITED)
    not_forwarded(odoo)

    # absent: Odoo's default of 100, within a cap of 100
    r = c.execute_kw("product.product", "name_search", ["T-shirt"])
    assert r.json()["result"] == [[1, "[SKU-001] Blue T-shirt"]], r.text
    assert the_call(odoo)["bound"]["limit"] == 100
    r = c.json2("product.product", "name_search", {"name": "Mug"})
    assert r.status_code == 200 and len(r.json()) == 1, r.text
    assert gw.wait_audit(10)[-1]["odoo"]["records"] == 100


def test_name_search_default_is_over_a_cap_of_50(nginx, odoo, client):
    gw = gateway(nginx, odoo, CAP50)
    c = client(gw)
    refused_jsonrpc(c.execute_kw("product.product", "name_search", ["a"]),
                    "odoo_denied", MORE)
    refused_jsonrpc(c.execute_kw("product.product", "name_search", [],
                                 {"name": "a"}), "odoo_denied", MORE)
    refused_json2(*r2(c.json2("product.product", "name_search",
                              {"name": "a"})), "odoo_denied", MORE)
    refused_json2(*r2(c.json2("product.product", "name_search")),
                  "odoo_denied", MORE)
    not_forwarded(odoo)
    r = c.execute_kw("product.product", "name_search", ["a"], {"limit": 50})
    assert "result" in r.json(), r.text
    assert the_call(odoo)["bound"]["limit"] == 50


def test_search_fetch_is_a_search(nginx, odoo, client):
    gw = gateway(nginx, odoo)
    c = client(gw)
    refused_jsonrpc(c.execute_kw("product.product", "search_fetch",
                                 [[], ["name"]]), "odoo_denied", UNLIMITED)
    refused_jsonrpc(c.execute_kw("product.product", "search_fetch",
                                 [[], ["name"], 0, 0]),
                    "odoo_denied", UNLIMITED)
    refused_jsonrpc(c.execute_kw("product.product", "search_fetch",
                                 [[], ["name"], 0, 1000]),
                    "odoo_denied", MORE)
    refused_jsonrpc(c.call_kw("product.product", "search_fetch",
                              [[], ["name"]]), "odoo_denied", UNLIMITED)
    refused_json2(*r2(c.json2("product.product", "search_fetch",
                              {"domain": [], "field_names": ["name"]})),
                  "odoo_denied", UNLIMITED)
    not_forwarded(odoo)
    # its first argument is a domain, not ids: 150 ids in it are fine
    domain = [["id", "in", list(range(1, 151))]]
    r = c.execute_kw("product.product", "search_fetch",
                     [domain, ["name"]], {"limit": 2})
    assert r.json()["result"] == [1, 2], r.text
    assert the_call(odoo)["bound"]["limit"] == 2
    assert gw.wait_audit(6)[-1]["odoo"]["records"] == 2


GROUPED_CALLS = [
    ("read_group", [[], ["list_price:sum"], ["sale_ok"]], {"limit": 5},
     {"domain": [], "fields": ["list_price:sum"], "groupby": ["sale_ok"],
      "limit": 5}),
    ("formatted_read_group", [[], ["sale_ok"], ["__count"]], {"limit": 5},
     {"domain": [], "groupby": ["sale_ok"], "aggregates": ["__count"],
      "limit": 5}),
    ("web_read_group", [[], ["sale_ok"], ["__count"]], {"limit": 5},
     {"domain": [], "groupby": ["sale_ok"], "aggregates": ["__count"],
      "limit": 5}),
]


@pytest.mark.parametrize("method,args,kwargs,body", GROUPED_CALLS,
                         ids=[g[0] for g in GROUPED_CALLS])
def test_grouped_reads_refused_under_a_cap(nginx, odoo, client, method,
                                          args, kwargs, body):
    """A grouped read's limit counts groups while it reads every record
    its domain matches: refused under a cap unless declared."""
    gw = gateway(nginx, odoo, CAP_ONLY)
    c = client(gw)
    refused_jsonrpc(c.execute_kw("product.product", method, args, kwargs),
                    "odoo_denied", GROUPED)
    refused_jsonrpc(c.call_kw("product.product", method, args, kwargs),
                    "odoo_denied", GROUPED)
    refused_json2(*r2(c.json2("product.product", method, body)),
                  "odoo_denied", GROUPED)
    not_forwarded(odoo)


GROUP_POS = {"read_group": 4, "formatted_read_group": 5,
             "web_read_group": 3}


@pytest.mark.parametrize("method,args,kwargs,body", GROUPED_CALLS,
                         ids=[g[0] for g in GROUPED_CALLS])
def test_grouped_reads_declared_are_capped(nginx, odoo, client, method,
                                           args, kwargs, body):
    gw = gateway(nginx, odoo, DECLARED)
    c = client(gw)
    pos = GROUP_POS[method]

    def positional(limit):
        a = list(args) + [None] * (pos + 1 - len(args))
        if method == "web_read_group":
            a[pos] = limit
        else:
            a[3 if method == "read_group" else 4] = 0    # offset
            a[pos] = limit
        if method == "formatted_read_group":
            a[3] = []                                    # having
        return a

    refused_jsonrpc(c.execute_kw("product.product", method, args),
                    "odoo_denied", UNLIMITED)
    refused_jsonrpc(c.execute_kw("product.product", method, args,
                                 {"limit": 500}), "odoo_denied", MORE)
    refused_jsonrpc(c.execute_kw("product.product", method,
                                 positional(500)), "odoo_denied", MORE)
    refused_jsonrpc(c.execute_kw("product.product", method,
                                 positional(None)), "odoo_denied", UNLIMITED)
    refused_json2(*r2(c.json2("product.product", method,
                              dict(body, limit=None))),
                  "odoo_denied", UNLIMITED)
    not_forwarded(odoo)

    r = c.execute_kw("product.product", method, args, kwargs)
    assert "result" in r.json(), r.text
    assert the_call(odoo)["bound"]["limit"] == 5
    odoo.reset()
    r = c.execute_kw("product.product", method, positional(1))
    assert "result" in r.json(), r.text
    call = the_call(odoo)
    assert call["bound"]["limit"] == 1 and call["returned"] == 1
    odoo.reset()
    r = c.json2("product.product", method, body)
    assert r.status_code == 200, r.text
    assert the_call(odoo)["bound"]["limit"] == 5


# ------------------------------------------------ 4. paths

VERSION = {"jsonrpc": "2.0", "method": "call", "id": 1,
           "params": {"service": "common", "method": "version", "args": []}}


def test_dataset_prefix_accepts_rpc_endpoints_only(nginx, odoo, client):
    gw = gateway(nginx, odoo)
    c = client(gw)
    for path in ("/web/dataset/resequence", "/web/dataset/search_read",
                 "/web/dataset/call_kwx", "/web/dataset/"):
        refused_jsonrpc(c.post(path, VERSION), "odoo_denied", NOT_RPC,
                        rid=None)
    body = dict(VERSION, params={"model": "sale.order.line",
                                 "ids": [1, 2], "field": "order_id",
                                 "offset": 0})
    refused_jsonrpc(c.post("/web/dataset/resequence", body),
                    "odoo_denied", NOT_RPC, rid=None)
    not_forwarded(odoo)
    # the RPC endpoints themselves still pass
    c.login()
    r = c.call_kw("product.product", "search_read", [[]], {"limit": 1})
    assert len(r.json()["result"]) == 1, r.text
    r = c.call_kw("product.product", "search_read", [[]], {"limit": 1},
                  path="/web/dataset/call_kw/product.product/search_read")
    assert len(r.json()["result"]) == 1, r.text


def test_web_prefix_does_not_pass_other_routes(nginx, odoo, client):
    gw = gateway(nginx, odoo, web="/web/")
    c = client(gw)
    for path in ("/web/session/authenticate", "/web/session/destroy",
                 "/web/dataset/resequence", "/web/action/load",
                 "/web/webclient/version_info"):
        refused_jsonrpc(c.post(path, VERSION), "odoo_denied", NOT_RPC,
                        rid=None)
    login = dict(VERSION, params={"service": "common", "method": "version",
                                  "args": [], "db": "retail",
                                  "login": "admin", "password": "admin"})
    refused_jsonrpc(c.post("/web/session/authenticate", login),
                    "odoo_denied", NOT_RPC, rid=None)
    refused_jsonrpc(c.post("/web/database/list", VERSION), "odoo_denied",
                    "database management is not exposed", rid=None)
    not_forwarded(odoo)
    r = c.call_kw("product.product", "search_read", [[]], {"limit": 1},
                  path="/web/dataset/call_button")
    assert r.status_code == 200 and odoo.requests() != []


SEARCH = {"domain": [], "fields": ["name"], "limit": 5}


@pytest.mark.parametrize("path", [
    "/json/2/res.users/read/..%2F..%2Fproduct.product/search_read",
    "/json/2/res.users/..%2Fproduct.product/search_read",
    "/json/2/product.product/search%5Fread",
    "/json/2/product%2Eproduct/search_read",
    "/json/2/%70roduct.product/search_read",
    "//json/2/product.product/search_read",
    "/json/2//product.product/search_read",
    "/json//2/product.product/search_read",
    "/json/2/res.users/../product.product/search_read",
    "/json/2/./product.product/search_read",
    "/json/2/product.product/./search_read",
    "/json/2/x/%2E%2E/product.product/search_read",
])
def test_json2_path_must_be_sent_as_is(nginx, odoo, client, path):
    gw = gateway(nginx, odoo)
    c = client(gw)
    refused_json2(*raw2(c.raw(path, SEARCH, json2=True)), "odoo_malformed",
                  RAW_PATH)
    not_forwarded(odoo)
    rec = gw.wait_audit(1)[0]
    assert rec["reason"] == "odoo_malformed"
    # the same call sent as is passes
    status, _, body = c.raw("/json/2/product.product/search_read", SEARCH,
                            json2=True)
    assert status == 200 and len(json.loads(body)) == 3


def test_query_string_and_absolute_form_are_not_the_path(nginx, odoo,
                                                         client):
    """Only the path is compared as sent: a percent-encoded query string
    and an absolute-form request target pass."""
    gw = gateway(nginx, odoo)
    c = client(gw)
    for target in ("/json/2/product.product/search_read?db=a%2Fb&x=%41",
                   "http://127.0.0.1:%d/json/2/product.product/search_read"
                   % gw.port):
        status, _, body = c.raw(target, SEARCH, json2=True)
        assert status == 200 and len(json.loads(body)) == 3, body[:300]
    status, _, body = c.raw("/jsonrpc?x=%2F", {
        "jsonrpc": "2.0", "id": 1, "params": {
            "service": "object", "method": "execute_kw",
            "args": ["retail", 7, KEY, "product.product", "search_read",
                     [[]], {"limit": 1}]}})
    assert "result" in json.loads(body), body[:300]
    assert len(odoo.requests()) == 3


@pytest.mark.parametrize("path", ["//jsonrpc", "/json%72pc",
                                  "/./jsonrpc", "/x/../jsonrpc",
                                  "/web/dataset/call%5Fkw",
                                  "/web//dataset/call_kw",
                                  "/web/dataset/./call_kw"])
def test_jsonrpc_path_must_be_sent_as_is(nginx, odoo, client, path):
    gw = gateway(nginx, odoo)
    c = client(gw)
    if "dataset" in path:
        params = {"model": "product.product", "method": "search_read",
                  "args": [[]], "kwargs": {"limit": 5}}
    else:
        params = {"service": "object", "method": "execute_kw",
                  "args": ["retail", 7, KEY, "product.product",
                           "search_read", [[]], {"limit": 5}]}
    status, body = raw2(c.raw(path, {"jsonrpc": "2.0", "id": 1,
                                     "params": params}))
    assert status == 200, body
    data = body.get("error", {}).get("data", {}) \
        if isinstance(body, dict) else {}
    assert data.get("reason") == "odoo_malformed", body
    assert data["name"] == "odoo.exceptions.ValidationError"
    assert RAW_PATH in data["message"]
    not_forwarded(odoo)


# ------------------------------------------------ numbers Odoo rejects

@pytest.mark.parametrize("limit", [2.5, -1, -1.0, True, "10", [10],
                                   {"n": 10}])
def test_limit_must_be_a_non_negative_integer(nginx, odoo, client, limit):
    gw = gateway(nginx, odoo)
    c = client(gw)
    refused_jsonrpc(c.execute_kw("product.product", "search_read", [[]],
                                 {"limit": limit}), "odoo_malformed",
                    BAD_LIMIT)
    refused_jsonrpc(c.execute_kw("product.product", "search_read",
                                 [[], ["name"], 0, limit]),
                    "odoo_malformed", BAD_LIMIT)
    refused_jsonrpc(c.execute_kw("product.product", "name_search", [],
                                 {"limit": limit}), "odoo_malformed",
                    BAD_LIMIT)
    refused_json2(*r2(c.json2("product.product", "search_read",
                              {"domain": [], "limit": limit})),
                  "odoo_malformed", BAD_LIMIT)
    not_forwarded(odoo)


def test_limits_equal_to_integers_pass(nginx, odoo, client):
    gw = gateway(nginx, odoo)
    c = client(gw)
    r = c.execute_kw("product.product", "search_read", [[]],
                     {"fields": ["name"], "limit": 2.0})
    assert len(r.json()["result"]) == 2, r.text
    r = c.json2("product.product", "search_read",
                {"domain": [], "limit": 1e2})
    assert r.status_code == 200 and len(r.json()) == 3, r.text
    recs = gw.wait_audit(2)
    assert [x["odoo"]["records"] for x in recs] == [2, 100]


@pytest.mark.parametrize("ids", [["a"], [1, "2"], [1.5], [None], [[1]],
                                 [{"id": 1}], "1", [True]])
def test_ids_must_be_integers(nginx, odoo, client, ids):
    gw = gateway(nginx, odoo)
    c = client(gw)
    refused_jsonrpc(c.execute_kw("product.product", "read", [ids],
                                 {"fields": ["name"]}), "odoo_malformed",
                    BAD_IDS)
    refused_json2(*r2(c.json2("product.product", "read",
                              {"ids": ids, "fields": ["name"]})),
                  "odoo_malformed", BAD_IDS)
    not_forwarded(odoo)


def test_ids_equal_to_integers_pass(nginx, odoo, client):
    gw = gateway(nginx, odoo)
    c = client(gw)
    r = c.execute_kw("product.product", "read", [[1.0, 2]],
                     {"fields": ["name"]})
    assert [p["id"] for p in r.json()["result"]] == [1, 2], r.text
    assert gw.wait_audit(1)[0]["odoo"]["records"] == 2


@pytest.mark.parametrize("command", [[7, 0, {}], [2.5, 1], [-1, 1],
                                     [6.5, 0, [1]], [1e3, 0, {}]])
def test_command_code_must_be_0_to_6(nginx, odoo, client, command):
    gw = gateway(nginx, odoo)
    c = client(gw)
    for field in ("order_line", "tag_ids"):
        vals = {"partner_id": 3, field: [command]}
        refused_jsonrpc(c.execute_kw("sale.order", "create", [vals]),
                        "odoo_malformed", BAD_CODE)
        refused_json2(*r2(c.json2("sale.order", "write",
                                  {"ids": [1], "vals": vals})),
                      "odoo_malformed", BAD_CODE)
    nested = {"partner_id": 3, "order_line": [
        [0, 0, {"product_id": 1, "tax_ids": [command]}]]}
    refused_jsonrpc(c.execute_kw("sale.order", "create", [nested]),
                    "odoo_malformed", BAD_CODE)
    not_forwarded(odoo)


# ------------------------------------------------ unknown methods

def test_unknown_method_refused_under_a_cap(nginx, odoo, client):
    gw = gateway(nginx, odoo, CAP_ONLY)
    c = client(gw)
    data = refused_jsonrpc(c.execute_kw("res.partner", "address_get", [[3]]),
                           "odoo_denied", UNKNOWN)
    assert "res.partner.address_get" in data["message"]
    body = refused_json2(*r2(c.json2("res.partner", "address_get",
                                     {"ids": [3]})), "odoo_denied", UNKNOWN)
    assert "res.partner.address_get" in body["message"]
    for model, method in (("sale.order", "message_subscribe"),
                          ("product.product", "export_data")):
        data = refused_jsonrpc(c.execute_kw(model, method, [[1]]),
                               "odoo_denied")
        assert "%s.%s" % (model, method) in data["message"]
    not_forwarded(odoo)


def test_unknown_method_allowed_once_declared(nginx, odoo, client):
    gw = gateway(nginx, odoo, DECLARED)
    c = client(gw)
    r = c.execute_kw("res.partner", "address_get", [[3]])
    assert r.json()["result"] == {"contact": 3}, r.text
    assert the_call(odoo)["ids"] == [3]
    odoo.reset()
    r = c.json2("res.partner", "address_get", {"ids": [3]})
    assert r.status_code == 200 and r.json() == {"contact": 3}, r.text
    odoo.reset()
    # declared as a record method: its ids are counted
    refused_jsonrpc(c.execute_kw("res.partner", "address_get",
                                 [list(range(1, 150))]), "odoo_denied", MORE)
    not_forwarded(odoo)
    assert [x["odoo"]["records"] for x in gw.wait_audit(3)[:2]] == [1, 1]


# ------------------------------------------------ clamp

def clamped(gw, r, odoo, n=100):
    assert r.headers.get("Govern-Limit-Clamped") == str(n), dict(r.headers)
    call = the_call(odoo)
    assert call["bound"]["limit"] == n, call
    rec = gw.wait_audit(1)[-1]
    assert rec["decision"] == "allow"
    assert rec["odoo"]["clamped"] is True and rec["odoo"]["records"] == n
    odoo.reset()
    return call


@pytest.fixture
def seeded(odoo):
    """150 extra products, so a limit of 100 shows in the result."""
    def seed():
        # created at the fake Odoo directly, as its admin
        r = requests.post("http://127.0.0.1:%d/jsonrpc" % odoo.port,
                          timeout=TIMEOUT, json={
                              "jsonrpc": "2.0", "id": 0, "params": {
                                  "service": "object",
                                  "method": "execute_kw",
                                  "args": ["retail", 2, "admin",
                                           "product.product", "create",
                                           [[{"name": "P%d" % i,
                                              "sale_ok": True}
                                             for i in range(150)]]]}})
        assert len(r.json()["result"]) == 150
    return seed


def test_clamp_forwards_unlimited_searches_with_the_cap(nginx, odoo,
                                                        client, seeded):
    gw = gateway(nginx, odoo, CLAMP)
    c = client(gw)
    seeded()
    odoo_calls = lambda: [x for x in odoo.calls()          # noqa: E731
                          if x.get("auth") != "password"]

    sent = []

    def check(r, n=100, result_len=100):
        sent.append(r)
        assert r.headers.get("Govern-Limit-Clamped") == str(n), \
            (dict(r.headers), r.text[:200])
        calls = odoo_calls()
        assert calls and calls[-1]["bound"]["limit"] == n, calls[-1:]
        if result_len is not None:
            body = r.json()
            body = body["result"] if "jsonrpc" in body else body
            assert len(body) == result_len
        return calls[-1]

    # JSON-RPC, keyword arguments: absent, null, false, 0 and over the cap
    check(c.execute_kw("product.product", "search_read", [[]],
                       {"fields": ["name"]}))
    for limit in (None, False, 0, 0.0, 500):
        check(c.execute_kw("product.product", "search_read", [[]],
                           {"fields": ["name"], "limit": limit}))
    # JSON-RPC, positional: execute_kw args and execute
    check(c.execute_kw("product.product", "search_read",
                       [[], ["name"], 0, 0]))
    check(c.execute_kw("product.product", "search_read",
                       [[], ["name"], 0, 500]))
    call = check(c.execute("product.product", "search_read", [], ["name"],
                           0, None))
    assert call["args"][3] == 100 and call["kwargs"] == {}
    check(c.execute("product.product", "search_read", [], ["name"], 0, 500))
    # call_kw
    c.login()
    check(c.call_kw("product.product", "search_read", [[]],
                    {"fields": ["name"], "limit": 0}))
    c.cookie = None
    # JSON-2: no body, {}, n8n's limit 0, over the cap
    check(c.json2("product.product", "search_read"))
    check(c.json2("product.product", "search_read", {}))
    check(c.json2("product.product", "search_read",
                  {"domain": [], "fields": ["name"], "limit": 0}))
    check(c.json2("product.product", "search_read",
                  {"domain": [], "limit": 1000}))
    check(c.json2("product.product", "search", {"domain": []}))
    check(c.json2("product.product", "search_fetch",
                  {"domain": [], "field_names": ["name"]}))
    check(c.json2("product.product", "name_search", {"limit": None}))
    check(c.execute_kw("product.product", "name_search", [],
                       {"limit": False}))

    recs = gw.wait_audit(len(sent))
    assert len(recs) == len(sent) == 19
    for rec in recs:
        assert rec["decision"] == "allow", rec
        assert rec["odoo"]["clamped"] is True, rec["odoo"]
        assert rec["odoo"]["records"] == 100


def test_clamp_appends_a_positional_limit(nginx, odoo, client, seeded):
    """execute passes no keyword arguments: a search whose positional
    arguments stop just before its limit gets the limit appended; one
    that stops earlier is refused (DESIGN: the arguments before the limit
    are missing)."""
    gw = gateway(nginx, odoo, CLAMP)
    c = client(gw)
    seeded()
    for args in (([], ["name"], 0), ([], 0)):
        method = "search_read" if len(args) == 3 else "search"
        r = c.execute("product.product", method, *args)
        assert len(r.json().get("result", [])) == 100, r.text[:300]
        assert r.headers.get("Govern-Limit-Clamped") == "100"
        call = [x for x in odoo.calls() if x["auth"] != "password"][-1]
        assert call["args"] == list(args) + [100], call["args"]
    odoo.reset()
    for method, args in (("search_read", ([], ["name"])),
                         ("search_read", ([],)), ("search", ([],))):
        refused_jsonrpc(c.execute("product.product", method, *args),
                        "odoo_denied", UNLIMITED)
    not_forwarded(odoo)


def test_clamp_leaves_what_is_within_the_cap(nginx, odoo, client):
    gw = gateway(nginx, odoo, CLAMP)
    c = client(gw)
    r = c.execute_kw("product.product", "search_read", [[]],
                     {"fields": ["name"], "limit": 50})
    assert len(r.json()["result"]) == 3
    assert "Govern-Limit-Clamped" not in r.headers
    assert the_call(odoo)["bound"]["limit"] == 50
    rec = gw.wait_audit(1)[0]
    assert rec["odoo"]["clamped"] is False and rec["odoo"]["records"] == 50
    odoo.reset()
    r = c.json2("product.product", "read", {"ids": [1], "fields": ["name"]})
    assert r.status_code == 200 and "Govern-Limit-Clamped" not in r.headers
    assert gw.wait_audit(2)[1]["odoo"]["clamped"] is False


def test_clamp_never_clamps_writes(nginx, odoo, client):
    gw = gateway(nginx, odoo, CLAMP)
    c = client(gw)
    vals = {"partner_id": 3, "order_line": lines(150)}
    refused_jsonrpc(c.execute_kw("sale.order", "create", [vals]),
                    "odoo_denied", MORE)
    refused_json2(*r2(c.json2("sale.order", "create", {"vals_list": vals})),
                  "odoo_denied", MORE)
    refused_json2(*r2(c.json2("sale.order", "write",
                              {"ids": list(range(1, 200)),
                               "vals": {"client_order_ref": "x"}})),
                  "odoo_denied", MORE)
    refused_json2(*r2(c.json2("product.product", "read",
                              {"ids": list(range(1, 200))})),
                  "odoo_denied", MORE)
    not_forwarded(odoo)
    rec = gw.wait_audit(4)[0]
    assert rec["odoo"]["clamped"] is False


def test_clamp_declared_grouped_reads(nginx, odoo, client):
    gw = gateway(nginx, odoo, CLAMP)
    c = client(gw)
    r = c.execute_kw("product.product", "read_group",
                     [[], ["list_price:sum"], ["sale_ok"]])
    assert "result" in r.json(), r.text
    clamped(gw, r, odoo)
    r = c.json2("product.product", "formatted_read_group",
                {"domain": [], "groupby": ["sale_ok"], "limit": 0})
    assert r.status_code == 200, r.text
    clamped(gw, r, odoo)
    r = c.execute_kw("product.product", "web_read_group",
                     [[], ["sale_ok"], ["__count"], None])
    assert "result" in r.json(), r.text
    call = clamped(gw, r, odoo)
    assert call["args"][3] == 100


# ------------------------------------------------ one policy, three routes

PARITY = [
    # model, method, ids (None: @api.model), kwargs, expected
    ("product.product", "search_read", None,
     {"domain": [], "fields": ["name"], "limit": 5}, "allow"),
    ("product.product", "search_read", None, {"domain": []},
     ("odoo_denied", UNLIMITED)),
    ("product.product", "search_read", None, {"domain": [], "limit": 0},
     ("odoo_denied", UNLIMITED)),
    ("product.product", "search_read", None, {"domain": [], "limit": 500},
     ("odoo_denied", MORE)),
    ("product.product", "search_read", None, {"domain": [], "limit": 2.5},
     ("odoo_malformed", BAD_LIMIT)),
    ("product.product", "search", None, {"domain": [], "limit": 3},
     "allow"),
    ("product.product", "name_search", None, {"name": "Mug"}, "allow"),
    ("product.product", "name_search", None, {"name": "a", "limit": None},
     ("odoo_denied", UNLIMITED)),
    ("product.product", "search_fetch", None,
     {"domain": [], "field_names": ["name"]}, ("odoo_denied", UNLIMITED)),
    ("product.product", "search_fetch", None,
     {"domain": [], "field_names": ["name"], "limit": 2}, "allow"),
    ("product.product", "read", [1, 2], {"fields": ["name"]}, "allow"),
    ("product.product", "read", list(range(1, 102)), {"fields": ["name"]},
     ("odoo_denied", MORE)),
    ("product.product", "read", ["a"], {}, ("odoo_malformed", BAD_IDS)),
    ("product.product", "read_group", None,
     {"domain": [], "fields": [], "groupby": ["sale_ok"], "limit": 1},
     ("odoo_denied", "product.product.read_group")),
    ("sale.order", "create", None,
     {"vals_list": [{"partner_id": 3, "order_line": lines(2, 0.0)}]},
     "allow"),
    ("sale.order", "create", None,
     {"vals_list": [{"partner_id": 3, "order_line": lines(101, 0.0)}]},
     ("odoo_denied", MORE)),
    ("sale.order", "create", None,
     {"vals_list": {"partner_id": 3, "tag_ids": list(range(1, 101))}},
     ("odoo_denied", MORE)),
    ("sale.order", "write", [1], {"vals": {"tag_ids": [[6.0, 0, [1, 2]]]}},
     "allow"),
    ("sale.order", "write", [1],
     {"vals": {"tag_ids": [[4, i] for i in range(1, 101)]}},
     ("odoo_denied", MORE)),
    ("sale.order", "write", [1], {"vals": {"order_line": [[7, 0, {}]]}},
     ("odoo_malformed", BAD_CODE)),
    ("res.users", "read", [2], {"fields": ["login"]},
     ("odoo_denied", "res.users.read")),
    ("res.users.apikeys", "search_read", None, {"domain": [], "limit": 1},
     ("odoo_denied", "res.users.apikeys")),
    ("product.product", "unlink", [1], {},
     ("odoo_denied", "product.product.unlink")),
    ("product.product", "_read", [1], {}, ("odoo_denied", "private")),
    ("product.product", "search_read", None,
     {"domain": [], "limit": 1, "context": {"allowed_company_ids": [2]}},
     ("odoo_denied", "allowed_company_ids")),
]


def parity_outcome(route, r):
    if route == "xmlrpc":
        import xmlrpc.client
        # the gateway's faults carry its reason and request id; Odoo's own
        # (the call went through) do not
        m = isinstance(r, xmlrpc.client.Fault) and re.fullmatch(
            r"([a-z_]+): (.*) \(request [0-9a-f]+\)", r.faultString, re.S)
        if m:
            assert r.faultCode in (2, 4), r
            return m.group(1), m.group(2)
        return "allow", None
    if route == "json2":
        body = r.json()
        if isinstance(body, dict) and "reason" in body:
            refused_json2(r.status_code, body, body["reason"])
            return body["reason"], body["message"]
        return "allow", None
    body = r.json()
    data = body.get("error", {}).get("data", {})
    if "reason" in data:
        refused_jsonrpc(r, data["reason"])
        return data["reason"], data["message"]
    return "allow", None


@pytest.mark.parametrize("model,method,ids,kwargs,expected", PARITY,
                         ids=["%s.%s-%d" % (p[0], p[1], i)
                              for i, p in enumerate(PARITY)])
def test_policy_parity(nginx, odoo, client, model, method, ids, kwargs,
                       expected):
    """One call, four routes, one decision: a refusal with the same
    reason, or the same call reaching Odoo."""
    gw = gateway(nginx, odoo)
    c = client(gw).login()
    args = [ids] if ids is not None else []
    body = dict(kwargs, **({"ids": ids} if ids is not None else {}))
    outcomes = {}
    bound = {}
    for route in ("execute_kw", "call_kw", "json2", "xmlrpc"):
        before = len(odoo.requests())
        if route == "execute_kw":
            r = c.execute_kw(model, method, args, kwargs)
        elif route == "call_kw":
            r = c.call_kw(model, method, args, kwargs)
        elif route == "xmlrpc":
            r = c.xmlrpc(model, method, args, kwargs)
        else:
            r = c.json2(model, method, body)
        reason, message = parity_outcome(route, r)
        forwarded = len(odoo.requests()) - before
        outcomes[route] = (reason, forwarded)
        if reason == "allow":
            calls = [x for x in odoo.calls() if x.get("model") == model]
            bound[route] = calls[-1]["bound"] if calls else None
        elif expected != "allow":
            assert expected[1] in message, (route, message)
    want = ("allow", 1) if expected == "allow" else (expected[0], 0)
    assert outcomes == {"execute_kw": want, "call_kw": want,
                        "json2": want, "xmlrpc": want}, outcomes
    if expected == "allow":
        assert bound["execute_kw"] == bound["call_kw"] == bound["json2"] \
            == bound["xmlrpc"], bound
    recs = gw.wait_audit(4)
    assert len({(x["decision"], x["reason"], x["odoo"]["records"])
                for x in recs}) == 1, [x["odoo"] for x in recs]


# ------------------------------------------------ 1,000 rules

def test_a_thousand_rules(nginx, odoo, client, keys):
    rules = ["govern_odoo_allow m%03d.model search_read,read scope=s%03d;"
             % (i, i) for i in range(997)]
    rules.append("govern_odoo_allow product.product search_read,read "
                 "scope=catalog:read;")
    rules.append("govern_odoo_allow sale.order create scope=orders:write;")
    rules.append("govern_odoo_allow m998.model write scope=catalog:read;")
    rules.append("govern_odoo_max_records 100;")
    gw = gateway(nginx, odoo, "\n            ".join(rules))
    c = client(gw)
    r = c.execute_kw("product.product", "search_read", [[]],
                     {"fields": ["name"], "limit": 2})
    assert len(r.json()["result"]) == 2, r.text
    r = c.json2("product.product", "read", {"ids": [1], "fields": ["name"]})
    assert r.status_code == 200, r.text
    refused_jsonrpc(c.execute_kw("product.product", "write",
                                 [[1], {"name": "x"}]), "odoo_denied",
                    "product.product.write")
    refused_jsonrpc(c.execute_kw("m500.model", "search_read", [[]],
                                 {"limit": 1}), "odoo_denied")
    refused_jsonrpc(c.execute_kw("m996.model", "read", [[1]]),
                    "odoo_denied")
    refused_jsonrpc(c.execute_kw("res.partner", "search_read", [[]],
                                 {"limit": 1}), "odoo_denied")
    refused_json2(*r2(c.json2("sale.order", "create", {
        "vals_list": [{"partner_id": 3, "order_line": lines(150, 0.0)}]})),
        "odoo_denied", MORE)
    # a rule near the end grants its own scope only
    scoped = Client(gw, keys.token("RS256", scope="s996"), odoo)
    requests_before = len(odoo.requests())
    r = scoped.execute_kw("m996.model", "search_read", [[]], {"limit": 1})
    assert r.json()["error"]["data"].get("reason") is None, r.text
    assert len(odoo.requests()) == requests_before + 1
    refused_jsonrpc(scoped.execute_kw("product.product", "search_read",
                                      [[]], {"limit": 1}), "odoo_denied")
    calls = [(x["model"], x["method"]) for x in odoo.calls()]
    assert calls == [("product.product", "search_read"),
                     ("product.product", "read"),
                     ("m996.model", "search_read")]


# ------------------------------------------------ 5. nginx -t

def conf_line(gw, text):
    """The line of the rendered nginx.conf where text is."""
    with open(gw.conf) as f:
        for n, line in enumerate(f, 1):
            if text in line:
                return n
    raise AssertionError("%r not in %s" % (text, gw.conf))


def refused_by_nginx_t(gw, message, offending):
    rc, out = gw.test_config()
    gw.expect_bad_log = True
    assert rc != 0, out
    emerg = [x for x in out.splitlines() if "[emerg]" in x]
    assert emerg, out
    assert message in emerg[0], emerg[0]
    assert emerg[0].endswith(" in %s:%d" % (gw.conf,
                                            conf_line(gw, offending))), \
        (emerg[0], conf_line(gw, offending))


T_CONF = """
    @HTTPLEVEL@
    server {
        listen 127.0.0.1:@PORT@;
        @JWT@
        location /json/2/ {
            @LOCATION@
            proxy_pass http://odoo;
        }
    }
"""


def t_gateway(nginx, location, http_level=""):
    conf = T_CONF.replace("@LOCATION@", location)
    gw = nginx(conf.replace("@HTTPLEVEL@", http_level), start=False)
    with open(os.path.join(gw.prefix, "schema.json"), "w") as f:
        f.write('{"type": "object"}')
    return gw


@pytest.mark.parametrize("govern_odoo", ["", "govern_odoo off;"])
@pytest.mark.parametrize("directive", [
    "govern_odoo_allow product.product read scope=catalog:read;",
    "govern_odoo_context_allow lang tz;",
    "govern_odoo_max_records 100;",
    "govern_odoo_method res.partner address_get records;",
])
def test_nginx_t_odoo_rules_without_govern_odoo(nginx, directive,
                                                govern_odoo):
    gw = t_gateway(nginx, "govern on;\n            %s\n            %s"
                   % (govern_odoo, directive))
    name = directive.split()[0]
    refused_by_nginx_t(gw, '"%s" has no effect without "govern_odoo" in '
                       'this location' % name, directive)


@pytest.mark.parametrize("govern", ["", "govern off;"])
@pytest.mark.parametrize("directive", [
    "govern_odoo json2;",
    "govern_scopes catalog:read;",
    "govern_schema @PREFIX@/schema.json;",
    "govern_rate_limit orders 10r/s;",
    "govern_api_version v1;",
    "govern_idempotency optional;",
    "govern_content_types application/json;",
])
def test_nginx_t_directives_without_govern_on(nginx, directive, govern):
    gw = t_gateway(nginx, "%s\n            %s" % (govern, directive),
                   http_level="govern_redis 127.0.0.1:6399;")
    name = directive.split()[0]
    refused_by_nginx_t(gw, '"%s" has no effect without "govern on"' % name,
                       gw.render(directive))


def test_nginx_t_rate_limit_needs_redis(nginx):
    gw = t_gateway(nginx, "govern on;\n            "
                   "govern_rate_limit orders 10r/s;")
    # the spec's "(limits are shared through Redis)" reads "(limits are
    # shared by the gateways through Redis)": the reason is compared up
    # to the explanation
    refused_by_nginx_t(gw, '"govern_rate_limit" needs "govern_redis" '
                       '(limits are shared', "govern_rate_limit orders")


@pytest.mark.parametrize("rule", [
    "govern_odoo_allow res.users.apikeys read scope=catalog:read;",
    "govern_odoo_allow res.users.apikeys search_read,unlink scope=x;",
    "govern_odoo_allow res.partner read,_compute_x scope=x;",
])
def test_nginx_t_rules_that_never_apply(nginx, rule):
    gw = t_gateway(nginx, "govern on;\n            govern_odoo json2;\n"
                   "            %s" % rule)
    rc, out = gw.test_config()
    gw.expect_bad_log = True
    assert rc != 0, out
    emerg = [x for x in out.splitlines() if "[emerg]" in x][0]
    assert ("res.users.apikeys" in emerg or "_compute_x" in emerg
            or "invalid method list" in emerg), emerg
    assert emerg.endswith(" in %s:%d" % (gw.conf, conf_line(gw, rule))), \
        emerg


@pytest.mark.parametrize("cap_first", [True, False])
@pytest.mark.parametrize("model,method", [
    ("res.partner", "address_get"), ("product.product", "read_group"),
    ("product.product", "formatted_read_group"),
    ("product.product", "web_read_group"), ("sale.order", "export_data"),
])
def test_nginx_t_undeclared_shapes_under_a_cap(nginx, model, method,
                                               cap_first):
    rule = "govern_odoo_allow %s %s scope=catalog:read;" % (model, method)
    lines_ = ["govern on;", "govern_odoo json2;"]
    lines_ += (["govern_odoo_max_records 100;", rule] if cap_first
               else [rule, "govern_odoo_max_records 100;"])
    gw = t_gateway(nginx, "\n            ".join(lines_))
    rc, out = gw.test_config()
    gw.expect_bad_log = True
    assert rc != 0, out
    emerg = [x for x in out.splitlines() if "[emerg]" in x][0]
    assert "%s.%s" % (model, method) in emerg, emerg
    assert "govern_odoo_method" in emerg, emerg
    assert emerg.endswith(" in %s:%d" % (gw.conf, conf_line(gw, rule))), \
        emerg


@pytest.mark.parametrize("location", [
    # declared shapes, no cap, or rules on known shapes: all valid
    "govern on; govern_odoo json2; govern_odoo_max_records 100;\n"
    "            govern_odoo_method res.partner address_get records;\n"
    "            govern_odoo_method product.product read_group group=4;\n"
    "            govern_odoo_allow res.partner address_get scope=a;\n"
    "            govern_odoo_allow product.product read_group scope=a;",
    "govern on; govern_odoo json2;\n"
    "            govern_odoo_allow res.partner address_get scope=a;",
    "govern on; govern_odoo json2; govern_odoo_max_records 100 clamp;\n"
    "            govern_odoo_allow product.product search_read,name_search,"
    "read,write,create,action_confirm,button_validate scope=a;",
    "govern on; govern_odoo jsonrpc; govern_odoo_max_records 10;\n"
    "            govern_odoo_method sale.order x_export search=2;\n"
    "            govern_odoo_method sale.order x_bulk model;\n"
    "            govern_odoo_allow sale.order x_export,x_bulk scope=a;",
])
def test_nginx_t_accepts_declared_shapes(nginx, location):
    gw = t_gateway(nginx, location)
    rc, out = gw.test_config()
    assert rc == 0, out
