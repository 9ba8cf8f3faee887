"""XML-RPC governed (#14): Python's stdlib xmlrpc.client, as Odoo's
external API documentation shows it, through the gateway to the fake Odoo,
with only the token added; refusals as Odoo's faults, logins answered by
the gateway, credentials spliced into the partner's XML, hostile XML
refused before Odoo sees a byte."""

import json
import os
import socket
import xmlrpc.client

import pytest

import harness

CREDS = json.load(open(os.path.join(harness.ROOT, "config",
                                    "odoo-credentials.json")))

CONF = """
    govern_odoo_credentials @PREFIX@/odoo-credentials.json;
    server {
        listen 127.0.0.1:@PORT@;
        govern_audit @PREFIX@/audit.log buffer=0;
        @JWT@

        location /xmlrpc/ {
            govern on;
            govern_odoo xmlrpc;
            govern_odoo_allow res.partner search_read,create,read
                              scope=customers:write;
            govern_odoo_allow product.product search_read scope=catalog:read;
            govern_odoo_max_records 100 @CLAMP@;
            proxy_pass http://odoo;
        }
    }
"""

SCOPES = "catalog:read customers:write"


def gateway(nginx, odoo, clamp=""):
    gw = nginx(CONF, odoo=odoo, extra={"CLAMP": clamp}, start=False)
    gw.install_credentials()
    gw.start()
    return gw


def proxy(gw, service, token, legacy=False):
    prefix = "/xmlrpc/" if legacy else "/xmlrpc/2/"
    headers = [("Authorization", "Bearer " + token)] if token else []
    return xmlrpc.client.ServerProxy(gw.url(prefix + service),
                                     headers=headers)


def fault(fn):
    with pytest.raises(xmlrpc.client.Fault) as e:
        fn()
    return e.value


@pytest.fixture
def token(keys):
    return keys.token("RS256", scope=SCOPES)


def test_documented_flow(nginx, odoo, token):
    """common.version, authenticate, then execute_kw, as the docs show;
    the partner's key never reaches Odoo, the mapped one does."""
    gw = gateway(nginx, odoo)
    common = proxy(gw, "common", token)
    assert common.version()["server_version"].startswith("1")
    uid = common.authenticate("retail", "bot@partner", "anything", {})
    assert uid == CREDS["acme"]["uid"]
    models = proxy(gw, "object", token)
    rows = models.execute_kw("retail", uid, "not-the-key", "res.partner",
                             "search_read", [[["is_company", "=", True]]],
                             {"fields": ["name"], "limit": 5})
    assert rows and all("name" in r for r in rows)
    new = models.execute_kw("retail", uid, "not-the-key", "res.partner",
                            "create", [{"name": "XML Partner"}])
    assert isinstance(new, int)
    calls = odoo.calls()
    assert [c["method"] for c in calls if c.get("model")] == \
        ["search_read", "create"]
    # logins never reached Odoo; the mapped key did, the partner's did not
    raw = b"".join(r["body"].encode() if isinstance(r.get("body"), str)
                   else b"" for r in odoo.requests())
    assert b"not-the-key" not in raw
    assert b"authenticate" not in raw
    records = gw.wait_audit(5)
    assert records[-1]["odoo"]["protocol"] == "xmlrpc"
    assert records[-1]["odoo"]["method"] == "create"
    assert records[1]["decision"] == "allow"
    assert records[1]["upstream_status"] is None


def test_refusals_are_faults(nginx, odoo, token, keys):
    gw = gateway(nginx, odoo)
    models = proxy(gw, "object", token)
    # a model no rule allows: AccessError, 4
    f = fault(lambda: models.execute_kw("retail", 7, "k", "res.users",
                                        "read", [[1]], {}))
    assert f.faultCode == 4 and "odoo_denied" in f.faultString
    # no token (the password "k" is taken for one): AccessDenied, 3
    f = fault(lambda: proxy(gw, "object", None).execute_kw(
        "retail", 7, "k", "res.partner", "search_read", [[]],
        {"limit": 1}))
    assert f.faultCode == 3 and "token_malformed" in f.faultString
    f = fault(lambda: proxy(gw, "object", None).execute_kw(
        "retail", 7, "", "res.partner", "search_read", [[]],
        {"limit": 1}))
    assert f.faultCode == 3 and "token_missing" in f.faultString
    # a search over the cap
    f = fault(lambda: models.execute_kw("retail", 7, "k", "res.partner",
                                        "search_read", [[]], {}))
    assert f.faultCode == 4 and "every record" in f.faultString
    # the db service is never exposed
    f = fault(lambda: proxy(gw, "db", token).list())
    assert f.faultCode == 4
    # the legacy route answers with Odoo's string fault codes
    f = fault(lambda: proxy(gw, "object", token, legacy=True).execute_kw(
        "retail", 7, "k", "res.users", "read", [[1]], {}))
    assert isinstance(f.faultCode, str)
    assert odoo.requests() == []


def raw_post(gw, path, body, token):
    s = socket.create_connection(("127.0.0.1", gw.port), 5)
    req = ("POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\n"
           "Authorization: Bearer %s\r\nContent-Length: %d\r\n"
           "Connection: close\r\n\r\n" % (path, token, len(body))).encode()
    s.sendall(req + body)
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    return data


@pytest.mark.parametrize("body", [
    # billion laughs
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><methodCall><methodName>'
    b'execute_kw</methodName><params><param><value>&lol2;</value></param>'
    b'</params></methodCall>',
    # an external entity
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM '
    b'"file:///etc/passwd">]><methodCall><methodName>version</methodName>'
    b'<params><param><value>&e;</value></param></params></methodCall>',
    # deep nesting
    b'<methodCall><methodName>execute_kw</methodName><params><param>'
    + b"<value><array><data>" * 2000 + b"</data></array></value>" * 2000
    + b'</param></params></methodCall>',
    # invalid UTF-8
    b'<methodCall><methodName>execute_kw\xff</methodName></methodCall>',
    # an int Python would not read as one
    b'<methodCall><methodName>execute_kw</methodName><params><param>'
    b'<value><int>99999999999999999999999</int></value></param></params>'
    b'</methodCall>',
])
def test_hostile_xml_never_reaches_odoo(nginx, odoo, token, body):
    gw = gateway(nginx, odoo)
    data = raw_post(gw, "/xmlrpc/2/object", body, token)
    head, _, payload = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), head
    assert b"<fault>" in payload and b"odoo_malformed" in payload
    assert odoo.requests() == []


def test_credentials_spliced_as_xml(nginx, odoo, token):
    gw = gateway(nginx, odoo)
    models = proxy(gw, "object", token)
    models.execute_kw("partner-db", 99, "partner-key", "product.product",
                      "search_read", [[]], {"fields": ["name"], "limit": 3})
    (req,) = [r for r in odoo.requests() if "/xmlrpc/" in r["path"]]
    body = req["body"]
    assert "<string>retail</string>" in body
    assert "<int>%d</int>" % CREDS["acme"]["uid"] in body
    assert CREDS["acme"]["api_key"] in body
    assert "partner-key" not in body and "partner-db" not in body


def test_clamp_as_xml(nginx, odoo, token):
    gw = gateway(nginx, odoo, clamp="clamp")
    models = proxy(gw, "object", token)
    rows = models.execute_kw("retail", 7, "k", "product.product",
                             "search_read", [[]], {"fields": ["name"]})
    assert isinstance(rows, list)
    (call,) = [c for c in odoo.calls() if c.get("model")]
    assert call["kwargs"].get("limit") == 100
    (rec,) = gw.wait_audit(1)
    assert rec["odoo"]["clamped"] is True and rec["odoo"]["records"] == 100


def test_token_as_the_password(nginx, odoo, keys):
    """Clients that cannot add a header: the token where Odoo's key goes,
    as the call's password argument, or HTTP Basic's password."""
    gw = gateway(nginx, odoo)
    token = keys.token("RS256", scope=SCOPES)
    common = xmlrpc.client.ServerProxy(gw.url("/xmlrpc/2/common"))
    uid = common.authenticate("retail", "bot@partner", token, {})
    assert uid == CREDS["acme"]["uid"]
    models = xmlrpc.client.ServerProxy(gw.url("/xmlrpc/2/object"))
    rows = models.execute_kw("retail", uid, token, "res.partner",
                             "search_read", [[]], {"fields": ["name"],
                                                  "limit": 2})
    assert len(rows) == 2
    (req,) = [r for r in odoo.requests() if "/xmlrpc/" in r["path"]]
    assert token not in req["body"]
    assert CREDS["acme"]["api_key"] in req["body"]
    # HTTP Basic, as user:password@ in the URL
    basic = xmlrpc.client.ServerProxy(
        "http://bot:%s@127.0.0.1:%d/xmlrpc/2/object" % (token, gw.port))
    assert len(basic.execute_kw("retail", 7, "x", "res.partner",
                                "search_read", [[]], {"limit": 1})) == 1
    # a bad token as the password is refused as a bad token
    f = fault(lambda: models.execute_kw("retail", 7, token[:-4] + "AAAA",
                                        "res.partner", "search_read", [[]],
                                        {"limit": 1}))
    assert f.faultCode == 3 and "token_signature" in f.faultString


def test_odoo_key_instead_of_a_token(nginx, odoo):
    gw = gateway(nginx, odoo)
    models = xmlrpc.client.ServerProxy(gw.url("/xmlrpc/2/object"))
    f = fault(lambda: models.execute_kw("retail", 7,
                                        CREDS["acme"]["api_key"],
                                        "res.partner", "search_read", [[]],
                                        {"limit": 1}))
    assert f.faultCode == 3
    assert "not Odoo keys" in f.faultString
    assert odoo.requests() == []


def test_header_only_refuses_the_password(nginx, odoo, keys):
    gw = nginx(CONF.replace("govern_odoo xmlrpc;",
                            "govern_odoo xmlrpc;\n"
                            "            govern_odoo_token header;"),
               odoo=odoo, extra={"CLAMP": ""}, start=False)
    gw.install_credentials()
    gw.start()
    token = keys.token("RS256", scope=SCOPES)
    models = xmlrpc.client.ServerProxy(gw.url("/xmlrpc/2/object"))
    f = fault(lambda: models.execute_kw("retail", 7, token, "res.partner",
                                        "search_read", [[]], {"limit": 1}))
    assert f.faultCode == 3 and "token_missing" in f.faultString
    assert odoo.requests() == []


def test_n8n_shape(nginx, odoo, keys):
    """n8n's Odoo node: JSON-RPC /jsonrpc, common.login before every
    operation, then object.execute with positional arguments, the token as
    the password (it cannot send a bearer header)."""
    import requests
    gw = nginx("""
    govern_odoo_credentials @PREFIX@/odoo-credentials.json;
    server {
        listen 127.0.0.1:@PORT@;
        @JWT@
        location = /jsonrpc {
            govern on;
            govern_odoo jsonrpc;
            govern_odoo_allow res.partner search_read scope=customers:write;
            govern_odoo_max_records 100 clamp;
            proxy_pass http://odoo;
        }
    }
    """, odoo=odoo, start=False)
    gw.install_credentials()
    gw.start()
    token = keys.token("RS256", scope=SCOPES)
    login = requests.post(gw.url("/jsonrpc"), json={
        "jsonrpc": "2.0", "method": "call", "id": 1, "params": {
            "service": "common", "method": "login",
            "args": ["retail", "n8n@partner", token]}}).json()
    assert login == {"jsonrpc": "2.0", "id": 1,
                     "result": CREDS["acme"]["uid"]}
    # n8n's "get all": limit 0, which the clamp turns into 100
    rows = requests.post(gw.url("/jsonrpc"), json={
        "jsonrpc": "2.0", "method": "call", "id": 2, "params": {
            "service": "object", "method": "execute",
            "args": ["retail", login["result"], token, "res.partner",
                     "search_read", [], ["name"], 0, 0]}}).json()
    assert isinstance(rows["result"], list), rows
    (call,) = [c for c in odoo.calls() if c.get("model")]
    assert call["bound"]["limit"] == 100


NPM = os.path.join(harness.ROOT, "build", "npm", "node_modules")


def test_npm_clients(nginx, odoo, keys):
    """odoo-await 3.4.1 and odoo-xmlrpc 1.0.8, unchanged: authenticate,
    search_read with a limit, create, and a refusal they can read."""
    import subprocess
    gw = gateway(nginx, odoo)
    token = keys.token("RS256", scope=SCOPES)
    run = subprocess.run(
        ["node", os.path.join(os.path.dirname(__file__), "odoo_clients.js"),
         "http://127.0.0.1", str(gw.port), token],
        capture_output=True, text=True, timeout=60,
        env=dict(os.environ, NODE_PATH=NPM))
    out = json.loads(run.stdout or "{}")
    assert "crashed" not in out, (out, run.stderr[-2000:])
    uid = CREDS["acme"]["uid"]
    assert out["await_uid"] == uid and out["xmlrpc_uid"] == {"value": uid}
    assert len(out["await_rows"]) == 2
    assert len(out["xmlrpc_rows"]["value"]) == 2
    assert isinstance(out["await_created"], int)
    assert isinstance(out["xmlrpc_created"]["value"], int)
    for refused in (out["await_refused"], out["xmlrpc_refused"]["error"]):
        assert refused["faultCode"] == 4
        assert "odoo_denied" in refused["faultString"]
    # the partner's token never reached Odoo, the mapped key did
    bodies = "".join(r["body"] for r in odoo.requests())
    assert token not in bodies and CREDS["acme"]["api_key"] in bodies


def test_the_odoo_key_never_leaks(nginx, odoo, keys):
    """The mapped Odoo key reaches Odoo and nothing else: not a response,
    not an audit record, not the error log at info level."""
    gw = nginx(CONF.replace("        @JWT@",
                            "        @JWT@\n"
                            "        error_log @PREFIX@/info.log info;"),
               odoo=odoo, extra={"CLAMP": ""}, start=False)
    gw.install_credentials()
    gw.start()
    token = keys.token("RS256", scope=SCOPES)
    key = CREDS["acme"]["api_key"]
    seen = []
    for body in (
            xmlrpc.client.dumps(("retail", "bot", token, {}),
                                "authenticate"),
            xmlrpc.client.dumps(("retail", 7, token, "res.partner",
                                 "search_read", [[]], {"limit": 1}),
                                "execute_kw"),
            xmlrpc.client.dumps(("retail", 7, token, "res.users", "read",
                                 [[1]], {}), "execute_kw"),
            xmlrpc.client.dumps(("retail", 7, token, "res.partner",
                                 "search_read", [[]], {}), "execute_kw")):
        for path in ("/xmlrpc/2/object", "/xmlrpc/2/common"):
            seen.append(raw_post(gw, path, body.encode(), token))
    assert any(key.encode() in r["body"].encode()
               for r in odoo.requests())      # it did reach Odoo
    assert not any(key.encode() in r for r in seen)
    gw.wait_audit(8)
    with open(os.path.join(gw.prefix, "audit.log")) as f:
        assert key not in f.read()
    with open(os.path.join(gw.prefix, "info.log")) as f:
        log = f.read()
    assert "refused" in log and key not in log and token not in log
