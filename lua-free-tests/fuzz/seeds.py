#!/usr/bin/python3
"""Writes fuzzing seeds (schema NUL instance) into a directory: from the
official suite read in place (never copied into the repository) and from
the repository's own schemas; with a fourth argument, Odoo call bodies
(a selector byte, then the body) for fuzz_odoo into that directory; with a
fifth, HS256 tokens signed with fuzz_jwt's secret; with a sixth,
methodCalls as xmlrpc.client writes them (a selector byte, then the body)
for fuzz_xmlrpc."""

import glob
import json
import os
import sys

out, suite, root = sys.argv[1], sys.argv[2], sys.argv[3]
os.makedirs(out, exist_ok=True)
n = 0
for f in sorted(glob.glob(os.path.join(suite, "tests", "*", "*.json"))):
    for group in json.load(open(f)):
        for test in group["tests"][:2]:
            with open(os.path.join(out, "suite%05d" % n), "wb") as w:
                w.write(json.dumps(group["schema"]).encode() + b"\0"
                        + json.dumps(test["data"]).encode())
            n += 1
for f in sorted(glob.glob(os.path.join(root, "config", "schemas", "*.json"))):
    with open(os.path.join(out, os.path.basename(f)), "wb") as w:
        w.write(open(f, "rb").read() + b"\0{}")
print("fuzz: %d seeds" % (n + 1))

if len(sys.argv) > 4:
    odoo = sys.argv[4]
    os.makedirs(odoo, exist_ok=True)
    rpc = {"jsonrpc": "2.0", "method": "call", "id": 7, "params": {
        "service": "object", "method": "execute_kw",
        "args": ["retail", 7, "key", "sale.order", "create",
                 [{"partner_id": 3, "order_line": [[0, 0, {"qty": 1.5}],
                                                   [6, 0, [1, 2]]]}],
                 {"context": {"lang": "en_US", "tz": "UTC"}}]}}
    call_kw = {"jsonrpc": "2.0", "params": {
        "model": "sale.order", "method": "search_read",
        "args": [[["name", "ilike", "caf\u00e9 \ud83d\ude00"]]],
        "kwargs": {"limit": 10, "fields": ["name"]}}}
    json2 = {"vals_list": [{"name": "x", "note": "a\"b\\c\n"}],
             "context": {"lang": "fr_FR"}, "limit": -1e-3}
    # searches whose domains are runs of strings (the lazy parse's
    # 64-byte scans), compact and spaced
    codes = ["SKU-%05d" % i for i in range(40)]
    search = {"jsonrpc": "2.0", "method": "call", "id": 8, "params": {
        "service": "object", "method": "execute_kw",
        "args": ["retail", 7, "key", "product.product", "search_read",
                 [[["default_code", "in", codes]]],
                 {"fields": ["name", "qty_available"], "limit": 50}]}}
    json2_search = {"domain": [["default_code", "in", codes]],
                    "fields": ["name"], "limit": 50}
    # and runs of integers: ids to read, an id domain
    ids = {"ids": list(range(1, 120)) + [0, -5, 1234567890123],
           "fields": ["state"]}
    by_id = {"domain": [["id", "in", list(range(100, 180))]], "limit": 80}
    bodies = [(0x10, rpc), (0x31, call_kw), (0x22, json2), (0x03, []),
              (0x50, search), (0x56, json2_search), (0x52, ids),
              (0x5a, by_id)]
    for i, (sel, body) in enumerate(bodies):
        with open(os.path.join(odoo, "odoo%d" % i), "wb") as w:
            w.write(bytes([sel]) + json.dumps(body).encode())
        with open(os.path.join(odoo, "odoo%d-compact" % i), "wb") as w:
            w.write(bytes([sel ^ 0x0c]) + json.dumps(
                body, separators=(",", ":")).encode())

if len(sys.argv) > 5:
    import base64
    import hashlib
    import hmac

    def b64(b):
        return base64.urlsafe_b64encode(b).rstrip(b"=")

    jwt_dir = sys.argv[5]
    os.makedirs(jwt_dir, exist_ok=True)
    secret = b"fuzz-secret-of-32-bytes-or-more!"
    claims = [{"sub": "acme", "iss": "i", "aud": ["a", "b"], "exp": 4102444800,
               "nbf": 1.5, "scope": "orders:read orders:write",
               "scp": ["x", "y"], "jti": "j"},
              {"sub": "p", "exp": 1e30, "aud": "a"}]
    for i, c in enumerate(claims):
        head = b64(json.dumps({"alg": "HS256", "kid": "k"}).encode())
        body = b64(json.dumps(c).encode())
        sig = b64(hmac.new(secret, head + b"." + body,
                           hashlib.sha256).digest())
        with open(os.path.join(jwt_dir, "jwt%d" % i), "wb") as w:
            w.write(head + b"." + body + b"." + sig)

if len(sys.argv) > 6:
    import datetime
    import xmlrpc.client

    xml_dir = sys.argv[6]
    os.makedirs(xml_dir, exist_ok=True)
    key = "0123456789abcdef0123456789abcdef01234567"
    calls = [
        (0, ("retail", 7, key, "res.partner", "search_read",
             [[["is_company", "=", True], ["name", "ilike", "a&b<c"]]],
             {"fields": ["name"], "limit": 5,
              "context": {"lang": "en_US"}}), "execute_kw"),
        (0, ("retail", 7, key, "sale.order", "create",
             [{"partner_id": 3, "date_order": datetime.datetime(2024, 2, 29),
               "order_line": [[0, 0, {"qty": 1.5}], [6, 0, [1, 2]]],
               "note": xmlrpc.client.Binary(b"\x00\xff"), "x": None}]),
         "execute_kw"),
        (0, ("retail", 7, key, "sale.order", "search_read", [[]]),
         "execute_kw"),
        (0, ("retail", 7, key, "sale.order", "search", [], 0),
         "execute"),
        (1, ("retail", "bot@x", key, {}), "authenticate"),
        (3, ("retail", "bot@x", key), "login"),
        (1, (), "version"),
    ]
    for i, (sel, params, method) in enumerate(calls):
        body = xmlrpc.client.dumps(params, method, allow_none=True)
        with open(os.path.join(xml_dir, "xmlrpc%d" % i), "wb") as w:
            w.write(bytes([sel | (i << 5) & 0xe0]) + body.encode())
