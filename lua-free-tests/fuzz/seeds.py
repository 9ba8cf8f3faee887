#!/usr/bin/python3
"""Writes fuzzing seeds (schema NUL instance) into a directory: from the
official suite read in place (never copied into the repository) and from
the repository's own schemas; with a fourth argument, Odoo call bodies
(a selector byte, then the body) for fuzz_odoo into that directory; with a
fifth, HS256 tokens signed with fuzz_jwt's secret; with a sixth,
methodCalls as xmlrpc.client writes them (a selector byte, then the body)
for fuzz_xmlrpc; with a seventh, audit chains for fuzz_audit; with an
eighth, webhook deliveries signed (Python's hmac) with fuzz_webhook's
secrets; with a ninth, the replies of Redis, sentinels and cluster nodes
(RESP, as redis-server 7.0 writes them) for fuzz_redis."""

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


if len(sys.argv) > 7:
    # a seventh: small audit chains signed with fuzz_audit's key (32 bytes
    # of 0x42), a split byte first: whole, then rotated into two files
    sys.path.insert(0, os.path.join(root, "lua-free-tests", "integration"))
    from cryptography.hazmat.primitives.asymmetric import ed25519
    import auditchain

    audit_dir = sys.argv[7]
    os.makedirs(audit_dir, exist_ok=True)
    key = ed25519.Ed25519PrivateKey.from_private_bytes(b"\x42" * 32)
    for i, (records, every) in enumerate([(3, 2), (12, 5)]):
        path = os.path.join(audit_dir, "chain%d.log" % i)
        auditchain.write_chain(path, key, records, every=every, node="fuzz")
        data = open(path, "rb").read()
        for split in (255, 128):
            with open(os.path.join(audit_dir, "audit%d-%d" % (i, split)),
                      "wb") as w:
                w.write(bytes([split]) + data)
        os.unlink(path)


if len(sys.argv) > 8:
    import base64
    import hashlib
    import hmac

    hook_dir = sys.argv[8]
    os.makedirs(hook_dir, exist_ok=True)
    now = b"1700000000"
    body = json.dumps({"id": "evt_1", "type": "order.created",
                       "data": {"total": "12.50", "note": "caf\u00e9"}},
                      ensure_ascii=False).encode()

    def mac(key, msg):
        return hmac.new(key, msg, hashlib.sha256).digest()

    def seed(name, scheme, id_, ts, sig, payload=body):
        with open(os.path.join(hook_dir, name), "wb") as w:
            w.write(bytes([scheme, 7]) + id_ + b"\n" + ts + b"\n" + sig
                    + b"\n" + payload)

    one, two = b"fuzz-standard-key-one!", b"fuzz-standard-key-two!!"
    msg_id = b"msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"
    v1 = b"v1," + base64.b64encode(mac(one, msg_id + b"." + now + b"."
                                       + body))
    v1b = b"v1," + base64.b64encode(mac(two, msg_id + b"." + now + b"."
                                        + body))
    seed("standard", 0, msg_id, now, v1)
    seed("standard-rotation", 0, msg_id, now, v1 + b" " + v1b)
    seed("standard-v1a", 0, msg_id, now,
         b"v1a," + base64.b64encode(bytes(64)) + b" " + v1b)

    stripe = b"whsec_fuzzstripekeyone000"
    hexmac = mac(stripe, now + b"." + body).hex().encode()
    seed("stripe", 1, b"", b"", b"t=" + now + b",v1=" + hexmac)
    seed("stripe-v0", 1, b"", b"", b"t=" + now + b",v0=" + b"0" * 64
         + b",v1=" + b"1" * 64 + b",v1=" + hexmac)

    shop = base64.b64encode(mac(b"fuzz-shopify-key-one", body))
    seed("shopify", 2, b"b54557e4-bdd9-4b37-8a5f-bf7d70bcd043", b"", shop)
    seed("shopify-empty", 2, b"b54557e4", b"",
         base64.b64encode(mac(b"fuzz-shopify-key-two", b"")), b"")

    gh = b"sha256=" + mac(b"fuzz-github-key-one!", body).hex().encode()
    seed("github", 3, b"72d3162e-cc78-11e3-81ab-4c9367dc0958", b"", gh)
    print("fuzz: webhook seeds in %s" % hook_dir)

if len(sys.argv) > 9:
    def bulk(s):
        return b"$%d\r\n%s\r\n" % (len(s), s)

    def array(*items):
        return b"*%d\r\n" % len(items) + b"".join(items)

    def node(host, port):
        return array(bulk(host), b":%d\r\n" % port, bulk(b"f" * 40),
                     b"*0\r\n")

    redis_dir = sys.argv[9]
    os.makedirs(redis_dir, exist_ok=True)
    replies = {
        "slots": array(
            array(b":0\r\n", b":5460\r\n", node(b"127.0.0.1", 7000)),
            array(b":5461\r\n", b":10922\r\n", node(b"", 7001),
                  node(b"127.0.0.1", 7004)),
            array(b":10923\r\n", b":16383\r\n", node(b"?", 7002))),
        "master": array(bulk(b"127.0.0.1"), bulk(b"26379")),
        "unknown": b"*-1\r\n",
        "role": array(bulk(b"master"), b":3929\r\n", b"*0\r\n"),
        "replica": array(bulk(b"slave"), bulk(b"127.0.0.1"), b":6379\r\n",
                         bulk(b"connected"), b":3929\r\n"),
        "switch": array(bulk(b"subscribe"), bulk(b"+switch-master"),
                        b":1\r\n")
        + array(bulk(b"message"), bulk(b"+switch-master"),
                bulk(b"mymaster 127.0.0.1 6379 127.0.0.1 6380")),
        "errors": b"-MOVED 3999 127.0.0.1:6381\r\n-ASK 3999 ::1:6381\r\n"
                  b"-TRYAGAIN Multiple keys request during rehashing of "
                  b"slot\r\n-CLUSTERDOWN The cluster is down\r\n"
                  b"-NOSCRIPT No matching script.\r\n"
                  b"-READONLY You can't write against a read only "
                  b"replica.\r\n",
        "moved": b"MOVED 16383 :6380",
    }
    for name, data in replies.items():
        with open(os.path.join(redis_dir, name), "wb") as w:
            w.write(data)
    print("fuzz: redis seeds in %s" % redis_dir)
