"""Request bodies validated at the edge: the retail order schema, every
kind of violation with its pointer, malformed and hostile JSON, media
types, sizes, bodies on disk, chunked and trickled bodies, and nginx -t."""

import hashlib
import json
import os
import socket
import subprocess
import time

import pytest
import requests

import harness

SCHEMAS = os.path.join(harness.ROOT, "config", "schemas")

CONF = """
    server {
        listen 127.0.0.1:@PORT@;
        govern_audit @PREFIX@/audit.log buffer=0;
        client_max_body_size 64k;
        client_body_buffer_size 1k;
        @JWT@

        location /json/2/ {
            govern on;
            govern_schema @SCHEMAS@/order.json;
            proxy_pass http://odoo;
        }

        location /typed/ {
            govern on;
            govern_schema @SCHEMAS@/order.json methods=POST;
            govern_content_types application/json application/vnd.order+json;
            proxy_pass http://odoo/json/2/;
        }
    }
"""

ORDER = {
    "partner_ref": "PX-PO-1001", "currency": "EUR",
    "ordered_at": "2026-11-26T10:00:00Z",
    "customer": {"name": "Jane Doe", "email": "jane@example.com"},
    "lines": [{"sku": "SKU-001", "qty": 2, "unit_price": 19.9},
              {"sku": "SKU-002", "qty": 1}],
}


@pytest.fixture
def gw(nginx, odoo):
    return nginx(CONF, odoo=odoo, extra={"SCHEMAS": SCHEMAS})


def reached_odoo(r):
    """Odoo answered (here 401: partners' Odoo keys are issue 6's)."""
    return "reason" not in r.json() and r.json()["name"].startswith(
        "werkzeug")


def post(gw, api, body, path="/json/2/sale.order/create",
         ctype="application/json"):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return api.post(gw.url(path), data=data,
                    headers={"Content-Type": ctype})


def test_valid_order_reaches_upstream_byte_for_byte(gw, odoo, api):
    data = json.dumps(ORDER, indent=1).encode()
    r = post(gw, api, data)
    assert reached_odoo(r)
    (req,) = odoo.requests()
    assert req["body_sha256"] == hashlib.sha256(data).hexdigest()
    (rec,) = gw.wait_audit(1)
    assert rec["body_sha256"] == hashlib.sha256(data).hexdigest()
    assert rec["decision"] == "allow"


@pytest.mark.parametrize("change,pointer,keyword", [
    ({"currency": "JPY"}, "/currency", "enum"),
    ({"partner_ref": "PO-1"}, "/partner_ref", "pattern"),
    ({"ordered_at": "yesterday"}, "/ordered_at", "format"),
    ({"lines": []}, "/lines", "minItems"),
    ({"extra": 1}, "/extra", "additionalProperties"),
    ({"customer": {"name": "J", "email": "not-mail"}}, "/customer/email",
     "format"),
    ({"lines": [{"sku": "SKU-001", "qty": 0}]}, "/lines/0/qty", "minimum"),
    ({"lines": [{"sku": "SKU-001", "qty": 1.5}]}, "/lines/0/qty", "type"),
    ({"lines": [{"sku": "SKU-001", "qty": 1, "unit_price": 1.001}]},
     "/lines/0/unit_price", "multipleOf"),
    ({"lines": [{"qty": 1}]}, "/lines/0", "required"),
    ({"note": "x" * 501}, "/note", "maxLength"),
])
def test_violations(gw, odoo, api, change, pointer, keyword):
    body = dict(ORDER)
    body.update(change)
    r = post(gw, api, body)
    assert r.status_code == 422
    problem = r.json()
    assert problem["reason"] == "schema_invalid"
    assert {"pointer": pointer, "keyword": keyword} in [
        {"pointer": e["pointer"], "keyword": e["keyword"]}
        for e in problem["errors"]]
    assert odoo.requests() == []


def test_at_most_20_errors(gw, odoo, api):
    body = dict(ORDER)
    body["lines"] = [{"sku": "bad", "qty": 0}] * 50
    r = post(gw, api, body)
    assert r.status_code == 422
    assert len(r.json()["errors"]) == 20
    assert "100 errors" in r.json()["detail"]


@pytest.mark.parametrize("data", [
    b'{"partner_ref": "PX-PO-1001", "partner_ref": "PX-PO-1002"}',
    b'{"note": "caf\xe9"}',
    b'{"lines": [' + b'[' * 30000 + b']' * 30000 + b']}',
    b'{"partner_ref": "PX-PO-1001", "currency": ',
    b'',
    b'not json',
    b'{"partner_ref": "\\ud800"}',
    b'{"partner_ref": "PX\\u0000PO"}',
    b'{"qty": 1e400}',
    b'{"qty": 01}',
    b'{"a": 1} {"b": 2}',
    b'{"k%d": 1, ' % 0 + b", ".join(b'"k%d": 1' % i for i in range(300)) + b'}',
], ids=["duplicate-keys", "invalid-utf8", "30000-deep", "truncated",
        "empty", "not-json", "lone-surrogate", "nul-escape", "huge-number",
        "leading-zero", "two-documents", "duplicate-among-300-keys"])
def test_malformed_json(gw, odoo, api, data):
    t0 = time.monotonic()
    r = post(gw, api, data)
    assert r.status_code in (400, 413), r.text
    if r.status_code == 400:
        assert r.json()["reason"] == "json_malformed"
        assert "(at byte " in r.json()["detail"]
    assert time.monotonic() - t0 < 2
    assert odoo.requests() == []


def test_big_string_and_body_on_disk(gw, odoo, api):
    body = dict(ORDER)
    body["note"] = "x" * 30000          # well over client_body_buffer_size
    r = post(gw, api, body)
    assert r.status_code == 422
    assert r.json()["errors"][0]["pointer"] == "/note"
    body["note"] = "y" * 400
    body["lines"] = [{"sku": "SKU-%03d" % i, "qty": 1} for i in range(150)]
    data = json.dumps(body).encode()
    assert len(data) > 4096
    r = post(gw, api, data)
    assert reached_odoo(r)
    assert odoo.requests()[0]["body_sha256"] == \
        hashlib.sha256(data).hexdigest()


def test_too_large(gw, odoo, api):
    r = post(gw, api, b'{"note": "' + b"x" * 70000 + b'"}')
    assert r.status_code == 413
    assert odoo.requests() == []


def test_chunked_too_large(gw, odoo, api):
    def gen():
        for _ in range(100):
            yield b"x" * 1000
    r = api.post(gw.url("/json/2/sale.order/create"), data=gen(),
                 headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    # whether the excess arrives before or after the access phase
    # suspended, the answer is the same problem
    assert r.headers["Content-Type"] == "application/problem+json"
    assert r.json()["reason"] == "body_too_large"
    assert odoo.requests() == []
    (rec,) = gw.wait_audit(1)
    assert rec["status"] == 413 and rec["reason"] == "body_too_large"


def test_content_types(gw, odoo, api):
    r = post(gw, api, ORDER, ctype="text/plain")
    assert r.status_code == 415 and r.json()["reason"] == "content_type"
    r = post(gw, api, ORDER, ctype="application/json; charset=utf-8")
    assert reached_odoo(r)
    r = api.post(gw.url("/json/2/sale.order/create"), data=b"{}")
    assert r.status_code == 415         # no Content-Type at all
    r = post(gw, api, ORDER, path="/typed/sale.order/create",
             ctype="application/vnd.order+json")
    # accepted by the gateway; Odoo itself then wants application/json
    assert r.headers["Content-Type"] != "application/problem+json"
    assert len(odoo.requests()) == 2


def test_methods(gw, odoo, api):
    # PUT is not validated on /typed/ (methods=POST)
    r = api.put(gw.url("/typed/sale.order/create"), data=b"not json",
                headers={"Content-Type": "application/json"})
    assert r.status_code != 400
    assert len(odoo.requests()) == 1


def test_chunked_and_trickled_bodies(gw, odoo, api):
    data = json.dumps(ORDER).encode()

    def chunks():
        for i in range(0, len(data), 7):
            yield data[i:i + 7]

    r = api.post(gw.url("/json/2/sale.order/create"), data=chunks(),
                 headers={"Content-Type": "application/json"})
    assert "werkzeug" in r.json()["name"]

    # one byte at a time, with pauses, over a raw socket
    head = ("POST /json/2/sale.order/create HTTP/1.1\r\nHost: x\r\n"
            "Authorization: %s\r\nContent-Type: application/json\r\n"
            "Content-Length: %d\r\nConnection: close\r\n\r\n"
            % (api.headers["Authorization"], len(data))).encode()
    with socket.create_connection(("127.0.0.1", gw.port), 10) as s:
        s.sendall(head)
        for i in range(len(data)):
            s.sendall(data[i:i + 1])
            if i % 50 == 0:
                time.sleep(0.01)
        resp = b""
        while True:
            part = s.recv(65536)
            if not part:
                break
            resp += part
    assert b"werkzeug" in resp
    digests = [q["body_sha256"] for q in odoo.requests()]
    assert digests == [hashlib.sha256(data).hexdigest()] * 2


META = "https://json-schema.org/draft/2020-12/schema"
META7 = "http://json-schema.org/draft-07/schema#"


@pytest.mark.parametrize("schema,message", [
    # against the metaschema: the JSON pointer, the keyword violated
    ('{"type": "strange"}', 'at "/type": matches none of the alternatives '
     '(keyword "anyOf" of the metaschema %s)' % META),
    ('{"minLength": -1}', 'at "/minLength": less than 0 (keyword "minimum" '
     'of the metaschema %s)' % META),
    ('{"properties": {"a": {"items": [{"type": "string"}]}}}',
     'at "/properties/a/items": the value has the wrong type (keyword '
     '"type" of the metaschema %s)' % META),
    ('{"$schema": "%s", "properties": {"a~b": {"required": "x"}}}' % META7,
     'at "/properties/a~0b/required": the value has the wrong type (keyword '
     '"type" of the metaschema %s)' % META7),
    ('[1]', 'at "#": the value has the wrong type (keyword "type"'),
    ('{"$schema": "https://json-schema.org/draft/2019-09/schema"}',
     'at "/$schema": "https://json-schema.org/draft/2019-09/schema" is not '
     'a metaschema govern has'),
    # what the metaschema allows but govern cannot compile
    ('{"$ref": "missing.json"}', 'unresolvable "$ref"'),
    ('{"properties": {"a": {"pattern": "(unclosed"}}}',
     'at "/properties/a/pattern": invalid pattern "(unclosed"'),
    ('{"type": "object",', 'not JSON'),
])
def test_nginx_t_schema_errors(nginx, tmp_path, schema, message):
    path = tmp_path / "bad.json"
    path.write_text(schema)
    gw = nginx("""
    server {
        listen 127.0.0.1:@PORT@;
        @JWT@
        location / {
            govern on;
            govern_schema %s;
            return 204;
        }
    }
""" % path, start=False)
    rc, out = gw.test_config()
    gw.expect_bad_log = True
    assert rc != 0 and message in out, out
    assert ('govern_schema "%s": invalid schema' % path) in out


def test_nginx_t_warns_of_unknown_keywords(nginx, tmp_path):
    """A typo is allowed by the metaschema and checks nothing: nginx -t
    passes, warning with the file, the pointer and the keyword."""
    path = tmp_path / "typo.json"
    path.write_text('{"properties": {"age": {"type": "integer", '
                    '"minimun": 0}}, "$defs": {"x": {"$comment": "ok"}}}')
    gw = nginx("""
    server {
        listen 127.0.0.1:@PORT@;
        @JWT@
        location / {
            govern on;
            govern_schema %s;
            return 204;
        }
    }
""" % path, start=False)
    rc, out = gw.test_config()
    assert rc == 0, out
    assert ('[warn]' in out and 'govern_schema "%s": unknown keyword '
            '"minimun" at "/properties/age/minimun" is ignored' % path
            in out), out
    assert out.count("unknown keyword") == 1, out


@pytest.mark.parametrize("schema,valid,invalid", [
    ("true", b'{"a": 1}', None),
    ("false", None, b'{"a": 1}'),
    ('{"properties": {"a": {"const": "x\\u0000y"}}, '
     '"required": ["a\\u0000"]}', None, b'{"a": "x"}'),
    ('{"$ref": "%s"}' % META, b'{"minLength": 1}', b'{"minLength": -1}'),
    ('{"$ref": "%s"}' % META7, b'{"minLength": 1}', b'{"type": 1}'),
])
def test_schema_files_nginx_t_takes(nginx, api, tmp_path, schema, valid,
                                    invalid):
    """Boolean roots, U+0000 in strings, $ref to the metaschemas (built
    in, resolved offline)."""
    path = tmp_path / "s.json"
    path.write_text(schema)
    gw = nginx("""
    server {
        listen 127.0.0.1:@PORT@;
        @JWT@
        location = / {
            govern on;
            govern_schema %s;
            proxy_pass http://127.0.0.1:@PORT@/ok;
        }
        location = /ok {
            return 204;
        }
    }
""" % path)
    for body, status in ((valid, 204), (invalid, 422)):
        if body is not None:
            r = api.post(gw.url("/"), data=body,
                         headers={"Content-Type": "application/json"})
            assert r.status_code == status, (body, r.text)


CLI = os.environ.get("GOVERN_SCHEMA_CLI",
                     os.path.join(harness.ROOT, "build", "govern-schema"))


def cli(*args):
    p = subprocess.run([CLI] + [str(a) for a in args], capture_output=True,
                       text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


@pytest.mark.skipif(not os.path.exists(CLI), reason="govern-schema not built")
def test_cli_checks_schemas_like_nginx_t(tmp_path):
    """govern-schema: the metaschema check with pointer and keyword (exit
    2), warnings on stderr, instances valid (0) or not (1)."""
    bad = tmp_path / "bad.json"
    bad.write_text('{"properties": {"qty": {"minimum": "1"}}}')
    rc, out, err = cli(bad)
    assert rc == 2 and ('invalid schema at "/properties/qty/minimum": the '
                        'value has the wrong type (keyword "type" of the '
                        'metaschema %s)' % META) in err, (out, err)

    typo = tmp_path / "typo.json"
    typo.write_text('{"properties": {"qty": {"minimun": 1}}, '
                    '"required": ["qty"]}')
    good, wrong = tmp_path / "good.json", tmp_path / "wrong.json"
    good.write_text('{"qty": 0}')
    wrong.write_text('{}')
    rc, out, err = cli(typo, good, wrong)
    assert rc == 1, (out, err)
    assert ('warning: unknown keyword "minimun" at "/properties/qty/'
            'minimun" is ignored') in err
    assert "good.json: valid" in out and "wrong.json: invalid" in out

    boolean = tmp_path / "true.json"
    boolean.write_text("true")
    assert cli(boolean, good)[0] == 0
