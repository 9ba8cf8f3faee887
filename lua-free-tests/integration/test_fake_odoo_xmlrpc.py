"""The fake Odoo's XML-RPC, driven directly (no gateway) by Python's
stdlib xmlrpc.client exactly as Odoo's external API documentation shows
it, so the fake's fidelity is shown by a real client: version, the
four-argument authenticate, execute_kw and execute, Odoo's marshalling
(dates as strings, no None, control characters removed) and its faults
(integer codes on /xmlrpc/2/, string codes on the legacy /xmlrpc/)."""

import datetime
import json
import os
import urllib.request
import xmlrpc.client

import pytest
import requests

import harness

CREDENTIALS = json.load(open(os.path.join(harness.ROOT, "config",
                                          "odoo-credentials.json")))
DB = "retail"
LOGIN = "acme@bots.example"
KEY = CREDENTIALS["acme"]["api_key"]


@pytest.fixture
def url(odoo):
    return "http://127.0.0.1:%d" % odoo.port


def fault(call):
    with pytest.raises(xmlrpc.client.Fault) as info:
        call()
    return info.value


def test_the_documented_flow(url, odoo):
    """Odoo's external API page (14.0 to 18.0), call for call."""
    common = xmlrpc.client.ServerProxy("{}/xmlrpc/2/common".format(url))
    version = common.version()
    assert version["server_version"] == "19.0"
    assert version["server_version_info"] == [19, 0, 0, "final", 0, ""]
    assert version["protocol_version"] == 1

    uid = common.authenticate(DB, LOGIN, KEY, {})
    assert uid == 7

    models = xmlrpc.client.ServerProxy("{}/xmlrpc/2/object".format(url))
    assert models.execute_kw(DB, uid, KEY, "res.partner",
                             "check_access_rights", ["read"],
                             {"raise_exception": False}) is True
    companies = models.execute_kw(DB, uid, KEY, "res.partner", "search",
                                  [[["is_company", "=", True]]])
    assert companies == [1, 3]
    assert models.execute_kw(DB, uid, KEY, "res.partner", "search",
                             [[["is_company", "=", True]]],
                             {"offset": 1, "limit": 5}) == [3]
    assert models.execute_kw(DB, uid, KEY, "res.partner", "search_count",
                             [[["is_company", "=", True]]]) == 2

    [record] = models.execute_kw(DB, uid, KEY, "res.partner", "read",
                                 [companies[1:]],
                                 {"fields": ["name", "country_id",
                                             "comment"]})
    assert record == {"id": 3, "name": "Deco Addict", "country_id": False,
                      "comment": False}

    fields = models.execute_kw(DB, uid, KEY, "res.partner", "fields_get", [],
                               {"attributes": ["string", "help", "type"]})
    assert fields["comment"] == {"string": "Comment", "type": "html"}
    assert fields["country_id"] == {"string": "Country Id",
                                    "type": "many2one"}

    rows = models.execute_kw(DB, uid, KEY, "res.partner", "search_read",
                             [[["is_company", "=", True]]],
                             {"fields": ["name", "country_id", "comment"],
                              "limit": 5})
    assert [r["name"] for r in rows] == ["My Company", "Deco Addict"]

    new = models.execute_kw(DB, uid, KEY, "res.partner", "create",
                            [{"name": "New Partner"}])
    assert isinstance(new, int)
    assert models.execute_kw(DB, uid, KEY, "res.partner", "create",
                             [[{"name": "A"}, {"name": "B"}]]) == \
        [new + 1, new + 2]
    assert models.execute_kw(DB, uid, KEY, "res.partner", "write",
                             [[new], {"name": "Newer partner"}]) is True
    assert models.execute_kw(DB, uid, KEY, "res.partner", "read",
                             [[new], ["display_name"]]) == \
        [{"id": new, "display_name": "Newer partner"}]

    # the bot may not delete contacts: Odoo's AccessError, fault 4
    f = fault(lambda: models.execute_kw(DB, uid, KEY, "res.partner",
                                        "unlink", [[new]]))
    assert f.faultCode == 4
    assert f.faultString.startswith("You are not allowed to delete "
                                    "'Contact' (res.partner) records.")

    # what Odoo ran, and how the caller authenticated
    calls = [c for c in odoo.calls() if c.get("service") != "common"]
    assert {c["protocol"] for c in calls} == {"xmlrpc"}
    assert {c["auth"] for c in calls} == {"apikey"}
    assert calls[-1]["method"] == "unlink" and calls[-1]["ids"] == [new]
    assert all(c["credential"] == KEY[:8] for c in calls)


def test_logins(url, odoo):
    common = xmlrpc.client.ServerProxy(url + "/xmlrpc/2/common")
    assert common.login(DB, LOGIN, KEY) == 7
    assert common.login(DB, "admin", "admin") == 2
    # bad credentials are not a fault: Odoo answers False
    assert common.login(DB, LOGIN, "0" * 40) is False
    assert common.authenticate(DB, "nobody", KEY, {}) is False

    # exp_authenticate takes four arguments, exp_login three
    f = fault(lambda: common.authenticate(DB, LOGIN, KEY))
    assert f.faultCode == 1
    assert f.faultString.endswith(
        "TypeError: exp_authenticate() missing 1 required positional "
        "argument: 'user_agent_env'\n")
    f = fault(lambda: common.login(DB, LOGIN, KEY, {}))
    assert "TypeError: exp_login() takes 3 positional arguments" in \
        f.faultString
    f = fault(lambda: common.frobnicate())
    assert f.faultString.endswith("Exception: Method not found: "
                                  "frobnicate\n")
    # a database that does not exist fails in Registry(db)
    f = fault(lambda: common.authenticate("nodb", LOGIN, KEY, {}))
    assert "psycopg2.OperationalError" in f.faultString

    # the password never reaches the call log
    assert all(KEY not in json.dumps(c) for c in odoo.calls())


def test_integer_faults(url):
    models = xmlrpc.client.ServerProxy(url + "/xmlrpc/2/object")
    cases = [
        # AccessDenied: a wrong key, an empty one, a key of another uid
        (lambda: models.execute_kw(DB, 7, "0" * 40, "res.partner",
                                   "search", [[]]), 3, "Access Denied"),
        (lambda: models.execute_kw(DB, 7, "", "res.partner", "search",
                                   [[]]), 3, "Access Denied"),
        (lambda: models.execute_kw(DB, 8, KEY, "res.partner", "search",
                                   [[]]), 3, "Access Denied"),
        # AccessError: the ACL, a private method
        (lambda: models.execute_kw(DB, 7, KEY, "account.move", "create",
                                   [{}]), 4, "You are not allowed to create"),
        (lambda: models.execute_kw(DB, 7, KEY, "res.partner", "_read",
                                   [[1]]), 4,
         "Private methods (such as 'res.partner._read') cannot be called "
         "remotely."),
        # UserError and its subclasses: 2
        (lambda: models.execute_kw(DB, 7, KEY, "no.such.model", "search",
                                   [[]]), 2, "Object no.such.model doesn't "
                                             "exist"),
        (lambda: models.execute_kw(DB, 7, KEY, "sale.order", "create",
                                   [{}]), 2, "The operation cannot be "
                                             "completed"),
        (lambda: models.execute_kw(DB, 7, KEY, "res.partner", "read",
                                   [[999], ["name"]]), 2,
         "Record does not exist or has been deleted."),
    ]
    for call, code, text in cases:
        f = fault(call)
        assert (f.faultCode, f.faultString[:len(text)]) == (code, text)

    # anything else: 1, the traceback as faultString
    f = fault(lambda: models.execute_kw(DB, 7, KEY, "res.partner",
                                        "frobnicate", [[1]]))
    assert f.faultCode == 1
    assert f.faultString.startswith("Traceback (most recent call last):\n")
    assert f.faultString.endswith("AttributeError: The method "
                                  "'res.partner.frobnicate' does not "
                                  "exist\n")
    f = fault(lambda: models.login(DB, LOGIN, KEY))
    assert f.faultString.endswith("NameError: Method not available login\n")
    f = fault(lambda: xmlrpc.client.ServerProxy(url + "/xmlrpc/2/report")
              .render())
    assert f.faultCode == 1 and f.faultString.endswith("KeyError: 'report'\n")


def test_legacy_string_faults(url):
    models = xmlrpc.client.ServerProxy(url + "/xmlrpc/object")
    f = fault(lambda: models.execute_kw(DB, 7, "0" * 40, "res.partner",
                                        "search", [[]]))
    assert (f.faultCode, f.faultString) == ("AccessDenied", "Access Denied")
    f = fault(lambda: models.execute_kw(DB, 7, KEY, "res.partner", "unlink",
                                        [[3]]))
    assert f.faultCode.startswith("warning -- AccessError\n\nYou are not "
                                  "allowed to delete")
    assert f.faultString == ""
    f = fault(lambda: models.execute_kw(DB, 7, KEY, "res.partner", "read",
                                        [[999]]))
    assert f.faultCode.startswith("warning -- MissingError\n\nRecord does "
                                  "not exist")
    f = fault(lambda: models.execute_kw(DB, 7, KEY, "sale.order", "create",
                                        [{}]))
    assert f.faultCode.startswith("warning -- UserError\n\nThe operation")
    f = fault(lambda: models.execute_kw(DB, 7, KEY, "res.partner", "nope",
                                        [[1]]))
    assert f.faultCode == "The method 'res.partner.nope' does not exist"
    assert f.faultString.startswith("Traceback (most recent call last):\n")

    # and what succeeds is answered alike
    common = xmlrpc.client.ServerProxy(url + "/xmlrpc/common")
    assert common.authenticate(DB, LOGIN, KEY, {}) == 7
    assert models.execute_kw(DB, 7, KEY, "res.partner", "search_count",
                             [[]]) >= 3


def test_wire(url):
    """HTTP 200 and text/xml for answers and faults alike, the body as
    Odoo's dumps() writes it; POST only."""
    call = xmlrpc.client.dumps((DB, 7, "bad", "res.partner", "search",
                                [[]]), "execute_kw")
    r = requests.post(url + "/xmlrpc/2/object", data=call)
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert r.text == (
        '<?xml version="1.0"?>\n<methodResponse>\n<fault>\n<value><struct>\n'
        "<member>\n<name>faultCode</name>\n<value><int>3</int></value>\n"
        "</member>\n<member>\n<name>faultString</name>\n<value><string>"
        "Access Denied</string></value>\n</member>\n</struct></value>\n"
        "</fault>\n\n</methodResponse>\n")

    r = requests.post(url + "/xmlrpc/2/common",
                      data=xmlrpc.client.dumps((), "version"))
    assert r.text.startswith('<?xml version="1.0"?>\n<methodResponse>\n'
                             "<params>\n<param>\n<value><struct>\n")
    assert r.text.endswith("</param>\n</params>\n\n</methodResponse>\n")

    # what Python cannot parse: Odoo's fault 1, still HTTP 200
    r = requests.post(url + "/xmlrpc/2/object", data=b"not xml")
    assert r.status_code == 200
    f = fault(lambda: xmlrpc.client.loads(r.content))
    assert f.faultCode == 1 and "ExpatError" in f.faultString

    r = requests.get(url + "/xmlrpc/2/object")
    assert r.status_code == 405
    assert r.headers["Allow"] == "OPTIONS, POST"


def test_marshalling(url, odoo):
    models = xmlrpc.client.ServerProxy(url + "/xmlrpc/2/object",
                                       allow_none=True)

    # dateTime.iso8601 in (read with use_datetime=True), the ORM's
    # string out
    order = models.execute_kw(DB, 7, KEY, "sale.order", "create",
                              [{"partner_id": 3, "date_order":
                                datetime.datetime(2024, 2, 29, 23, 59, 1)}])
    [row] = models.execute_kw(DB, 7, KEY, "sale.order", "read",
                              [[order], ["date_order", "partner_id"]])
    assert row["date_order"] == "2024-02-29 23:59:01"
    assert row["partner_id"] == [3, "Deco Addict"]

    # nil is read (a client's None), never written (allow_none=False)
    assert models.execute_kw(DB, 7, KEY, "res.partner", "search_read",
                             [[["id", "=", 3]]],
                             {"fields": ["name"], "limit": None}) == \
        [{"id": 3, "name": "Deco Addict"}]
    [call] = [c for c in odoo.calls() if c.get("method") == "search_read"]
    assert call["kwargs"] == {"fields": ["name"], "limit": None}

    # control characters are removed from what is written
    r = requests.post(url + "/jsonrpc", json={
        "jsonrpc": "2.0", "id": 1, "params": {
            "service": "object", "method": "execute_kw",
            "args": [DB, 7, KEY, "res.partner", "write",
                     [[3], {"comment": "<p>a\x03b\tc</p>"}]]}})
    assert r.json()["result"] is True
    [row] = models.execute_kw(DB, 7, KEY, "res.partner", "read",
                              [[3], ["comment"]])
    assert row["comment"] == "<p>ab\tc</p>"

    # integers within 32 bits and out; doubles; booleans
    [row] = models.execute_kw(DB, 7, KEY, "product.product", "read",
                              [[1], ["list_price", "sale_ok"]])
    assert row == {"id": 1, "list_price": 19.9, "sale_ok": True}


def test_one_dispatcher(url, odoo):
    """The same call over /jsonrpc and XML-RPC: the same answer, the
    same call reaching the model, and Odoo's model-vs-record reading of
    the arguments."""
    args = [[["is_company", "=", True]], ["name"]]
    kwargs = {"limit": 1, "context": {"lang": "en_US"}}
    via_xml = xmlrpc.client.ServerProxy(url + "/xmlrpc/2/object").execute_kw(
        DB, 7, KEY, "res.partner", "search_read", args, kwargs)
    via_json = requests.post(url + "/jsonrpc", json={
        "jsonrpc": "2.0", "id": 1, "params": {
            "service": "object", "method": "execute_kw",
            "args": [DB, 7, KEY, "res.partner", "search_read", args,
                     kwargs]}}).json()["result"]
    assert via_xml == via_json == [{"id": 1, "name": "My Company"}]
    xml_call, json_call = odoo.calls()
    assert (xml_call["protocol"], json_call["protocol"]) == ("xmlrpc",
                                                             "jsonrpc")
    for key in ("model", "method", "args", "kwargs", "context", "ids"):
        assert xml_call[key] == json_call[key]

    models = xmlrpc.client.ServerProxy(url + "/xmlrpc/2/object")
    # @api.model methods take no ids; search_fetch's recordset is ids
    assert models.execute_kw(DB, 7, KEY, "res.partner", "search_fetch",
                             [[["is_company", "=", True]], ["name"]],
                             {"limit": 1}) == [1]
    assert models.execute_kw(DB, 7, KEY, "res.partner", "name_search",
                             ["Deco"]) == [[3, "Deco Addict"]]
    assert models.execute_kw(DB, 7, KEY, "account.move",
                             "check_access_rights", ["unlink"],
                             {"raise_exception": False}) is False
    f = fault(lambda: models.execute_kw(DB, 7, KEY, "account.move",
                                        "check_access_rights", ["unlink"]))
    assert f.faultCode == 4
    # record methods take the ids first, a list or one id
    assert models.execute(DB, 7, KEY, "res.partner", "read", 3,
                          ["name"]) == [{"id": 3, "name": "Deco Addict"}]
    assert odoo.calls()[-1]["ids"] == [3]
    # execute: positional arguments after the method
    assert models.execute(DB, 7, KEY, "res.partner", "search",
                          [["is_company", "=", True]], 0, 1) == [1]
    assert odoo.calls()[-1]["args"] == [[["is_company", "=", True]], 0, 1]
    assert odoo.calls()[-1]["ids"] == []      # an empty recordset


def test_db_service(url):
    db = xmlrpc.client.ServerProxy(url + "/xmlrpc/2/db")
    assert db.list() == [DB]
    assert fault(lambda: db.drop("admin", DB)).faultCode == 3


def test_json2_unauthenticated_text(url):
    """odoo/addons/base/models/ir_http.py _auth_method_bearer (19.0)."""
    r = requests.post(url + "/json/2/res.partner/search_read", json={})
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"] == "Bearer"
    body = r.json()
    assert body["name"] == "werkzeug.exceptions.Unauthorized"
    assert body["message"] == ("User not authenticated, use an API Key "
                               "with a Bearer Authorization header.")


def test_raw_stdlib_transport(url):
    """urllib, as a client without xmlrpc.client would post it."""
    body = ("<?xml version='1.0'?>\n<methodCall>\n<methodName>authenticate"
            "</methodName>\n<params>\n<param><value><string>%s</string>"
            "</value></param>\n<param><value>%s</value></param>\n"
            "<param><value>%s</value></param>\n<param><value><struct/>"
            "</value></param>\n</params>\n</methodCall>\n"
            % (DB, LOGIN, KEY)).encode()
    req = urllib.request.Request(url + "/xmlrpc/2/common", data=body,
                                 headers={"Content-Type": "text/xml"})
    with urllib.request.urlopen(req, timeout=10) as r:
        params, _ = xmlrpc.client.loads(r.read())
    assert params == (7,)
