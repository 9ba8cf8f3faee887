#!/usr/bin/python3
"""make bench: govern's overhead measured against plain proxy_pass.

The gateway nginx (stock binary, module loaded) runs one worker pinned to
CPU 0; wrk and the upstream (an nginx stand-in returning a small JSON body)
share CPU 1.  Every variant is a server block of the same gateway, so all
run in one process under the same conditions, interleaved over several
rounds.  Printed per variant: median req/s, p50 and p99 latency, gateway
CPU time per request, and the ratio to plain proxy_pass in the same round;
then pairs that isolate one feature: a route against the same route
without it, or against plain proxy_pass sent the very same request.
Only loopback is used; the whole run is bounded (well under 5 minutes).
"""

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
NGINX = "/usr/sbin/nginx"

CLUSTER_VARIANT = "govern HS256 + scope + Redis rate limit, cluster"

# (name, location body, token): token is None (no Authorization), or
# (alg, "repeat") for one token sent again and again (verified-token cache
# hits), or (alg, "unique") for a rotation of distinct tokens larger than
# the bench's small cache (every request verifies a signature)
VARIANTS = [
    # the baseline gets the very request partners send, token included
    ("plain proxy_pass", """
            proxy_pass http://upstream;
    """, ("HS256", "repeat")),
    ("govern HS256 + scope, audit off", """
            govern on;
            govern_scopes orders:read;
            proxy_pass http://upstream;
    """, ("HS256", "repeat")),
    ("govern HS256 + scope + audit (tmpfs)", """
            govern on;
            govern_scopes orders:read;
            govern_audit @SHM@/audit.log buffer=64k flush=1s;
            proxy_pass http://upstream;
    """, ("HS256", "repeat")),
    ("govern HS256 + scope + audit (disk)", """
            govern on;
            govern_scopes orders:read;
            govern_audit @PREFIX@/audit.log buffer=64k flush=1s;
            proxy_pass http://upstream;
    """, ("HS256", "repeat")),
    # the same routes with a hash chain and a checkpoint every 1,000
    # records: served by a second gateway (govern_audit_key is http-wide)
    ("govern HS256 + scope + chained audit (tmpfs)", """
            govern on;
            govern_scopes orders:read;
            govern_audit @SHM@/audit-chained.log buffer=64k flush=1s;
            proxy_pass http://upstream;
    """, ("HS256", "repeat")),
    ("govern HS256 + scope + chained audit (disk)", """
            govern on;
            govern_scopes orders:read;
            govern_audit @PREFIX@/audit-chained.log buffer=64k flush=1s;
            proxy_pass http://upstream;
    """, ("HS256", "repeat")),
    ("govern HS256 + scope + Redis rate limit", """
            govern on;
            govern_scopes orders:read;
            govern_rate_limit orders 1000000r/s;
            proxy_pass http://upstream;
    """, ("HS256", "repeat")),
    # 50 partners in turn: the requests of one loop turn rarely share a
    # partner, so each is a script call of its own (the single partner
    # above shares one call per round trip)
    ("govern HS256 + scope, 50 partners, audit off", """
            govern on;
            govern_scopes orders:read;
            proxy_pass http://upstream;
    """, ("HS256", "partners")),
    ("govern HS256 + scope + Redis rate limit, 50 partners", """
            govern on;
            govern_scopes orders:read;
            govern_rate_limit orders 1000000r/s;
            proxy_pass http://upstream;
    """, ("HS256", "partners")),
    # the revocation check rides in the rate limit's script
    ("govern HS256 + scope + Redis rate limit + revocation", """
            govern on;
            govern_scopes orders:read;
            govern_rate_limit orders 1000000r/s;
            govern_revocation on;
            proxy_pass http://upstream;
    """, ("HS256", "repeat")),
    ("govern HS256 + scope + revocation (its own Redis call)", """
            govern on;
            govern_scopes orders:read;
            govern_revocation on;
            proxy_pass http://upstream;
    """, ("HS256", "repeat")),
    # a second gateway, the same route, its Redis a three-master cluster
    (CLUSTER_VARIANT, """
            govern on;
            govern_scopes orders:read;
            govern_rate_limit orders 1000000r/s;
            proxy_pass http://upstream;
    """, ("HS256", "repeat")),
    ("plain proxy_pass, POST 1 KB order", """
            proxy_pass http://upstream;
    """, ("HS256", "post")),
    ("govern HS256, POST 1 KB order, no schema", """
            govern on;
            govern_scopes orders:read;
            proxy_pass http://upstream;
    """, ("HS256", "post")),
    ("govern HS256, POST 1 KB order + schema", """
            govern on;
            govern_scopes orders:read;
            govern_schema @PREFIX@/order.json;
            proxy_pass http://upstream;
    """, ("HS256", "post")),
    ("govern HS256, JSON-RPC 1 KB, no govern_odoo", """
            govern on;
            govern_scopes orders:read;
            proxy_pass http://upstream;
    """, ("HS256", "post-jsonrpc")),
    ("govern HS256, JSON-RPC 1 KB + Odoo policy + credentials", """
            govern on;
            govern_scopes orders:read;
            govern_odoo jsonrpc;
            govern_odoo_allow product.product search_read scope=orders:read;
            govern_odoo_max_records 100;
            proxy_pass http://upstream;
    """, ("HS256", "post-jsonrpc")),
    ("govern HS256, JSON-RPC 1 KB + Odoo policy, 1,000 rules", """
            govern on;
            govern_scopes orders:read;
            govern_odoo jsonrpc;
""" + "".join("            govern_odoo_allow x.model%d read,search_read "
              "scope=orders:read;\n" % i for i in range(999)) + """
            govern_odoo_allow product.product search_read scope=orders:read;
            govern_odoo_max_records 100;
            proxy_pass http://upstream;
    """, ("HS256", "post-jsonrpc")),
    ("govern HS256, XML-RPC 1.8 KB, no govern_odoo", """
            govern on;
            govern_scopes orders:read;
            proxy_pass http://upstream;
    """, ("HS256", "post-xmlrpc")),
    ("govern HS256, XML-RPC 1.8 KB + Odoo policy + credentials", """
            govern on;
            govern_scopes orders:read;
            govern_odoo xmlrpc;
            govern_odoo_allow product.product search_read scope=orders:read;
            govern_odoo_max_records 100;
            proxy_pass http://upstream;
    """, ("HS256", "post-xmlrpc")),
    # the measure: a search_read methodCall of about 1 KB
    ("govern HS256, XML-RPC 1.1 KB, no govern_odoo", """
            govern on;
            govern_scopes orders:read;
            proxy_pass http://upstream;
    """, ("HS256", "post-xmlrpc-small")),
    ("govern HS256, XML-RPC 1.1 KB + Odoo policy + credentials", """
            govern on;
            govern_scopes orders:read;
            govern_odoo xmlrpc;
            govern_odoo_allow product.product search_read scope=orders:read;
            govern_odoo_max_records 100;
            proxy_pass http://upstream;
    """, ("HS256", "post-xmlrpc-small")),
    ("govern HS256, JSON-2 1 KB, no govern_odoo", """
            govern on;
            govern_scopes orders:read;
            proxy_pass http://upstream;
    """, ("HS256", "post-json2")),
    ("govern HS256, JSON-2 1 KB + Odoo policy + credentials", """
            govern on;
            govern_scopes orders:read;
            govern_odoo json2;
            govern_odoo_allow product.product search_read scope=orders:read;
            govern_odoo_max_records 100;
            proxy_pass http://upstream;
    """, ("HS256", "post-json2")),
    ("govern HS256 unique tokens (cache misses)", """
            govern on;
            govern_scopes orders:read;
            proxy_pass http://upstream;
    """, ("HS256", "unique")),
    # the same request without govern: an RS256 or ES256 token is longer
    # than the baseline's HS256 one, and its bytes cost the plain proxy too
    ("plain proxy_pass, RS256 token", """
            proxy_pass http://upstream;
    """, ("RS256", "repeat")),
    ("govern RS256 repeated token (cache hits)", """
            govern on;
            govern_scopes orders:read;
            proxy_pass http://upstream;
    """, ("RS256", "repeat")),
    ("govern RS256 unique tokens (cache misses)", """
            govern on;
            govern_scopes orders:read;
            proxy_pass http://upstream;
    """, ("RS256", "unique")),
    # the same RSA key, published by the identity provider (the upstream
    # stand-in) under another kid: govern_jwt_keys_request
    ("govern RS256 repeated token, IdP keys (cache hits)", """
            govern on;
            govern_scopes orders:read;
            govern_jwt_keys_request /_jwks;
            proxy_pass http://upstream;
    """, ("RS256-idp", "repeat")),
    ("govern RS256 unique tokens, IdP keys (cache misses)", """
            govern on;
            govern_scopes orders:read;
            govern_jwt_keys_request /_jwks;
            proxy_pass http://upstream;
    """, ("RS256-idp", "unique")),
    ("plain proxy_pass, ES256 token", """
            proxy_pass http://upstream;
    """, ("ES256", "repeat")),
    ("govern ES256 repeated token (cache hits)", """
            govern on;
            govern_scopes orders:read;
            proxy_pass http://upstream;
    """, ("ES256", "repeat")),
    ("govern ES256 unique tokens (cache misses)", """
            govern on;
            govern_scopes orders:read;
            proxy_pass http://upstream;
    """, ("ES256", "unique")),
    # a partner's webhook (Standard Webhooks, 2 KB): each request a new
    # event, signed for one of the file's three partners; the same
    # request through plain proxy_pass is the baseline
    ("plain proxy_pass, webhook 2 KB", """
            proxy_pass http://upstream;
    """, (None, "webhook")),
    ("govern webhook 2 KB, verified", """
            govern on;
            govern_webhook standard secrets=@PREFIX@/webhook-secrets.json
                           tolerance=1h;
            proxy_pass http://upstream;
    """, (None, "webhook")),
    # each partner's URL names it: one HMAC per delivery
    ("govern webhook 2 KB, verified, partner named", """
            govern on;
            govern_webhook standard secrets=@PREFIX@/webhook-secrets.json
                           partner=$arg_partner tolerance=1h;
            proxy_pass http://upstream;
    """, (None, "webhook")),
    # dedupe=2s: the rotation of events never comes back within it
    ("govern webhook 2 KB, verified + dedupe", """
            govern on;
            govern_route webhook-dedupe;
            govern_webhook standard secrets=@PREFIX@/webhook-secrets.json
                           tolerance=1h dedupe=2s;
            proxy_pass http://upstream;
    """, (None, "webhook")),
]

WEBHOOK_VARIANT = "govern webhook 2 KB, verified + dedupe"
WEBHOOK_EVENTS = 120000

UNIQUE_TOKENS = 3000
PARTNERS = 50               # mint() names partner-0 to partner-49

# (alg, hit variant, miss variant): a miss's cost against openssl speed
MISS_PAIRS = [
    ("RS256", "govern RS256 repeated token (cache hits)",
     "govern RS256 unique tokens (cache misses)"),
    ("ES256", "govern ES256 repeated token (cache hits)",
     "govern ES256 unique tokens (cache misses)"),
]


def jwt_miss_bench(prefix):
    """lua-free-tests/bench/jwt_bench.c on CPU 0: a cache miss in the token
    stage against the raw verify openssl speed measures, same process."""
    lib = os.path.join(ROOT, "build", "lib", "libgovern.a")
    exe = os.path.join(prefix, "jwt_bench")
    subprocess.run(["gcc", "-O2", "-I" + os.path.join(ROOT, "module", "lib"),
                    "-o", exe, os.path.join(ROOT, "lua-free-tests", "bench",
                                            "jwt_bench.c"),
                    lib, "-ljansson", "-lcrypto", "-lpcre2-8", "-lm"],
                   check=True)
    lines = []
    for alg, rounds in (("RS256", 20), ("ES256", 6)):
        tokens = os.path.join(prefix, "tokens-%s.txt" % alg)
        if os.path.exists(tokens):
            lines.append(subprocess.run(
                ["taskset", "-c", "0", exe, os.path.join(prefix, "jwks.json"),
                 tokens, str(rounds)], capture_output=True, text=True,
                check=True, timeout=300).stdout.strip())
    return lines


def openssl_verify_us():
    """openssl speed's verify time (us) for RS256 and ES256 on CPU 0."""
    out = subprocess.run(["taskset", "-c", "0", "openssl", "speed",
                          "-seconds", "2", "-mr", "rsa2048", "ecdsap256"],
                         capture_output=True, text=True, timeout=120).stdout
    us = {}
    for line in out.splitlines():
        f = line.split(":")
        if line.startswith("+F2:") and f[2] == "2048":
            us["RS256"] = 1e6 / float(f[4])
        elif line.startswith("+F4:") and f[2] == "256":
            us["ES256"] = 1e6 / float(f[4])
    return us

# the variants the second gateway, the one with govern_audit_key, serves
CHAINED = {"govern HS256 + scope + chained audit (tmpfs)",
           "govern HS256 + scope + chained audit (disk)"}

# the same valid order (about 1 KB) on every request
WRK_POST = """
local f = io.open("@FILE@")
local body = f:read("*a")
f:close()
request = function()
    return wrk.format("POST", "@PATH@",
                      {["Authorization"] = "Bearer @TOKEN@",
                       ["Content-Type"] = "application/json"}, body)
end
"""

# pairs whose ratio the table is followed by
PAIRS = [
    ("govern HS256 + scope + audit (tmpfs)",
     "govern HS256 + scope, audit off"),
    ("govern HS256 + scope + chained audit (tmpfs)",
     "govern HS256 + scope + audit (tmpfs)"),
    ("govern HS256 + scope + chained audit (disk)",
     "govern HS256 + scope + audit (disk)"),
    ("govern HS256 + scope + Redis rate limit",
     "govern HS256 + scope, audit off"),
    ("govern HS256 + scope + Redis rate limit, 50 partners",
     "govern HS256 + scope, 50 partners, audit off"),
    ("govern HS256 + scope + Redis rate limit + revocation",
     "govern HS256 + scope + Redis rate limit"),
    ("govern HS256 + scope + revocation (its own Redis call)",
     "govern HS256 + scope, audit off"),
    ("govern RS256 repeated token, IdP keys (cache hits)",
     "govern RS256 repeated token (cache hits)"),
    ("govern RS256 unique tokens, IdP keys (cache misses)",
     "govern RS256 unique tokens (cache misses)"),
    (CLUSTER_VARIANT, "govern HS256 + scope + Redis rate limit"),
    ("govern HS256, JSON-RPC 1 KB + Odoo policy + credentials",
     "govern HS256, JSON-RPC 1 KB, no govern_odoo"),
    ("govern HS256, JSON-2 1 KB + Odoo policy + credentials",
     "govern HS256, JSON-2 1 KB, no govern_odoo"),
    ("govern HS256, XML-RPC 1.8 KB + Odoo policy + credentials",
     "govern HS256, XML-RPC 1.8 KB, no govern_odoo"),
    ("govern HS256, XML-RPC 1.1 KB + Odoo policy + credentials",
     "govern HS256, XML-RPC 1.1 KB, no govern_odoo"),
    ("govern HS256, JSON-RPC 1 KB + Odoo policy, 1,000 rules",
     "govern HS256, JSON-RPC 1 KB + Odoo policy + credentials"),
    ("govern HS256, POST 1 KB order + schema",
     "govern HS256, POST 1 KB order, no schema"),
    ("govern HS256, POST 1 KB order + schema",
     "plain proxy_pass, POST 1 KB order"),
    ("govern RS256 repeated token (cache hits)",
     "plain proxy_pass, RS256 token"),
    ("govern RS256 unique tokens (cache misses)",
     "plain proxy_pass, RS256 token"),
    ("govern ES256 repeated token (cache hits)",
     "plain proxy_pass, ES256 token"),
    ("govern ES256 unique tokens (cache misses)",
     "plain proxy_pass, ES256 token"),
    ("govern webhook 2 KB, verified + dedupe",
     "plain proxy_pass, webhook 2 KB"),
    ("govern webhook 2 KB, verified", "plain proxy_pass, webhook 2 KB"),
    ("govern webhook 2 KB, verified, partner named",
     "plain proxy_pass, webhook 2 KB"),
    ("govern webhook 2 KB, verified + dedupe",
     "govern webhook 2 KB, verified"),
]

# webhook deliveries: "id signature partner" lines, a random start per run
# (a run never wraps around the rotation); the partner in the query string
WRK_WEBHOOK = """
local f = io.open("@BODY@")
local body = f:read("*a")
f:close()
local ids, sigs, paths = {}, {}, {}
for line in io.lines("@FILE@") do
    local id, sig, partner = line:match("^(%S+) (%S+) (%S+)$")
    ids[#ids + 1] = id
    sigs[#sigs + 1] = sig
    paths[#paths + 1] = "/hooks/orders?partner=" .. partner
end
local i = 0
init = function(args)
    math.randomseed(os.time() + math.floor(os.clock() * 1000000))
    i = math.random(#ids)
end
request = function()
    i = i % #ids + 1
    return wrk.format("POST", paths[i],
                      {["Content-Type"] = "application/json",
                       ["webhook-id"] = ids[i],
                       ["webhook-timestamp"] = "@TS@",
                       ["webhook-signature"] = sigs[i]}, body)
end
"""

# rotates through a file of tokens, one per line
WRK_ROTATE = """
local tokens = {}
for line in io.lines("@FILE@") do tokens[#tokens + 1] = line end
local i = 0
request = function()
    i = i % #tokens + 1
    return wrk.format("GET", "/api/v1/orders",
                      {["Authorization"] = "Bearer " .. tokens[i]})
end
"""

UPSTREAM_CONF = """
worker_processes 1;
daemon off;
error_log @PREFIX@/upstream-error.log warn;
pid @PREFIX@/upstream.pid;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:@UPORT@ reuseport backlog=4096;
        location / {
            default_type application/json;
            return 200 '{"jsonrpc":"2.0","id":1,"result":[{"id":1,"name":"Blue T-shirt","qty_available":12.0}]}';
        }
        # the identity provider's JWKS
        location = /jwks {
            default_type application/json;
            add_header Cache-Control "max-age=600";
            return 200 '@IDP_JWKS@';
        }
    }
}
"""

GATEWAY_CONF = """
load_module @MODULE@;
@USER@
worker_processes 1;
worker_cpu_affinity 01;
daemon off;
error_log @PREFIX@/@NAME@-error.log warn;
pid @PREFIX@/@NAME@.pid;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 1000000;
    @AUDIT_KEY@
    # small on purpose: the unique-token variants must miss every time
    govern_jwt_cache 64k;
    govern_jwt_keys @PREFIX@/jwks.json;
    govern_jwt_issuer https://idp.bench;
    govern_jwt_audience govern;
    govern_redis @REDIS@ timeout=500ms;
    # only the variants that check revocations say so
    govern_revocation off;
    govern_odoo_credentials @PREFIX@/odoo-credentials.json;
    client_body_temp_path @PREFIX@/cb;
    proxy_temp_path @PREFIX@/px;
    fastcgi_temp_path @PREFIX@/fc;
    uwsgi_temp_path @PREFIX@/uw;
    scgi_temp_path @PREFIX@/sc;
    upstream upstream {
        server 127.0.0.1:@UPORT@;
        keepalive 64;
    }
    proxy_http_version 1.1;
    proxy_set_header Connection "";
@SERVERS@
}
"""


_ports = set()


def free_port():
    """A free port not handed out before: the kernel may give a closed
    one again, and two variants on one port fail nginx -t"""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _ports:
            _ports.add(port)
            return port


def render(text, values):
    for k, v in values.items():
        text = text.replace("@%s@" % k, str(v))
    return text


def wait_port(port):
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("bench: nothing listens on %d" % port)


def start_cluster(prefix, procs, pids):
    """Three Redis Cluster masters on the load's CPU; their addresses."""
    nodes = []
    for i in range(3):
        port, bus = free_port(), free_port()
        d = os.path.join(prefix, "cluster%d" % i)
        os.mkdir(d)
        procs.append(subprocess.Popen(
            ["taskset", "-c", "1", "redis-server", "--port", str(port),
             "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", d, "--cluster-enabled", "yes", "--cluster-port",
             str(bus), "--cluster-config-file", "nodes.conf"],
            stdout=subprocess.DEVNULL))
        pids.append(procs[-1].pid)      # taskset execs redis-server
        nodes.append("127.0.0.1:%d" % port)
    for node in nodes:
        wait_port(int(node.rsplit(":", 1)[1]))
    subprocess.run(["redis-cli", "--cluster", "create"] + nodes
                   + ["--cluster-replicas", "0", "--cluster-yes"],
                   check=True, capture_output=True, timeout=60)
    for _ in range(200):
        info = subprocess.run(["redis-cli", "-p", nodes[0].rsplit(":")[1],
                               "cluster", "info"], capture_output=True,
                              text=True).stdout
        if "cluster_state:ok" in info:
            return nodes
        time.sleep(0.05)
    raise SystemExit("bench: the cluster is not ok")


def cpu_ticks(pid, user=False):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    if user:
        return int(fields[11])                        # utime
    return int(fields[11]) + int(fields[12])          # utime + stime


def worker_pid(master_pid):
    out = subprocess.run(["pgrep", "-P", str(master_pid)],
                         capture_output=True, text=True).stdout.split()
    if len(out) != 1:
        raise SystemExit("bench: expected one gateway worker, got %r" % out)
    return int(out[0])


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def parse_latency(text, pct):
    m = re.search(r"^\s*%s%%\s+([\d.]+)(us|ms|s)\s*$" % pct, text, re.M)
    return float(m.group(1)) * UNITS[m.group(2)] if m else float("nan")


def run_wrk(url, seconds, connections, args=()):
    cmd = ["taskset", "-c", "1", "wrk", "-t1", "-c%d" % connections,
           "-d%ds" % seconds, "--latency"] + list(args) + [url]
    out = subprocess.run(cmd, capture_output=True, text=True,
                         timeout=seconds + 30).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {"rps": rps, "total": total,
            "p50": parse_latency(out, 50), "p99": parse_latency(out, 99),
            "non2xx": int(non2xx.group(1)) if non2xx else 0,
            "errors": errors.group(1) if errors else ""}


def bench_order():
    """A valid order of about 1 KB for config/schemas/order.json."""
    lines = [{"sku": "SKU-%03d" % i, "qty": i + 1, "unit_price": 9.99,
              "gift_wrap": False} for i in range(14)]
    return {"partner_ref": "PX-PO-100234", "currency": "EUR",
            "ordered_at": "2026-11-26T10:00:00Z",
            "delivery_date": "2026-12-01",
            "customer": {"name": "Jane Doe", "email": "jane@example.com",
                         "phone": "+1 555 0100", "country": "US"},
            "lines": lines, "note": "leave at the door"}


def bench_domain():
    """A search of about 1 KB, as a storefront sends for availability."""
    return [["default_code", "in", ["SKU-%05d" % i for i in range(70)]],
            ["sale_ok", "=", True]]


def bench_jsonrpc():
    return {"jsonrpc": "2.0", "method": "call", "id": 7, "params": {
        "service": "object", "method": "execute_kw",
        "args": ["retail", 1, "partner-never-holds-this", "product.product",
                 "search_read", [bench_domain()],
                 {"fields": ["default_code", "qty_available"], "limit": 50,
                  "context": {"lang": "en_US"}}]}}


def bench_xmlrpc():
    """The JSON-RPC variant's search_read as xmlrpc.client writes it, but
    for its codes (12 where JSON has 70: XML is about four times JSON's
    size): 1,783 bytes."""
    import xmlrpc.client
    args = bench_jsonrpc()["params"]["args"]
    args[5] = [[["default_code", "in", ["SKU-%05d" % i for i in range(12)]],
                ["sale_ok", "=", True]]]
    return xmlrpc.client.dumps(tuple(args), "execute_kw")


def bench_xmlrpc_small():
    """A search_read methodCall of about 1 KB (1,109 bytes), as
    xmlrpc.client writes it: one condition, two fields, a limit and a
    context."""
    import xmlrpc.client
    args = bench_jsonrpc()["params"]["args"][:5] + [
        [[["sale_ok", "=", True]]],
        {"fields": ["default_code", "qty_available"], "limit": 50,
         "context": {"lang": "en_US"}}]
    return xmlrpc.client.dumps(tuple(args), "execute_kw")


def bench_json2():
    return {"domain": bench_domain(), "fields": ["default_code",
                                                 "qty_available"],
            "limit": 50, "context": {"lang": "en_US"}}


def make_tokens(prefix):
    """Keys (a JWKS with HS256, RS256, ES256) and tokens minted by PyJWT;
    returns the wrk arguments for each token source of VARIANTS."""
    import base64
    import json
    import secrets

    import jwt
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    def b64(data):
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    def num(n, size=None):
        return b64(n.to_bytes(size or (n.bit_length() + 7) // 8, "big"))

    secret = secrets.token_bytes(32)
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    rpub = rsa_key.public_key().public_numbers()
    epub = ec_key.public_key().public_numbers()
    jwks = {"keys": [
        {"kty": "oct", "kid": "hs", "alg": "HS256", "k": b64(secret)},
        {"kty": "RSA", "kid": "rs", "alg": "RS256", "n": num(rpub.n),
         "e": num(rpub.e)},
        {"kty": "EC", "kid": "es", "alg": "ES256", "crv": "P-256",
         "x": num(epub.x, 32), "y": num(epub.y, 32)}]}
    with open(os.path.join(prefix, "jwks.json"), "w") as f:
        json.dump(jwks, f)
    with open(os.path.join(prefix, "idp-jwks.json"), "w") as f:
        json.dump({"keys": [dict(jwks["keys"][1], kid="rs-idp")]}, f)

    signers = {"HS256": (secret, "hs"), "RS256": (rsa_key, "rs"),
               "ES256": (ec_key, "es"), "RS256-idp": (rsa_key, "rs-idp")}

    def mint(alg, n):
        key, kid = signers[alg]
        exp = int(time.time()) + 3600
        return jwt.encode({"iss": "https://idp.bench", "aud": "govern",
                           "sub": "partner-%d" % (n % 50), "exp": exp,
                           "jti": "%x" % n, "scope": "orders:read"},
                          key, algorithm=alg.split("-")[0],
                          headers={"kid": kid})

    args = {None: []}
    for _, _, token in VARIANTS:
        if token is None or token in args:
            continue
        alg, mode = token
        if mode == "webhook":
            args[token] = ["-s", make_webhooks(prefix)]
            continue
        if mode.startswith("post"):
            body, path = {
                "post": (bench_order(), "/api/v1/orders"),
                "post-jsonrpc": (bench_jsonrpc(),
                                 "/jsonrpc"),
                "post-json2": (bench_json2(),
                               "/json/2/product.product/search_read"),
                "post-xmlrpc": (bench_xmlrpc(), "/xmlrpc/2/object"),
                "post-xmlrpc-small": (bench_xmlrpc_small(),
                                      "/xmlrpc/2/object"),
            }[mode]
            name = os.path.join(prefix, "%s-body.json" % mode)
            with open(name, "w") as f:
                if isinstance(body, str):
                    f.write(body)
                else:
                    json.dump(body, f)
            script = os.path.join(prefix, "%s.lua" % mode)
            with open(script, "w") as f:
                f.write(WRK_POST.replace("@FILE@", name)
                        .replace("@PATH@", path)
                        .replace("@TOKEN@", mint(alg, 0))
                        .replace("application/json",
                                 "text/xml" if mode.startswith("post-xmlrpc")
                                 else "application/json"))
            args[token] = ["-s", script]
            continue
        if mode == "repeat":
            args[token] = ["-H", "Authorization: Bearer " + mint(alg, 0)]
            continue
        count = PARTNERS if mode == "partners" else UNIQUE_TOKENS
        path = os.path.join(prefix, "tokens-%s-%s.txt" % (alg, mode))
        with open(path, "w") as f:
            for n in range(count):
                f.write(mint(alg, n) + "\n")
        script = os.path.join(prefix, "rotate-%s-%s.lua" % (alg, mode))
        with open(script, "w") as f:
            f.write(WRK_ROTATE.replace("@FILE@", path))
        args[token] = ["-s", script]
    return args


def make_webhooks(prefix):
    """A 2 KB event, three partners' Standard Webhooks secrets (chmod
    600) and WEBHOOK_EVENTS deliveries of it, each its own event id,
    signed (Python's hmac) for one partner in turn; the wrk script."""
    import base64
    import hashlib
    import hmac
    import json
    import secrets

    lines = [{"sku": "SKU-%05d" % i, "qty": i % 7 + 1, "price": 19.9,
              "name": "Gr\u00fcner Tee %d" % i} for i in range(20)]
    event = {"type": "order.created", "data": {"order": "SO-1042",
                                                "lines": lines}, "note": ""}
    event["note"] = "x" * (2048 - len(json.dumps(event)))
    body = json.dumps(event).encode()
    assert len(body) == 2048
    with open(os.path.join(prefix, "webhook-body.json"), "wb") as f:
        f.write(body)
    keys = [secrets.token_bytes(32) for _ in range(3)]
    fd = os.open(os.path.join(prefix, "webhook-secrets.json"),
                 os.O_WRONLY | os.O_CREAT, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump({"partner-%d" % i: ["whsec_" + base64.b64encode(k)
                                      .decode()]
                   for i, k in enumerate(keys)}, f)
    ts = str(int(time.time()))
    with open(os.path.join(prefix, "webhooks.txt"), "w") as f:
        for n in range(WEBHOOK_EVENTS):
            msg_id = "msg_%08x%016x" % (n, secrets.randbits(64))
            mac = hmac.new(keys[n % 3], b"%s.%s.%s" % (msg_id.encode(),
                                                     ts.encode(), body),
                           hashlib.sha256).digest()
            f.write("%s v1,%s partner-%d\n" % (
                msg_id, base64.b64encode(mac).decode(), n % 3))
    script = os.path.join(prefix, "webhook.lua")
    with open(script, "w") as f:
        f.write(WRK_WEBHOOK.replace("@BODY@", os.path.join(
            prefix, "webhook-body.json")).replace(
            "@FILE@", os.path.join(prefix, "webhooks.txt")).replace(
            "@TS@", ts))
    return script


def webhook_counts(port):
    """The dedupe variant's refusals and duplicates, from its metrics."""
    import urllib.request
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port,
                                timeout=10) as r:
        text = r.read().decode()
    counts = {}
    for m in re.finditer(r'^govern_requests_total\{route="webhook-dedupe",'
                         r'decision="(\w+)",reason="(\w*)"\} (\d+)$',
                         text, re.M):
        key = "%s %s" % (m.group(1), m.group(2) or "-")
        counts[key] = counts.get(key, 0) + int(m.group(3))
    return counts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--module", default=os.path.join(
        ROOT, "build", "ngx_http_govern_module.so"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=4)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--only", metavar="REGEX",
                    help="run plain proxy_pass and the variants matching")
    ap.add_argument("--keep", action="store_true",
                    help="keep the temporary prefix")
    ap.add_argument("--redis-cpu", type=int, choices=(0, 1), default=1,
                    help="the CPU of the single Redis (default 1, the "
                    "load's, as a remote Redis; 0: the gateway's)")
    opts = ap.parse_args()

    if os.cpu_count() < 2:
        raise SystemExit("bench: needs two CPUs (gateway vs load)")
    if opts.only:
        VARIANTS[1:] = [v for v in VARIANTS[1:]
                        if re.search(opts.only, v[0])]

    prefix = tempfile.mkdtemp(prefix="govern-bench-")
    shm = tempfile.mkdtemp(prefix="govern-bench-", dir="/dev/shm")
    uport = free_port()
    rport = free_port()
    ports = [free_port() for _ in VARIANTS]
    values = {"PREFIX": prefix, "SHM": shm, "UPORT": uport, "RPORT": rport, "MODULE": opts.module,
              "USER": "user root root;" if os.geteuid() == 0 else ""}

    wrk_args = make_tokens(prefix)
    with open(os.path.join(prefix, "idp-jwks.json")) as f:
        values["IDP_JWKS"] = f.read()
    creds = os.path.join(prefix, "odoo-credentials.json")
    fd = os.open(creds, os.O_WRONLY | os.O_CREAT, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write('{"partner-0": {"db": "retail", "uid": 7, '
                '"api_key": "3f1c9a7be2d04c55a1e6f0b9d8c7a6e5f4d3c2b1"}}')
    for name in ("order.json", "customer.json"):
        shutil.copy(os.path.join(ROOT, "config", "schemas", name), prefix)

    # an Ed25519 key for the chained gateway's checkpoints
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519
    fd = os.open(os.path.join(prefix, "audit-key.pem"),
                 os.O_WRONLY | os.O_CREAT, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(ed25519.Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))

    # variants with a gateway of their own, pinned to the same CPU and
    # idle while others run: the chained audit (govern_audit_key), the
    # cluster (govern_redis is one per http block)
    def gateway_of(name):
        return ("gateway-chained" if name in CHAINED
                else "cluster" if name == CLUSTER_VARIANT else "gateway")

    servers = {}
    for (name, body, _), port in zip(VARIANTS, ports):
        servers[gateway_of(name)] = servers.get(gateway_of(name), "") + (
            "    server {\n        listen 127.0.0.1:%d backlog=4096;"
            "\n        location / {%s}\n"
            "        location = /_jwks {\n"
            "            internal;\n"
            "            proxy_pass http://upstream/jwks;\n"
            "        }\n"
            "        location = /metrics {\n"
            "            govern_metrics;\n"
            "        }\n    }\n" % (port, body))
    audit_keys = {"gateway-chained":
                  "govern_audit_key @PREFIX@/audit-key.pem every=1000;"}

    with open(os.path.join(prefix, "upstream.conf"), "w") as f:
        f.write(render(UPSTREAM_CONF, values))

    procs = []
    try:
        # Redis on the load generator's CPU, as a remote Redis would be
        # (--redis-cpu 0: on the gateway's, which the load leaves idle)
        rd = subprocess.Popen(["taskset", "-c", str(opts.redis_cpu),
                               "redis-server", "--port",
                               str(rport), "--bind", "127.0.0.1", "--save",
                               "", "--appendonly", "no"],
                              stdout=subprocess.DEVNULL)
        procs.append(rd)
        wait_port(rport)
        redis = {"gateway": "127.0.0.1:%d" % rport}
        redis_pids = {"gateway": [rd.pid], "cluster": []}
        if "cluster" in servers:
            redis["cluster"] = "cluster " + " ".join(
                start_cluster(prefix, procs, redis_pids["cluster"]))
        up = subprocess.Popen(["taskset", "-c", "1", NGINX, "-p", prefix,
                               "-c", os.path.join(prefix, "upstream.conf"),
                               "-e", os.path.join(prefix, "upstream.err")])
        procs.append(up)
        workers = {}
        for gname in servers:
            conf = os.path.join(prefix, gname + ".conf")
            with open(conf, "w") as f:
                f.write(render(render(GATEWAY_CONF, {
                    "SERVERS": servers[gname], "NAME": gname,
                    "AUDIT_KEY": audit_keys.get(gname, ""),
                    "REDIS": redis.get(gname, redis["gateway"])}), values))
            gw = subprocess.Popen([NGINX, "-p", prefix, "-c", conf, "-e",
                                   os.path.join(prefix, gname + ".err")])
            procs.append(gw)
            workers[gname] = gw
        wait_port(uport)
        for port in ports:
            wait_port(port)
        for gname, gw in workers.items():
            workers[gname] = worker_pid(gw.pid)
        hz = os.sysconf("SC_CLK_TCK")
        # the cluster gateway's slot map
        time.sleep(0.5)

        results = {name: [] for name, _, _ in VARIANTS}
        print("govern bench: %d rounds x %ds per variant, %d connections, "
              "gateway worker on CPU 0, wrk + upstream on CPU 1, Redis on "
              "CPU %d" % (opts.rounds, opts.seconds, opts.connections,
                          opts.redis_cpu), flush=True)

        # warm-up: connections, caches, upstream keepalive pool
        for (_, _, token), port in zip(VARIANTS, ports):
            run_wrk("http://127.0.0.1:%d/api/v1/orders" % port, 1,
                    opts.connections, wrk_args[token])

        # the raw signature check on the gateway's CPU, in the same run
        verify_before = openssl_verify_us()

        for rnd in range(opts.rounds):
            for (name, _, token), port in zip(VARIANTS, ports):
                gateway = gateway_of(name)
                worker = workers[gateway]
                before = cpu_ticks(worker)
                before_user = cpu_ticks(worker, user=True)
                rpids = redis_pids["cluster" if gateway == "cluster"
                                   else "gateway"]
                rbefore = sum(cpu_ticks(p) for p in rpids)
                res = run_wrk("http://127.0.0.1:%d/api/v1/orders" % port,
                              opts.seconds, opts.connections,
                              wrk_args[token])
                res["cpu_us"] = (cpu_ticks(worker) - before) / hz * 1e6 \
                    / max(res["total"], 1)
                res["user_us"] = (cpu_ticks(worker, user=True)
                                  - before_user) / hz * 1e6 \
                    / max(res["total"], 1)
                res["redis_us"] = (sum(cpu_ticks(p) for p in rpids)
                                   - rbefore) / hz * 1e6 \
                    / max(res["total"], 1)
                results[name].append(res)
                if res["non2xx"] or res["errors"]:
                    print("bench: %s: %d non-2xx, errors: %s"
                          % (name, res["non2xx"], res["errors"]),
                          file=sys.stderr)

        base = VARIANTS[0][0]
        print()
        print("| variant | req/s | p50 ms | p99 ms | gateway CPU us/req "
              "| Redis CPU us/req | ratio to plain |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for name, _, _ in VARIANTS:
            rs = results[name]
            ratio = statistics.median(
                r["rps"] / b["rps"] for r, b in zip(rs, results[base]))
            print("| %s | %.0f | %.3f | %.3f | %.1f | %.1f | %.3f |" % (
                name, statistics.median(r["rps"] for r in rs),
                statistics.median(r["p50"] for r in rs),
                statistics.median(r["p99"] for r in rs),
                statistics.median(r["cpu_us"] for r in rs),
                statistics.median(r["redis_us"] for r in rs), ratio))
        print()
        for a, b in PAIRS:
            if a not in results or b not in results:
                continue
            # and by gateway CPU per request (b's over a's), which the
            # load generator's CPU (shared with the upstream and Redis)
            # does not bend
            print("%s vs %s: %.3f (gateway CPU per request: %.3f)" % (
                a, b, statistics.median(
                    x["rps"] / y["rps"]
                    for x, y in zip(results[a], results[b])),
                statistics.median(
                    y["cpu_us"] / x["cpu_us"]
                    for x, y in zip(results[a], results[b]))))

        # a cache miss's cost: the gateway CPU a miss takes beyond a hit,
        # against openssl speed's verify on the same CPU, before and after
        # (per-request CPU also grows as throughput falls: fewer requests
        # share each pass of the event loop), then the token stage's miss
        # alone against the raw verify in one process
        verify_after = openssl_verify_us()
        print()
        for line in jwt_miss_bench(prefix):
            print(line)
        if WEBHOOK_VARIANT in results:
            counts = webhook_counts(ports[[v[0] for v in VARIANTS]
                                          .index(WEBHOOK_VARIANT)])
            print("%s: requests by decision and reason %s (every one a "
                  "new event: duplicates and conflicts would be a fault)"
                  % (WEBHOOK_VARIANT, ", ".join(
                      "%s: %d" % kv for kv in sorted(counts.items()))))
        for alg, hit, miss in MISS_PAIRS:
            if hit not in results or miss not in results:
                continue
            extra = statistics.median(r["cpu_us"] for r in results[miss]) \
                - statistics.median(r["cpu_us"] for r in results[hit])
            user = statistics.median(r["user_us"] for r in results[miss]) \
                - statistics.median(r["user_us"] for r in results[hit])
            raw = (verify_before[alg] + verify_after[alg]) / 2
            print("%s cache miss: %.1f us of gateway CPU beyond a hit (%.1f "
                  "us of it in user space); openssl speed verify %.1f us "
                  "(%.1f before, %.1f after); ratio %.2f (user space %.2f)"
                  % (alg, extra, user, raw, verify_before[alg],
                     verify_after[alg], extra / raw, user / raw))
        bad = []
        for name in ("gateway.err", "gateway-chained.err", "cluster.err",
                     "upstream.err", "gateway-error.log",
                     "gateway-chained-error.log", "cluster-error.log"):
            path = os.path.join(prefix, name)
            if os.path.exists(path):
                with open(path) as f:
                    bad += [l for l in f if re.search(
                        r"\[(alert|crit|emerg)\]|exited on signal", l)]
        if bad:
            print("bench: error log problems:\n" + "".join(bad),
                  file=sys.stderr)
            return 1
        return 0
    finally:
        for p in procs:
            p.send_signal(3 if p.args[0] != "taskset" or "nginx" in p.args
                          else 15)         # nginx: SIGQUIT, graceful
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        if not opts.keep:
            shutil.rmtree(prefix, ignore_errors=True)
        shutil.rmtree(shm, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
