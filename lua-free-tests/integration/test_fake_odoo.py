"""The fake Odoo is the oracle of the closed-world tests: it must run a
call the way Odoo would (fields.Command compared with Python's ==, a list
of ids setting an x2many, a falsy limit being no limit, @api.model
dispatch) and log what it did.  Talked to directly, without nginx."""

import json
import os

import pytest
import requests

import harness

KEY = json.load(open(os.path.join(harness.ROOT, "config",
                                  "odoo-credentials.json")))["acme"]["api_key"]


class Odoo:
    def __init__(self, server):
        self.server = server
        self.base = "http://127.0.0.1:%d" % server.port

    def rpc(self, model, method, args, kwargs=None, call="execute_kw"):
        head = ["retail", 7, KEY, model, method]
        if call == "execute_kw":
            args = head + [args] + ([kwargs] if kwargs is not None else [])
        else:
            args = head + list(args)
        r = requests.post(self.base + "/jsonrpc", timeout=10, json={
            "jsonrpc": "2.0", "id": 1, "params": {
                "service": "object", "method": call, "args": args}})
        body = r.json()
        if "error" in body:
            raise AssertionError(body["error"]["data"]["message"])
        return body["result"]

    def json2(self, model, method, body=None, path=None):
        return requests.post(
            self.base + (path or "/json/2/%s/%s" % (model, method)),
            timeout=10, headers={"Authorization": "bearer " + KEY},
            **({} if body is None else {"json": body}))

    def last(self):
        return self.server.calls()[-1]

    def read(self, model, ids, fields):
        return self.rpc(model, "read", [ids, fields])


@pytest.fixture
def fake(odoo):
    return Odoo(odoo)


def line(code=0, second=0, qty=1):
    return [code, second, {"product_id": 1, "product_uom_qty": qty}]


@pytest.mark.parametrize("code", [0, 0.0, -0.0, False])
def test_create_command_compares_as_python(fake, code):
    oid = fake.rpc("sale.order", "create",
                   [{"partner_id": 3, "order_line": [line(code)] * 3}])
    assert fake.last()["effects"]["created"] == {"sale.order": 1,
                                                 "sale.order.line": 3}
    assert len(fake.read("sale.order", [oid], ["order_line"])[0][
        "order_line"]) == 3


def test_every_command_in_every_spelling(fake):
    oid = fake.rpc("sale.order", "create",
                   [{"partner_id": 3, "order_line": [line()] * 4,
                     "tag_ids": [1, 2.0, 3]}])
    assert fake.read("sale.order", [oid], ["tag_ids"])[0]["tag_ids"] == \
        [1, 2, 3]
    fake.rpc("sale.order", "write", [[oid], {
        "order_line": [[True, 1, {"product_uom_qty": 5}],   # update
                       [2.0, 2],                            # delete
                       [3, 3],                              # unlink
                       [7, 4], ["0", 0, {}], 4,             # skipped
                       ],
        "tag_ids": [[6.0, False, [4, 5]], [4.0, 1, 0]]}])
    effects = fake.last()["effects"]
    assert effects["deleted"] == {"sale.order.line": 1}
    assert effects["written"]["sale.order.line"] == 1
    assert effects["linked"] == {"crm.tag": 3}
    rec = fake.read("sale.order", [oid], ["order_line", "tag_ids"])[0]
    assert rec == {"id": oid, "order_line": [1, 4], "tag_ids": [1, 4, 5]}
    assert fake.read("sale.order.line", [1], ["product_uom_qty"])[0][
        "product_uom_qty"] == 5
    fake.rpc("sale.order", "write", [[oid], {"tag_ids": [[5, 0, 0]]}])
    assert fake.read("sale.order", [oid], ["tag_ids"])[0]["tag_ids"] == []
    fake.rpc("sale.order", "write", [[oid], {"tag_ids": False}])
    # a plain list of ids sets them: line 1 leaves the order
    fake.rpc("sale.order", "write", [[oid], {"order_line": [4]}])
    assert fake.read("sale.order", [oid], ["order_line"])[0][
        "order_line"] == [4]


def test_nested_creates(fake):
    fake.rpc("res.partner", "create", [{"name": "G", "child_ids": [
        [0, 0, {"name": "B", "child_ids": [[0.0, 0, {"name": "S"}]] * 4,
                "category_id": [[6, 0, [1, 2]]]}]] * 3}])
    effects = fake.last()["effects"]
    assert effects["created"] == {"res.partner": 1 + 3 * (1 + 4)}
    assert effects["linked"] == {"res.partner.category": 6}


@pytest.mark.parametrize("limit,expect", [
    (None, 3), (False, 3), (0, 3), (0.0, 3), (2, 2), (2.0, 2), (1, 1)])
def test_a_falsy_limit_is_no_limit(fake, limit, expect):
    for method, args in (("search_read", [[], ["name"], 0, limit]),
                         ("search", [[], 0, limit]),
                         ("search_fetch", [[], ["name"], 0, limit]),
                         ("name_search", ["", [], "ilike", limit])):
        assert len(fake.rpc("product.product", method, args)) == expect
        call = fake.last()
        assert call["bound"]["limit"] == limit and call["returned"] == expect


@pytest.mark.parametrize("limit", [-1, True, [1], {"a": 1}])
def test_limits_sql_rejects(fake, limit):
    with pytest.raises(AssertionError):
        fake.rpc("product.product", "search_read", [[]], {"limit": limit})


def test_name_search_defaults_to_100(fake):
    fake.rpc("product.product", "name_search", ["Mug"])
    assert fake.last()["bound"]["limit"] == 100
    r = fake.json2("product.product", "name_search")
    assert r.status_code == 200 and len(r.json()) == 3
    assert fake.last()["bound"]["limit"] == 100


def test_model_and_record_dispatch(fake):
    # @api.model: the first argument is the domain, not ids
    assert fake.rpc("product.product", "search_fetch",
                    [[["id", "in", [2, 3]]], ["name"]]) == [2, 3]
    assert fake.last()["ids"] == []
    # a record method takes ids first; an id that SQL rejects fails
    assert fake.rpc("res.partner", "address_get", [[3]]) == {"contact": 3}
    assert fake.last()["ids"] == [3]
    assert fake.rpc("product.product", "read", [[1.0], ["name"]])[0][
        "id"] == 1
    with pytest.raises(AssertionError, match="invalid input syntax"):
        fake.rpc("product.product", "read", [["a"], ["name"]])
    # JSON-2 refuses ids for an @api.model method
    r = fake.json2("product.product", "search_fetch",
                   {"ids": [1], "domain": [], "field_names": ["name"]})
    assert r.status_code == 422
    # execute: positional arguments only
    assert len(fake.rpc("product.product", "search_read",
                        [[], ["name"], 0, 1], call="execute")) == 1


def test_grouped_reads_read_every_record(fake):
    groups = fake.rpc("product.product", "read_group",
                      [[], ["list_price:sum"], ["sale_ok"], 0, 1])
    assert len(groups) == 1
    call = fake.last()
    assert call["bound"]["limit"] == 1 and call["returned"] == 1
    assert call["effects"]["read"] == {"product.product": 3}
    groups = fake.rpc("product.product", "formatted_read_group", [[]],
                      {"groupby": ["sale_ok"], "aggregates": ["__count"]})
    assert sorted(g["__count"] for g in groups) == [1, 2]
    r = fake.rpc("product.product", "web_read_group",
                 [[], ["sale_ok"], ["__count"], 1])
    assert r["length"] == 2 and len(r["groups"]) == 1
    assert fake.last()["effects"]["read"] == {"product.product": 3}


def test_json2_routes_decoded_paths(fake):
    r = fake.json2(None, None, path="/json/2/product.product/search%5Fread")
    assert r.status_code == 200 and len(r.json()) == 3
    assert fake.last()["bound"]["limit"] is None      # no body: no limit
    r = fake.json2(None, None, path="/json/2/res.users/read/..%2F..%2F"
                   "product.product/search_read")
    assert r.status_code == 404


def test_resequence_writes_on_the_session(fake, odoo):
    r = requests.post(fake.base + "/web/session/authenticate", timeout=10,
                      json={"params": {"db": "retail", "login": "admin",
                                       "password": "admin"}})
    oid = fake.rpc("sale.order", "create",
                   [{"partner_id": 3, "order_line": [line()] * 2}])
    r = requests.post(fake.base + "/web/dataset/resequence", timeout=10,
                      cookies=r.cookies, json={"params": {
                          "model": "sale.order.line", "ids": [2, 1],
                          "field": "sequence", "offset": 10}})
    assert r.json()["result"] is True
    assert fake.last()["method"] == "resequence"
    seq = {x["id"]: x["sequence"] for x in fake.read(
        "sale.order.line", [1, 2], ["sequence"])}
    assert seq == {2: 10, 1: 11} and oid
