"""Webhooks from partners (#17), through the gateway to the fake Odoo's
webhook controller (/web/hook/<uuid>, as base_automation routes it).

Every signature comes from an implementation other than govern's: the npm
standardwebhooks and stripe packages (lua-free-tests/npm/signers.js, run
by node from build/npm) and Python's hmac for Shopify and GitHub.  For
each scheme: valid, one body byte changed, wrong secret, rotated secrets,
timestamps too old and too far ahead, missing and malformed headers,
several signatures with one valid, chunked bodies and bodies larger than
client_body_buffer_size, over HTTP/1.1 and HTTP/2; the upstream sees
nothing of a refused delivery.  The partner named by the route.  Then dedupe in Redis (a single Redis and a cluster), the partner driving
rate limits, schema and Odoo credentials, the outbound signature checked
by the standardwebhooks package, reloads and nginx -t."""

import base64
import concurrent.futures
import hashlib
import hmac
import json
import os
import socket
import subprocess
import time
import uuid

import pytest
import redis as redis_module
import requests

import harness
from test_redis_fleet import Cluster, key_slot, metrics, wait_cluster_ready

NPM = os.path.join(harness.ROOT, "build", "npm", "node_modules")
SIGNERS = os.path.join(harness.ROOT, "lua-free-tests", "npm", "signers.js")
SCHEMES = ["standard", "stripe", "shopify", "github"]
TIMED = {"standard", "stripe"}          # the schemes that sign a time
BUFFER = 8192                           # client_body_buffer_size

CONF = """
    @REDIS_LINE@
    govern_odoo_credentials @PREFIX@/odoo-credentials.json;
    server {
        listen 127.0.0.1:@PORT@;
        client_body_buffer_size 8k;
        client_max_body_size 1m;
        govern_audit @PREFIX@/audit.log buffer=0;
        # the server's token routes: a webhook route takes none of it
        @JWT@
        proxy_set_header X-Govern-Partner $govern_partner;

        location /hooks/standard/ {
            govern on;
            govern_webhook standard secrets=@PREFIX@/standard.json;
            proxy_pass http://odoo/web/hook/;
        }
        location /hooks/stripe/ {
            govern on;
            govern_webhook stripe secrets=@PREFIX@/stripe.json
                           tolerance=5m;
            proxy_pass http://odoo/web/hook/;
        }
        location /hooks/shopify/ {
            govern on;
            govern_webhook shopify secrets=@PREFIX@/shopify.json;
            proxy_pass http://odoo/web/hook/;
        }
        location /hooks/github/ {
            govern on;
            govern_webhook github secrets=@PREFIX@/github.json;
            proxy_pass http://odoo/web/hook/;
        }
        location /api/ {
            govern on;
            proxy_pass http://odoo/web/;
        }
@MORE@
    }
"""

DEDUPE = """
        location /dedupe/standard/ {
            govern on;
            govern_webhook standard secrets=@PREFIX@/standard.json
                           dedupe=1h;
            proxy_pass http://odoo/web/hook/;
        }
        location /dedupe/stripe/ {
            govern on;
            govern_webhook stripe secrets=@PREFIX@/stripe.json dedupe;
            proxy_pass http://odoo/web/hook/;
        }
        location /dedupe/github/ {
            govern on;
            govern_webhook github secrets=@PREFIX@/github.json dedupe=10m;
            proxy_pass http://odoo/web/hook/;
        }
        location = /metrics {
            govern_metrics;
        }
"""


def b64(data):
    return base64.b64encode(data).decode()


def node(reqs):
    """signers.js on a batch of requests (bodies as base64)."""
    if not reqs:
        return []
    p = subprocess.run(["node", SIGNERS], input=json.dumps(reqs),
                       capture_output=True, text=True, timeout=120,
                       env=dict(os.environ, NODE_PATH=NPM))
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def new_secret(scheme):
    if scheme == "standard":
        return "whsec_" + b64(os.urandom(24))
    if scheme == "stripe":
        return "whsec_" + os.urandom(16).hex()
    if scheme == "shopify":
        return os.urandom(32).hex()
    return "github " + os.urandom(12).hex()


class Partners:
    """Each scheme's secrets: acme rotating (old, new), globex, and one
    nobody holds."""

    def __init__(self):
        self.s = {scheme: {k: new_secret(scheme)
                           for k in ("old", "new", "globex", "wrong")}
                  for scheme in SCHEMES}

    def file(self, scheme):
        s = self.s[scheme]
        return {"acme": [s["old"], s["new"]], "globex": [s["globex"]]}

    def install(self, gw, scheme=None, content=None):
        for name in [scheme] if scheme else SCHEMES:
            write_secret(os.path.join(gw.prefix, name + ".json"),
                         content or self.file(name))


def write_secret(path, content):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(content if isinstance(content, str) else json.dumps(content))


def event_body(scheme, event_id, size=0):
    """A JSON event (a Stripe event names itself in "id"), padded with
    order lines to about size bytes."""
    body = {"type": "order.created", "created": int(time.time()),
            "data": {"order": "SO-%s" % event_id[-6:], "lines": []}}
    if scheme == "stripe":
        body = {"id": event_id, "object": "event", **body}
    text = json.dumps(body)
    n = 0
    while len(text) < size:
        body["data"]["lines"].append(
            {"line": n, "sku": "SKU-%05d" % n, "name": "Gr\u00fcner Tee",
             "qty": 3})
        n += 1
        if n % 64 == 0:
            text = json.dumps(body)
    return json.dumps(body).encode()


def new_id(scheme):
    return {"standard": "msg_" + uuid.uuid4().hex,
            "stripe": "evt_" + uuid.uuid4().hex[:24]}.get(
                scheme, str(uuid.uuid4()))


class Delivery:
    """One delivery: its body, the secrets that sign it, the time it is
    signed for; headers() after sign_all()."""

    def __init__(self, scheme, secrets, body=None, ts=None, event_id=None,
                 size=0):
        self.scheme = scheme
        self.secrets = secrets
        self.id = event_id or new_id(scheme)
        self.body = body if body is not None else event_body(
            scheme, self.id, size)
        self.ts = int(time.time()) if ts is None else ts
        self.sigs = []
        self.h = {}

    def requests(self):
        """What node must sign, one request per secret."""
        if self.scheme == "standard":
            return [{"op": "standard_sign", "secret": s, "id": self.id,
                     "timestamp": self.ts, "body": b64(self.body)}
                    for s in self.secrets]
        if self.scheme == "stripe":
            return [{"op": "stripe_header", "secret": s,
                     "timestamp": self.ts, "body": b64(self.body)}
                    for s in self.secrets]
        return []

    def signed(self, answers):
        if self.scheme == "standard":
            self.h = {"webhook-id": self.id,
                      "webhook-timestamp": str(self.ts),
                      "webhook-signature": " ".join(answers)}
        elif self.scheme == "stripe":
            # each answer is "t=T,v1=HEX": one header, every v1
            v1 = [a.split(",v1=")[1] for a in answers]
            assert all(a.startswith("t=%d," % self.ts) for a in answers)
            self.h = {"Stripe-Signature": "t=%d," % self.ts
                      + ",".join("v1=" + v for v in v1)}
        elif self.scheme == "shopify":
            mac = hmac.new(self.secrets[0].encode(), self.body,
                           hashlib.sha256).digest()
            self.h = {"X-Shopify-Hmac-Sha256": b64(mac),
                      "X-Shopify-Webhook-Id": self.id,
                      "X-Shopify-Topic": "orders/create"}
        else:
            mac = hmac.new(self.secrets[0].encode(), self.body,
                           hashlib.sha256).hexdigest()
            self.h = {"X-Hub-Signature-256": "sha256=" + mac,
                      "X-GitHub-Delivery": self.id,
                      "X-GitHub-Event": "push"}
        self.h["Content-Type"] = "application/json"
        return self


def sign_all(deliveries):
    reqs, spans = [], []
    for d in deliveries:
        r = d.requests()
        spans.append((len(reqs), len(r)))
        reqs += r
    answers = node(reqs)
    for d, (start, n) in zip(deliveries, spans):
        d.signed(answers[start:start + n])
    return deliveries


def post(gw, path, body, headers, chunked=False, session=requests):
    data = body
    if chunked:
        def pieces():
            for i in range(0, len(body), 1000):
                yield body[i:i + 1000]
        data = pieces()
    return session.post(gw.url(path), data=data, headers=headers,
                        timeout=20)


@pytest.fixture(scope="module")
def partners():
    return Partners()


def gateway(nginx, odoo, partners, redis=None, more="", name=None):
    gw = nginx(CONF.replace("@MORE@", more), odoo=odoo, start=False,
               name=name, extra={
                   "REDIS_LINE": "govern_redis 127.0.0.1:%d timeout=500ms;"
                                 % redis.port if redis else ""})
    partners.install(gw)
    gw.install_credentials()
    return gw.start()


def hook_requests(odoo):
    return [r for r in odoo.requests() if r["path"].startswith("/web/hook/")]


def changed(body, at):
    b = bytearray(body)
    b[at] ^= 0x01
    return bytes(b)


# each scheme's headers by role, as the tests break them
HEADERS = {
    "standard": ("webhook-id", "webhook-timestamp", "webhook-signature"),
    "stripe": (None, None, "Stripe-Signature"),
    "shopify": ("X-Shopify-Webhook-Id", None, "X-Shopify-Hmac-Sha256"),
    "github": ("X-GitHub-Delivery", None, "X-Hub-Signature-256"),
}

MALFORMED_SIGNATURE = {
    "standard": "v1,not-base64!",
    "stripe": "t=%d,v1=xyz" % int(time.time()),
    "shopify": "zz" * 22,
    "github": "sha1=" + "0" * 40,
}


@pytest.mark.parametrize("scheme", SCHEMES)
def test_valid_delivery(nginx, odoo, partners, scheme):
    """A delivery signed with acme's secret reaches Odoo byte for byte,
    as acme ($govern_partner), and is audited with its scheme, event id
    and timestamp; the token configuration of the server is not asked."""
    gw = gateway(nginx, odoo, partners)
    d, = sign_all([Delivery(scheme, [partners.s[scheme]["old"]])])
    r = post(gw, "/hooks/%s/rule-1" % scheme, d.body, d.h)
    assert r.status_code == 200, r.text
    assert r.json() == {"status": "ok"}
    seen, = hook_requests(odoo)
    assert seen["path"] == "/web/hook/rule-1"
    assert seen["body_sha256"] == hashlib.sha256(d.body).hexdigest()
    assert seen["headers"]["x-govern-partner"] == "acme"
    rec, = gw.wait_audit(1)
    assert rec["decision"] == "allow" and rec["reason"] is None
    assert rec["partner"] == "acme"
    assert rec["sub"] is None and rec["kid"] is None
    assert rec["scopes_granted"] is None and rec["revocation"] is None
    assert rec["webhook"] == {
        "scheme": scheme, "event_id": d.id,
        "timestamp": d.ts if scheme in TIMED else None}
    assert rec["body_sha256"] == hashlib.sha256(d.body).hexdigest()
    assert rec["upstream_status"] == 200
    # a token route of the same server still wants its token
    assert requests.get(gw.url("/api/version")).status_code == 401


@pytest.mark.parametrize("scheme", SCHEMES)
def test_refusals(nginx, odoo, partners, scheme):
    """Every broken delivery is refused with its reason, and the upstream
    sees none of them."""
    gw = gateway(nginx, odoo, partners)
    s = partners.s[scheme]
    now = int(time.time())
    good, wrong, old, future, edge_old, edge_future = sign_all([
        Delivery(scheme, [s["old"]]),
        Delivery(scheme, [s["wrong"]]),
        Delivery(scheme, [s["old"]], ts=now - 330),
        Delivery(scheme, [s["old"]], ts=now + 330),
        Delivery(scheme, [s["old"]], ts=now - 270),
        Delivery(scheme, [s["old"]], ts=now + 270)])
    path = "/hooks/%s/rule-1" % scheme
    cases = [
        ("one body byte changed", changed(good.body, 10), good.h, 403,
         "webhook_signature"),
        ("last body byte changed", changed(good.body, len(good.body) - 1),
         good.h, 403, "webhook_signature"),
        ("wrong secret", wrong.body, wrong.h, 403, "webhook_signature"),
        ("no body", b"", good.h, 403, "webhook_signature"),
    ]
    if scheme in TIMED:
        cases += [
            ("timestamp too old", old.body, old.h, 400, "webhook_timestamp"),
            ("timestamp too far ahead", future.body, future.h, 400,
             "webhook_timestamp"),
        ]
    for role, name in enumerate(HEADERS[scheme]):
        if name is None:
            continue
        h = {k: v for k, v in good.h.items() if k != name}
        cases.append(("%s missing" % name, good.body, h, 400,
                      "webhook_malformed"))
        cases.append(("%s empty" % name, good.body, dict(good.h, **{
            name: ""}), 400, "webhook_malformed"))
    name = HEADERS[scheme][2]
    cases.append(("%s malformed" % name, good.body, dict(good.h, **{
        name: MALFORMED_SIGNATURE[scheme]}), 400, "webhook_malformed"))
    if scheme == "standard":
        cases.append(("timestamp not a number", good.body, dict(
            good.h, **{"webhook-timestamp": "soon"}), 400,
            "webhook_malformed"))
        cases.append(("id with a brace", good.body, dict(
            good.h, **{"webhook-id": "msg_{x}"}), 400, "webhook_malformed"))
    if scheme == "stripe":
        cases.append(("no t=", good.body, {
            "Stripe-Signature": good.h["Stripe-Signature"].split(",", 1)[1],
            "Content-Type": "application/json"}, 400, "webhook_malformed"))
    # one connection: a refusal leaves it usable for the next delivery
    session = requests.Session()
    for what, body, headers, status, reason in cases:
        r = post(gw, path, body, headers, session=session)
        assert r.status_code == status, (what, r.status_code, r.text)
        problem = r.json()
        assert problem["reason"] == reason, (what, problem)
        assert r.headers["Content-Type"] == "application/problem+json"
        assert problem["type"] == "urn:govern:problem:" + reason
    assert hook_requests(odoo) == []
    records = gw.wait_audit(len(cases))
    assert [r["reason"] for r in records] == [c[4] for c in cases]
    assert all(r["decision"] == "deny" and r["partner"] is None
               and r["webhook"]["scheme"] == scheme for r in records)
    # within the tolerance, on both sides of now
    for d in (edge_old, edge_future):
        assert post(gw, path, d.body, d.h, session=session).status_code \
            == 200
    session.close()


@pytest.mark.parametrize("scheme", SCHEMES)
def test_rotation_and_several_signatures(nginx, odoo, partners, scheme):
    """A partner rotating holds two secrets, and either verifies; a
    header of several signatures verifies when one of them does."""
    gw = gateway(nginx, odoo, partners)
    s = partners.s[scheme]
    deliveries = sign_all([
        Delivery(scheme, [s["old"]]), Delivery(scheme, [s["new"]]),
        Delivery(scheme, [s["globex"]])]
        + ([Delivery(scheme, [s["wrong"], s["new"]]),
            Delivery(scheme, [s["wrong"], s["globex"], s["wrong"]])]
           if scheme in TIMED else []))
    path = "/hooks/%s/rule-1" % scheme
    for d in deliveries:
        r = post(gw, path, d.body, d.h)
        assert r.status_code == 200, (d.h, r.text)
    partners_seen = [r["headers"]["x-govern-partner"]
                     for r in hook_requests(odoo)]
    expect = ["acme", "acme", "globex"]
    if scheme in TIMED:
        expect += ["acme", "globex"]
    assert partners_seen == expect
    if scheme not in TIMED:
        # a signature header sent twice is refused, not guessed
        d = deliveries[0]
        name = HEADERS[scheme][2]
        sock = socket.create_connection(("127.0.0.1", gw.port))
        head = "POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n" % (
            path, len(d.body))
        for k, v in d.h.items():
            head += "%s: %s\r\n" % (k, v)
        head += "%s: %s\r\nConnection: close\r\n\r\n" % (name, d.h[name])
        sock.sendall(head.encode() + d.body)
        answer = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
        sock.close()
        assert answer.startswith(b"HTTP/1.1 400 "), answer[:200]
        assert b'"webhook_malformed"' in answer and b"sent 2 times" in answer


@pytest.mark.parametrize("scheme", SCHEMES)
def test_chunked_and_large_bodies(nginx, odoo, partners, scheme):
    """Chunked bodies, and bodies larger than client_body_buffer_size
    (spilled to a temp file by nginx, never read back by the gateway),
    verify over every byte; one byte changed at the end of a large body
    is caught."""
    gw = gateway(nginx, odoo, partners)
    s = partners.s[scheme]
    small, large, large2 = sign_all([
        Delivery(scheme, [s["new"]]),
        Delivery(scheme, [s["new"]], size=20 * BUFFER),
        Delivery(scheme, [s["old"]], size=60 * BUFFER)])
    path = "/hooks/%s/rule-2" % scheme
    for d, chunked in ((small, True), (large, False), (large, True),
                       (large2, True)):
        r = post(gw, path, d.body, d.h, chunked=chunked)
        assert r.status_code == 200, (len(d.body), chunked, r.text)
    seen = hook_requests(odoo)
    assert [x["body_sha256"] for x in seen] == [
        hashlib.sha256(d.body).hexdigest()
        for d in (small, large, large, large2)]
    for d in (large, large2):
        for chunked in (False, True):
            r = post(gw, path, changed(d.body, len(d.body) - 2), d.h,
                     chunked=chunked)
            assert r.status_code == 403
            assert r.json()["reason"] == "webhook_signature"
    assert len(hook_requests(odoo)) == 4
    records = gw.wait_audit(8)
    assert records[2]["body_sha256"] == hashlib.sha256(
        large.body).hexdigest()
    assert "a client request body is buffered to a temporary file" \
        in gw.error_log()


def raw_answer(port, head, timeout=5):
    """Sends the head only (the body it announces never follows) and
    reads the whole answer."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    sock.sendall(head.encode())
    answer = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
            if b"\r\n\r\n" in answer:
                length = [int(line.split(b":")[1]) for line in
                          answer.split(b"\r\n\r\n")[0].split(b"\r\n")
                          if line.lower().startswith(b"content-length:")]
                if length and len(answer.split(b"\r\n\r\n", 1)[1]) \
                        >= length[0]:
                    break
    finally:
        sock.close()
    return answer


def test_headers_refused_before_the_body(nginx, odoo, partners):
    """A malformed or stale delivery is refused on its headers: the
    answer comes while the body it announces has not been sent."""
    gw = gateway(nginx, odoo, partners)
    stale_ts = int(time.time()) - 3600
    base = ("POST /hooks/standard/rule-1 HTTP/1.1\r\nHost: x\r\n"
            "Content-Type: application/json\r\n"
            "Content-Length: 500000\r\nwebhook-id: msg_1\r\n")
    stale = base + ("webhook-timestamp: %d\r\nwebhook-signature: v1,%s\r\n"
                    "\r\n" % (stale_ts, "A" * 43 + "="))
    malformed = base + ("webhook-timestamp: %d\r\nwebhook-signature: v2\r\n"
                        "\r\n" % int(time.time()))
    for head, status, reason in ((stale, 400, "webhook_timestamp"),
                                 (malformed, 400, "webhook_malformed")):
        answer = raw_answer(gw.port, head)
        assert answer.startswith(b"HTTP/1.1 %d " % status), answer[:300]
        assert reason.encode() in answer
    # a valid head, and its body never comes: no answer until it does
    d, = sign_all([Delivery("standard", [partners.s["standard"]["old"]])])
    head = ("POST /hooks/standard/rule-1 HTTP/1.1\r\nHost: x\r\n"
            "Content-Length: %d\r\n" % len(d.body) + "".join(
                "%s: %s\r\n" % kv for kv in d.h.items()) + "\r\n")
    with pytest.raises(socket.timeout):
        raw_answer(gw.port, head, timeout=1)
    assert hook_requests(odoo) == []
    records = gw.wait_audit(3)
    assert [r["reason"] for r in records[:2]] == ["webhook_timestamp",
                                                 "webhook_malformed"]
    # the event id and timestamp as the sender sent them
    assert records[0]["webhook"] == {"scheme": "standard",
                                     "event_id": "msg_1",
                                     "timestamp": stale_ts}


BY_PARTNER = """
        location /acme/standard/ {
            govern on;
            govern_webhook standard secrets=@PREFIX@/standard.json
                           partner=acme;
            proxy_pass http://odoo/web/hook/;
        }
        location /by/github/ {
            govern on;
            govern_webhook github secrets=@PREFIX@/github.json
                           partner=$arg_partner;
            proxy_pass http://odoo/web/hook/;
        }
"""


def test_partner_named_by_the_route(nginx, odoo, partners):
    """partner= names the sender (a URL of its own): only its secrets are
    tried, so another partner's valid signature is refused there, and a
    name with no secret is refused on the headers, before the body.  A
    route without it tries the file's secrets in turn over a body of
    announced length (40 KB here, spilled to a temp file by nginx), and
    the partner is whichever verified."""
    gw = gateway(nginx, odoo, partners, more=BY_PARTNER)
    st, gh = partners.s["standard"], partners.s["github"]
    old, new, globex, big = sign_all([
        Delivery("standard", [st["old"]]), Delivery("standard", [st["new"]]),
        Delivery("standard", [st["globex"]]),
        Delivery("standard", [st["globex"]], size=5 * BUFFER)])
    for d in (old, new):
        r = post(gw, "/acme/standard/rule-1", d.body, d.h)
        assert r.status_code == 200, r.text
    r = post(gw, "/acme/standard/rule-1", globex.body, globex.h)
    assert r.status_code == 403, r.text
    assert r.json()["reason"] == "webhook_signature"
    r = post(gw, "/hooks/standard/rule-1", big.body, big.h)
    assert r.status_code == 200, r.text

    acme, glob = sign_all([Delivery("github", [gh["new"]]),
                           Delivery("github", [gh["globex"]])])
    assert post(gw, "/by/github/rule-1?partner=globex", glob.body,
                glob.h).status_code == 200
    for query in ("partner=globex", "partner=initech", ""):
        r = post(gw, "/by/github/rule-1?" + query, acme.body, acme.h)
        assert r.status_code == 403, (query, r.text)
        assert r.json()["reason"] == "webhook_signature"
    # a partner without secrets: refused while the body is still unsent
    head = ("POST /by/github/rule-1?partner=initech HTTP/1.1\r\n"
            "Host: x\r\nContent-Length: 500000\r\n" + "".join(
                "%s: %s\r\n" % kv for kv in acme.h.items()) + "\r\n")
    answer = raw_answer(gw.port, head)
    assert answer.startswith(b"HTTP/1.1 403 "), answer[:300]
    assert b"the partner this route names has no secret" in answer

    seen = hook_requests(odoo)
    assert [x["headers"]["x-govern-partner"] for x in seen] == [
        "acme", "acme", "globex", "globex"]
    assert seen[2]["body_sha256"] == hashlib.sha256(big.body).hexdigest()
    records = gw.wait_audit(9)
    assert [(x["status"], x["partner"]) for x in records] == [
        (200, "acme"), (200, "acme"), (403, None), (200, "globex"),
        (200, "globex"), (403, None), (403, None), (403, None),
        (403, None)]


def curl_h2(gw, path, body, headers, tmp_path, length=True):
    """POSTs over HTTP/2 without TLS (prior knowledge), as curl frames
    it; without length, no content-length: the body's size is known only
    at its end."""
    data = tmp_path / ("body-%s" % uuid.uuid4().hex)
    data.write_bytes(body)
    out = tmp_path / "out"
    cmd = ["curl", "-sS", "--http2-prior-knowledge", "-o", str(out),
           "-w", "%{http_code} %{http_version}", "--data-binary",
           "@%s" % data, gw.url(path)]
    for k, v in headers.items():
        cmd += ["-H", "%s: %s" % (k, v)]
    if not length:
        cmd += ["-H", "Content-Length:"]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    status, version = p.stdout.split()
    assert version == "2", p.stdout
    return int(status), json.loads(out.read_bytes() or b"null")


def test_http2_deliveries(nginx, odoo, partners, tmp_path):
    """Over HTTP/2 the body comes in DATA frames and verifies as over
    HTTP/1.1: with its length announced (small, tried in turn over a
    copy; 40 KB, spilled to a temp file), without it, and larger than
    64 KB; one byte changed is refused, and Odoo sees only the valid."""
    gw = nginx(CONF.replace("listen 127.0.0.1:@PORT@;",
                            "listen 127.0.0.1:@PORT@ http2;")
               .replace("@MORE@", ""), odoo=odoo, start=False,
               extra={"REDIS_LINE": ""})
    partners.install(gw)
    gw.install_credentials()
    gw.start()
    st = partners.s["standard"]
    small, mid, unsized, large = sign_all([
        Delivery("standard", [st["old"]]),
        Delivery("standard", [st["globex"]], size=5 * BUFFER),
        Delivery("standard", [st["new"]], size=2 * BUFFER),
        Delivery("standard", [st["new"]], size=12 * BUFFER)])
    path = "/hooks/standard/rule-1"
    for d, length in ((small, True), (mid, True), (unsized, False),
                      (large, True)):
        status, answer = curl_h2(gw, path, d.body, d.h, tmp_path, length)
        assert status == 200, (len(d.body), length, answer)
    for d, length in ((small, True), (mid, True), (unsized, False)):
        status, answer = curl_h2(gw, path, changed(d.body, len(d.body) // 2),
                                 d.h, tmp_path, length)
        assert status == 403, answer
        assert answer["reason"] == "webhook_signature"
    seen = hook_requests(odoo)
    assert [(x["headers"]["x-govern-partner"], x["body_sha256"])
            for x in seen] == [
        (p, hashlib.sha256(d.body).hexdigest())
        for p, d in (("acme", small), ("globex", mid), ("acme", unsized),
                     ("acme", large))]


def test_partner_drives_limits_schema_and_credentials(nginx, odoo, partners,
                                                     redis_server):
    """The verified partner is the rate limit's key, the schema applies to
    the delivery's body, and on an Odoo route the partner's mapped Odoo
    credentials are what Odoo receives."""
    more = """
        location /limited/ {
            govern on;
            govern_webhook github secrets=@PREFIX@/github.json;
            govern_rate_limit hooks 2r/m;
            proxy_pass http://odoo/web/hook/;
        }
        location /typed/ {
            govern on;
            govern_webhook shopify secrets=@PREFIX@/shopify.json;
            govern_schema @PREFIX@/event.json;
            proxy_pass http://odoo/web/hook/;
        }
        location /json/2/ {
            govern on;
            govern_webhook standard secrets=@PREFIX@/standard.json;
            govern_odoo json2;
            proxy_pass http://odoo;
        }
    """
    gw = nginx(CONF.replace("@MORE@", more), odoo=odoo, start=False,
               extra={"REDIS_LINE": "govern_redis 127.0.0.1:%d "
                                    "timeout=500ms;" % redis_server.port})
    partners.install(gw)
    with open(os.path.join(gw.prefix, "event.json"), "w") as f:
        json.dump({"type": "object", "required": ["type", "data"],
                   "properties": {"type": {"enum": ["order.created"]}}}, f)
    with open(gw.install_credentials()) as f:
        creds = json.load(f)
    gw.start()
    gh = partners.s["github"]
    redis_module.Redis(port=redis_server.port).delete(
        "govern:{acme}:rl:hooks", "govern:{globex}:rl:hooks")
    ds = sign_all([Delivery("github", [gh["old"]]) for _ in range(3)]
                  + [Delivery("github", [gh["globex"]])])
    codes = [post(gw, "/limited/r", d.body, d.h).status_code for d in ds]
    assert codes == [200, 200, 429, 200]
    records = gw.wait_audit(4)
    assert records[2]["reason"] == "rate_limited"
    assert records[2]["ratelimit"]["name"] == "hooks"
    assert [r["partner"] for r in records] == ["acme"] * 3 + ["globex"]

    sh = partners.s["shopify"]
    bad_body = json.dumps({"type": "order.deleted", "data": {}}).encode()
    ok, bad = sign_all([Delivery("shopify", [sh["new"]]),
                        Delivery("shopify", [sh["new"]], body=bad_body)])
    assert post(gw, "/typed/r", ok.body, ok.h).status_code == 200
    r = post(gw, "/typed/r", bad.body, bad.h)
    assert r.status_code == 422 and r.json()["reason"] == "schema_invalid"

    call = json.dumps({"domain": [["is_company", "=", True]],
                       "fields": ["name"], "limit": 2}).encode()
    odoo.reset()
    d, = sign_all([Delivery("standard", [partners.s["standard"]["globex"]],
                            body=call)])
    r = post(gw, "/json/2/res.partner/search_read", d.body, d.h)
    assert r.status_code == 200, r.text
    seen, = odoo.requests()
    assert seen["headers"]["authorization"] == \
        "bearer " + creds["globex"]["api_key"]
    assert seen["headers"]["x-odoo-database"] == creds["globex"]["db"]


def settled(client, key, want, timeout=10.0):
    """Waits for the log phase's command (sent after the response) to
    leave the event's record as want (None: gone)."""
    deadline = time.monotonic() + timeout
    while client.get(key) != want:
        assert time.monotonic() < deadline, (key, client.get(key), want)
        time.sleep(0.02)


@pytest.fixture
def redis(tmp_path):
    server = harness.Redis(str(tmp_path))
    yield server
    server.stop()


def test_dedupe_concurrent_deliveries_reach_odoo_once(nginx, odoo, partners,
                                                      redis):
    """The same event delivered 20 times at once reaches Odoo once: the
    others are in flight (409) or, once it is delivered, duplicates
    (200, audited as such); a later retry is a duplicate too."""
    gw = gateway(nginx, odoo, partners, redis, more=DEDUPE)
    d, = sign_all([Delivery("standard", [partners.s["standard"]["old"]])])
    odoo.control("faults", {"latency_ms": 400})
    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        results = list(pool.map(
            lambda _: post(gw, "/dedupe/standard/r", d.body, d.h),
            range(20)))
    odoo.control("faults", {"latency_ms": 0})
    codes = [r.status_code for r in results]
    assert set(codes) <= {200, 409}, codes
    assert len(hook_requests(odoo)) == 1
    delivered = [r for r in results if r.status_code == 200
                 and r.json() == {"status": "ok"}]
    assert len(delivered) == 1
    for r in results:
        if r.status_code == 409:
            assert r.json()["reason"] == "webhook_conflict"
    client = redis_module.Redis(port=redis.port)
    key = "govern:{acme}:wh:" + d.id
    settled(client, key, b"D")
    again = post(gw, "/dedupe/standard/r", d.body, d.h)
    assert again.status_code == 200
    assert again.json()["status"] == "duplicate"
    assert again.json()["event_id"] == d.id
    assert len(hook_requests(odoo)) == 1
    records = gw.wait_audit(21)
    last = records[-1]
    assert last["reason"] == "webhook_duplicate"
    assert last["decision"] == "allow" and last["status"] == 200
    assert last["upstream_status"] is None
    assert last["webhook"]["event_id"] == d.id and last["partner"] == "acme"
    text = metrics(gw)
    assert ('govern_requests_total{route="/dedupe/standard/",'
            'decision="allow",reason="webhook_duplicate"} %d'
            % (codes.count(200) - 1 + 1)) in text, text
    assert ('govern_requests_total{route="/dedupe/standard/",'
            'decision="deny",reason="webhook_conflict"} %d'
            % codes.count(409)) in text or 409 not in codes
    assert client.get(key) == b"D"
    assert 3500 < client.ttl(key) <= 3600
    # another partner's event of the same id is its own
    g, = sign_all([Delivery("standard", [partners.s["standard"]["globex"]],
                            event_id=d.id)])
    r = post(gw, "/dedupe/standard/r", g.body, g.h)
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    assert len(hook_requests(odoo)) == 2


@pytest.mark.parametrize("scheme", ["stripe", "github"])
def test_dedupe_retry_after_upstream_failure(nginx, odoo, partners, redis,
                                             scheme):
    """An upstream 500, or no upstream answer, lets the sender's retry
    through; after a 2xx the event is a duplicate.  Stripe's event id is
    its body's."""
    gw = gateway(nginx, odoo, partners, redis, more=DEDUPE)
    d, = sign_all([Delivery(scheme, [partners.s[scheme]["new"]])])
    path = "/dedupe/%s/r" % scheme
    client = redis_module.Redis(port=redis.port)
    key = "govern:{acme}:wh:" + d.id
    odoo.control("faults", {"fail_500": 1})
    assert post(gw, path, d.body, d.h).status_code == 500
    settled(client, key, None)
    odoo.control("faults", {"drop": 1})
    assert post(gw, path, d.body, d.h).status_code == 502
    settled(client, key, None)
    r = post(gw, path, d.body, d.h)
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    settled(client, key, b"D")
    r = post(gw, path, d.body, d.h)
    assert r.status_code == 200 and r.json()["status"] == "duplicate"
    assert len(hook_requests(odoo)) == 3
    records = gw.wait_audit(4)
    assert [r["reason"] for r in records] == [None, None, None,
                                              "webhook_duplicate"]
    assert {r["webhook"]["event_id"] for r in records} == {d.id}
    assert redis_module.Redis(port=redis.port).get(
        "govern:{acme}:wh:" + d.id) == b"D"


def test_dedupe_failure_clears_only_its_own_marker(nginx, odoo, partners,
                                                   redis):
    """The in-flight marker is the delivery's own; a failed delivery whose
    marker was replaced meanwhile (it lapsed, another delivery took the
    event) leaves the other's in place."""
    gw = gateway(nginx, odoo, partners, redis, more=DEDUPE)
    d, = sign_all([Delivery("standard", [partners.s["standard"]["new"]])])
    client = redis_module.Redis(port=redis.port)
    key = "govern:{acme}:wh:" + d.id
    odoo.control("faults", {"latency_ms": 800, "fail_500": 1})
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        first = pool.submit(post, gw, "/dedupe/standard/r", d.body,
                            dict(d.h, **{"X-Request-Id": "retry-1"}))
        deadline = time.monotonic() + 5
        while client.get(key) is None:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        marker = client.get(key).decode()
        assert marker.startswith("P") and marker.endswith("retry-1")
        assert len(marker) == 1 + 16 + len("retry-1")
        client.set(key, "Pother", px=60000)
        assert first.result().status_code == 500
    odoo.control("faults", {"latency_ms": 0})
    # its record is written after the clearing was queued, and the next
    # delivery's command follows it on the worker's one connection
    gw.wait_audit(1)
    r = post(gw, "/dedupe/standard/r", d.body, d.h)
    assert r.status_code == 409 and r.json()["reason"] == "webhook_conflict"
    assert client.get(key) == b"Pother"


def test_dedupe_stripe_event_without_id(nginx, odoo, partners, redis):
    """A Stripe delivery whose verified body has no event id cannot be
    deduplicated: refused there, let through without dedupe."""
    gw = gateway(nginx, odoo, partners, redis, more=DEDUPE)
    body = json.dumps({"object": "event", "type": "charge.failed"}).encode()
    d, = sign_all([Delivery("stripe", [partners.s["stripe"]["old"]],
                            body=body)])
    r = post(gw, "/dedupe/stripe/r", d.body, d.h)
    assert r.status_code == 400
    assert r.json()["reason"] == "webhook_malformed"
    assert "cannot be deduplicated" in r.json()["detail"]
    r = post(gw, "/hooks/stripe/r", d.body, d.h)
    assert r.status_code == 200
    records = gw.wait_audit(2)
    assert records[1]["webhook"] == {"scheme": "stripe", "event_id": None,
                                     "timestamp": d.ts}


def test_dedupe_redis_down(nginx, odoo, partners, redis):
    """Without the record of delivered events the gateway cannot promise
    one delivery: 503 with Retry-After, the upstream untouched."""
    gw = gateway(nginx, odoo, partners, redis, more=DEDUPE)
    d, = sign_all([Delivery("standard", [partners.s["standard"]["old"]])])
    redis.stop()
    time.sleep(0.3)
    r = post(gw, "/dedupe/standard/r", d.body, d.h)
    assert r.status_code == 503
    assert r.headers["Retry-After"] == "1"
    assert r.json()["reason"] == "webhook_unavailable"
    assert hook_requests(odoo) == []
    redis.start()
    deadline = time.monotonic() + 10
    while True:
        r = post(gw, "/dedupe/standard/r", d.body, d.h)
        if r.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    assert len(hook_requests(odoo)) == 1


@pytest.fixture
def cluster(tmp_path):
    c = Cluster(str(tmp_path / "cluster"))
    yield c
    c.stop()


def test_dedupe_in_a_cluster_follows_the_partner(nginx, odoo, cluster):
    """In a Redis Cluster each partner's records live on the node of its
    hash tag, beside its rate-limit buckets."""
    names, owners = [], set()
    i = 0
    while len(owners) < len(cluster.nodes):
        name = "p%d" % i
        i += 1
        owner = cluster.owner(key_slot("govern:{%s}:wh:x" % name)).port
        if owner not in owners:
            owners.add(owner)
            names.append((name, owner))
    secrets = {name: [new_secret("github")] for name, _ in names}
    gw = nginx("""
    govern_redis cluster 127.0.0.1:%d timeout=500ms;
    server {
        listen 127.0.0.1:@PORT@;
        govern_audit @PREFIX@/audit.log buffer=0;
        location /dedupe/ {
            govern on;
            govern_webhook github secrets=@PREFIX@/github.json dedupe=1m;
            govern_rate_limit hooks 100r/m;
            proxy_pass http://odoo/web/hook/;
        }
        location = /metrics {
            govern_metrics;
        }
    }
    """ % cluster.nodes[0].port, odoo=odoo, start=False)
    write_secret(os.path.join(gw.prefix, "github.json"), secrets)
    gw.start()
    wait_cluster_ready(gw, cluster)
    for name, port in names:
        d, = sign_all([Delivery("github", secrets[name])])
        assert post(gw, "/dedupe/r", d.body, d.h).status_code == 200
        settled(redis_module.Redis(port=port),
                "govern:{%s}:wh:%s" % (name, d.id), b"D")
        r = post(gw, "/dedupe/r", d.body, d.h)
        assert r.json()["status"] == "duplicate"
        node = redis_module.Redis(port=port)
        assert node.get("govern:{%s}:wh:%s" % (name, d.id)) == b"D"
        assert node.exists("govern:{%s}:rl:hooks" % name) == 1
    assert len(hook_requests(odoo)) == len(names)
    assert 'govern_redis_redirections_total{kind="moved"} 0' in metrics(gw)


OUTBOUND = """
    server {
        listen 127.0.0.1:@PORT@;
        client_body_buffer_size 8k;

        # Odoo's automation rules post here; the partner gets it signed
        location /outbound/ {
            govern_webhook_sign standard secrets=@PREFIX@/outbound.json
                                partner=$arg_partner;
            proxy_pass http://odoo/web/hook/;
        }
    }
"""


def test_outbound_signature_verified_by_standardwebhooks(nginx, odoo):
    """What Odoo posts unsigned leaves signed for the partner's secrets
    (both, while it rotates): the standardwebhooks package verifies it
    with either; chunked and large bodies too, and a header Odoo set is
    replaced."""
    secrets = {"acme": [new_secret("standard"), new_secret("standard")],
               "globex": [new_secret("standard")]}
    gw = nginx(OUTBOUND, odoo=odoo, start=False)
    write_secret(os.path.join(gw.prefix, "outbound.json"), secrets)
    gw.start()
    bodies = [
        ("acme", json.dumps({"_model": "sale.order", "id": 7,
                             "state": "sale"}).encode(), False),
        ("globex", event_body("standard", "x", 30 * BUFFER), True),
        ("acme", event_body("standard", "y", 30 * BUFFER), False),
        ("acme", b"", False),
    ]
    for partner, body, chunked in bodies:
        r = post(gw, "/outbound/rule?partner=" + partner, body,
                 {"Content-Type": "application/json",
                  "webhook-signature": "v1,forged"}, chunked=chunked)
        assert r.status_code == 200, r.text
    seen = hook_requests(odoo)
    assert len(seen) == len(bodies)
    checks, expect = [], []
    for (partner, body, _), req in zip(bodies, seen):
        assert req["body_sha256"] == hashlib.sha256(body).hexdigest()
        h = req["headers"]
        assert h["webhook-id"].startswith("msg_") and len(h["webhook-id"]) \
            == 36
        assert abs(int(h["webhook-timestamp"]) - time.time()) < 10
        assert "forged" not in h["webhook-signature"]
        assert len(h["webhook-signature"].split(" ")) == \
            len(secrets[partner])
        headers = {k: h[k] for k in ("webhook-id", "webhook-timestamp",
                                     "webhook-signature")}
        for secret in secrets[partner]:
            checks.append({"op": "standard_verify", "secret": secret,
                           "headers": headers, "body": b64(body),
                           "now": int(time.time())})
            expect.append("ok")
        # another partner's secret does not verify it
        other = secrets["globex" if partner == "acme" else "acme"][0]
        checks.append({"op": "standard_verify", "secret": other,
                       "headers": headers, "body": b64(body),
                       "now": int(time.time())})
        expect.append("No matching signature found")
    assert node(checks) == expect
    assert len({r["headers"]["webhook-id"] for r in seen}) == len(seen)
    # a partner without a secret: nothing leaves
    r = post(gw, "/outbound/rule?partner=initech", b"{}",
             {"Content-Type": "application/json"})
    assert r.status_code == 500
    assert len(hook_requests(odoo)) == len(bodies)
    assert 'the partner "initech" has no secret' in gw.error_log()


def test_outbound_body_read_before_signing(nginx, odoo, api):
    """A body a governed route read first (its schema's) is signed from
    its buffers; one nginx wrote to a temp file is not read back: 500,
    nothing leaves."""
    secrets = {"acme": [new_secret("standard")]}
    gw = nginx("""
    server {
        listen 127.0.0.1:@PORT@;
        client_body_buffer_size 8k;
        @JWT@
        location /outbound/ {
            govern on;
            govern_schema @PREFIX@/event.json;
            govern_webhook_sign standard secrets=@PREFIX@/outbound.json
                                partner=$govern_partner;
            proxy_pass http://odoo/web/hook/;
        }
    }
    """, odoo=odoo, start=False)
    write_secret(os.path.join(gw.prefix, "outbound.json"), secrets)
    with open(os.path.join(gw.prefix, "event.json"), "w") as f:
        json.dump({"type": "object"}, f)
    gw.start()
    small = json.dumps({"id": 7, "state": "sale"}).encode()
    r = api.post(gw.url("/outbound/rule"), data=small,
                 headers={"Content-Type": "application/json"})
    assert r.status_code == 200, r.text
    seen, = hook_requests(odoo)
    h = seen["headers"]
    assert node([{"op": "standard_verify", "secret": secrets["acme"][0],
                  "headers": {k: h[k] for k in (
                      "webhook-id", "webhook-timestamp",
                      "webhook-signature")},
                  "body": b64(small), "now": int(time.time())}]) == ["ok"]
    large = event_body("standard", "z", 3 * BUFFER)
    r = api.post(gw.url("/outbound/rule"), data=large,
                 headers={"Content-Type": "application/json"})
    assert r.status_code == 500
    assert len(hook_requests(odoo)) == 1
    assert "the body was read into a temp file before it could be signed" \
        in gw.error_log()


def test_reload_reads_the_secrets_again(nginx, odoo, partners):
    """A rotation finished: the old secret removed from the file and
    nginx -s reload; deliveries signed with it are refused from then."""
    gw = gateway(nginx, odoo, partners)
    s = partners.s["github"]
    old, new = sign_all([Delivery("github", [s["old"]]),
                         Delivery("github", [s["new"]])])
    path = "/hooks/github/r"
    assert post(gw, path, old.body, old.h).status_code == 200
    write_secret(os.path.join(gw.prefix, "github.json"),
                 {"acme": [s["new"]]})
    gw.reload()
    deadline = time.monotonic() + 10
    while post(gw, path, old.body, old.h).status_code != 403:
        assert time.monotonic() < deadline, "the reload did not take"
        time.sleep(0.1)
    assert post(gw, path, new.body, new.h).status_code == 200


def nginx_t(nginx, http, files=None):
    gw = nginx(http, start=False)
    for name, (content, mode) in (files or {}).items():
        path = os.path.join(gw.prefix, name)
        with open(path, "w") as f:
            f.write(content)
        os.chmod(path, mode)
    rc, out = gw.test_config()
    gw.expect_bad_log = True
    return rc, out


GOOD_FILE = json.dumps({"acme": ["github webhook secret 0001"]})


@pytest.mark.parametrize("location,files,message", [
    ("govern on; govern_webhook gitlab secrets=@PREFIX@/s.json;",
     {"s.json": (GOOD_FILE, 0o600)}, 'unknown webhook scheme "gitlab"'),
    ("govern on; govern_webhook github secrets=@PREFIX@/none.json;",
     {}, 'none.json" (2: No such file or directory)'),
    ("govern on; govern_webhook github secrets=@PREFIX@/s.json;",
     {"s.json": (GOOD_FILE, 0o640)},
     "is accessible by group or others: it holds webhook secrets, "
     "chmod 600 it"),
    ("govern on; govern_webhook github secrets=@PREFIX@/s.json;",
     {"s.json": ('{"acme": "one secret"}', 0o600)},
     'partner "acme": not an array of 1 to 16 secrets'),
    ("govern on; govern_webhook stripe secrets=@PREFIX@/s.json;",
     {"s.json": ('{"acme": ["sk_test_0123456789abcdef"]}', 0o600)},
     'a Stripe endpoint secret starts with "whsec_"'),
    ("govern on; govern_webhook github tolerance=1m;", {},
     "needs secrets=FILE"),
    ("govern on; govern_webhook github secrets=@PREFIX@/s.json "
     "tolerance=soon;", {"s.json": (GOOD_FILE, 0o600)},
     'invalid tolerance "tolerance=soon"'),
    ("govern on; govern_webhook github secrets=@PREFIX@/s.json dedupe;",
     {"s.json": (GOOD_FILE, 0o600)},
     "with dedupe needs govern_redis"),
    ("govern on; govern_webhook github secrets=@PREFIX@/s.json;\n"
     "            govern_jwt_issuer https://idp.example;",
     {"s.json": (GOOD_FILE, 0o600)},
     '"govern_jwt_issuer" in the location of "govern_webhook" in '),
    ("govern on; govern_webhook github secrets=@PREFIX@/s.json;\n"
     "            govern_scopes orders:write;",
     {"s.json": (GOOD_FILE, 0o600)},
     "a location verifies a token or a webhook, never both"),
    ("govern_webhook github secrets=@PREFIX@/s.json;",
     {"s.json": (GOOD_FILE, 0o600)},
     '"govern_webhook" has no effect without "govern on"'),
    ("govern on; govern_webhook github secrets=@PREFIX@/s.json "
     "partner=initech;", {"s.json": (GOOD_FILE, 0o600)},
     'the partner "initech" has no secret in'),
    ("govern_webhook_sign stripe secrets=@PREFIX@/s.json partner=acme;",
     {"s.json": (GOOD_FILE, 0o600)}, 'signs "standard" webhooks only'),
    ("govern_webhook_sign standard secrets=@PREFIX@/s.json partner=initech;",
     {"s.json": (json.dumps({"acme": ["whsec_" + b64(b"k" * 24)]}),
                 0o600)},
     'the partner "initech" has no secret in'),
])
def test_nginx_t_refuses(nginx, location, files, message):
    rc, out = nginx_t(nginx, """
    server {
        listen 127.0.0.1:@PORT@;
        location /hooks/ {
            %s
            proxy_pass http://127.0.0.1:1;
        }
    }
    """ % location, files)
    assert rc != 0 and message in out, out
    assert "nginx.conf" in out


def test_nginx_t_names_the_webhook_line(nginx):
    """The refusal of a token directive beside govern_webhook names the
    file and line of govern_webhook."""
    rc, out = nginx_t(nginx, """
    server {
        listen 127.0.0.1:@PORT@;
        location /hooks/ {
            govern on;
            govern_jwt_audience govern;
            govern_webhook github secrets=@PREFIX@/s.json;
            proxy_pass http://127.0.0.1:1;
        }
    }
    """, {"s.json": (GOOD_FILE, 0o600)})
    assert rc != 0
    line = [n for n, text in enumerate(open(os.path.join(
        nginx.instances[-1].prefix, "nginx.conf")).read().splitlines(), 1)
        if "govern_webhook github" in text][0]
    assert ('"govern_jwt_audience" in the location of "govern_webhook" in '
            '%s:%d' % (nginx.instances[-1].conf, line)) in out, out
