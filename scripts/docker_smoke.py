#!/usr/bin/python3
"""make docker-smoke: the image of docker/Dockerfile, run as compose.yaml
runs it, against this machine's redis-server and the fake Odoo.

Builds the image, then starts it on the host network with "redis" and
"odoo" resolving to 127.0.0.1 (the ports of docker/gateway.conf: 6379,
8069, 8080 must be free; nginx's resolver asks a DNS server this script
runs on 127.0.0.1 in place of Docker's), the demo's JWKS and credentials
mounted where compose.yaml mounts them.  Checks: the container's nginx -t passes; a
partner's JSON-RPC search reaches the fake Odoo with the mapped uid and
key instead of the partner's; a call outside the partner's scopes is
refused in Odoo's shape and never reaches it; quitting the container
leaves one audit record per call.  Needs a Docker engine and the
debian:bookworm-slim image; everything stays on loopback.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "lua-free-tests", "integration"))

from fake_dns import FakeDns    # noqa: E402
IMAGE = "govern-gateway:smoke"
NAME = "govern-smoke"


def free(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def wait_port(port, seconds=20):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if not free(port):
            return
        time.sleep(0.1)
    raise SystemExit("docker-smoke: nothing listens on %d" % port)


def http(method, path, body=None, headers=None, port=8080):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path),
                                 method=method, headers=headers or {},
                                 data=json.dumps(body).encode()
                                 if body is not None else None)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def execute_kw(model, method, args, kwargs):
    return {"jsonrpc": "2.0", "method": "call", "id": 1, "params": {
        "service": "object", "method": "execute_kw",
        "args": ["partner-db", 1, "partner-held-key", model, method, args,
                 kwargs]}}


def check(what, ok):
    print("docker-smoke: %s: %s" % (what, "ok" if ok else "FAILED"))
    if not ok:
        raise SystemExit(1)


def main():
    for port in (6379, 8069, 8080):
        if not free(port):
            raise SystemExit("docker-smoke: 127.0.0.1:%d is in use" % port)

    subprocess.run(["docker", "build", "-q", "-f", "docker/Dockerfile",
                    "-t", IMAGE, "."], cwd=ROOT, check=True)

    tmp = tempfile.mkdtemp(prefix="govern-docker-")
    procs = []
    stops = []
    try:
        keys = os.path.join(tmp, "keys")
        mint = [sys.executable, os.path.join(ROOT, "scripts", "mint_token.py")]
        subprocess.run(mint + ["--init", keys], check=True)

        def token(scope):
            return subprocess.run(
                mint + ["--key", os.path.join(keys, "private.pem"),
                        "--sub", "acme", "--scope", scope],
                check=True, capture_output=True, text=True).stdout.strip()

        creds = os.path.join(tmp, "odoo-credentials.json")
        shutil.copy(os.path.join(ROOT, "config", "odoo-credentials.json"),
                    creds)
        os.chmod(creds, 0o600)
        with open(creds) as f:
            acme = json.load(f)["acme"]
        secrets = os.path.join(tmp, "webhook-secrets.json")
        with open(secrets, "w") as f:
            f.write('{"acme": ["whsec_%s"]}' % ("A" * 32))
        os.chmod(secrets, 0o600)
        logs = os.path.join(tmp, "log")
        os.mkdir(logs)

        procs.append(subprocess.Popen(
            ["redis-server", "--port", "6379", "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL))
        procs.append(subprocess.Popen(
            [sys.executable, os.path.join(ROOT, "scripts", "fake_odoo.py"),
             "--listen", "127.0.0.1:8069", "--credentials", creds]))
        wait_port(6379)
        wait_port(8069)

        # the image's nginx.conf, its resolver this script's DNS server
        dns = FakeDns({"redis": "127.0.0.1"})
        stops.append(dns.stop)
        conf = os.path.join(tmp, "nginx.conf")
        with open(os.path.join(ROOT, "docker", "gateway.conf")) as f:
            text = f.read()
        assert "resolver 127.0.0.11 " in text
        with open(conf, "w") as f:
            f.write(text.replace("resolver 127.0.0.11 ",
                                 "resolver 127.0.0.1:%d " % dns.port))

        run = ["docker", "run", "--rm", "--network", "host",
               "--add-host", "redis:127.0.0.1", "--add-host", "odoo:127.0.0.1",
               "-v", conf + ":/etc/nginx/nginx.conf:ro",
               "-v", os.path.join(keys, "jwks.json")
               + ":/etc/govern/jwks.json:ro",
               "-v", creds + ":/etc/govern/odoo-credentials.json:ro",
               "-v", secrets + ":/etc/govern/webhook-secrets.json:ro",
               "-v", logs + ":/var/log/govern"]

        t = subprocess.run(run + [IMAGE, "nginx", "-t"], capture_output=True,
                           text=True)
        check("nginx -t in the container", t.returncode == 0)

        subprocess.run(run[:2] + ["-d", "--name", NAME] + run[2:] + [IMAGE],
                       check=True, stdout=subprocess.DEVNULL)
        wait_port(8080)

        good = token("odoo:rpc catalog:read")
        status, reply = http("POST", "/jsonrpc", execute_kw(
            "product.product", "search_read", [[]],
            {"fields": ["name"], "limit": 5}),
            {"Authorization": "Bearer " + good,
             "Content-Type": "application/json"})
        check("a partner's search reaches Odoo",
              status == 200 and isinstance(reply.get("result"), list))

        _, calls = http("GET", "/__fake_odoo__/calls", port=8069)
        check("Odoo saw the mapped uid and key, not the partner's",
              len(calls) == 1 and calls[0]["uid"] == acme["uid"]
              and calls[0]["db"] == acme["db"]
              and calls[0].get("credential") == acme["api_key"][:8])

        status, reply = http("POST", "/jsonrpc", execute_kw(
            "res.users", "write", [[1], {"login": "x"}], {}),
            {"Authorization": "Bearer " + good,
             "Content-Type": "application/json"})
        _, calls = http("GET", "/__fake_odoo__/calls", port=8069)
        check("res.users write refused in Odoo's shape, unseen by Odoo",
              status == 200 and reply["error"]["data"]["name"]
              == "odoo.exceptions.AccessError" and len(calls) == 1)

        subprocess.run(["docker", "stop", "-t", "10", NAME], check=True,
                       stdout=subprocess.DEVNULL)
        with open(os.path.join(logs, "audit.log")) as f:
            records = [json.loads(line) for line in f]
        # each worker buffers its own records: no order between them
        check("two audit records: allow, and deny (odoo_denied)",
              sorted((r["decision"], r["reason"] or "") for r in records)
              == [("allow", ""), ("deny", "odoo_denied")])
        with open(os.path.join(logs, "error.log")) as f:
            log = f.read()
        check("no [alert], [crit] or [emerg] in the error log",
              not any(w in log for w in ("[alert]", "[crit]", "[emerg]")))
        return 0
    finally:
        subprocess.run(["docker", "rm", "-f", NAME], capture_output=True)
        for p in procs:
            p.terminate()
            p.wait(10)
        for stop in stops:
            stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
