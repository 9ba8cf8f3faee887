#!/usr/bin/python3
"""make run: the demo gateway (config/demo.conf) in front of the fake Odoo,
with a local redis-server, started and stopped together."""

import argparse
import base64
import hashlib
import hmac
import os
import signal
import socket
import subprocess
import sys
import time
import uuid

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))

CURL = ("curl -si http://127.0.0.1:%d/jsonrpc -H 'Authorization: Bearer %s' "
        "-H 'Content-Type: application/json' -d '{\"jsonrpc\":\"2.0\","
        "\"method\":\"call\",\"id\":1,\"params\":{\"service\":\"common\","
        "\"method\":\"version\",\"args\":[]}}'")


CALL = ("curl -s http://127.0.0.1:%d/json/2/product.product/search_read "
        "-H 'Authorization: Bearer %s' -H 'Content-Type: application/json' "
        "-d '{\"domain\":[],\"fields\":[\"name\"],\"limit\":5}'")


HOOK = ("curl -si 'http://127.0.0.1:%d/hooks/orders?partner=acme' "
        "-H 'webhook-id: %s' -H 'webhook-timestamp: %d' "
        "-H 'webhook-signature: v1,%s' -H 'Content-Type: application/json' "
        "-d '%s'")


def signed_delivery(port, secret):
    """a curl line delivering an event as acme's shop would, signed per
    Standard Webhooks 1.0 with acme's secret"""
    event_id = "msg_" + uuid.uuid4().hex
    ts = int(time.time())
    body = '{"type":"order.created","data":{"order":"SO-1042"}}'
    key = base64.b64decode(secret[len("whsec_"):])
    mac = hmac.new(key, ("%s.%d.%s" % (event_id, ts, body)).encode(),
                   hashlib.sha256).digest()
    return HOOK % (port, event_id, ts, base64.b64encode(mac).decode(), body)


def private_file(path, data):
    """written whole, readable by its owner only (nginx -t refuses more)"""
    fd = os.open(path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(data)
    os.chmod(path + ".tmp", 0o600)
    os.rename(path + ".tmp", path)


def wait_port(port, proc, what):
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("demo: %s exited (%s)" % (what, proc.returncode))
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("demo: %s does not listen on %d" % (what, port))


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--module", default=os.path.join(
        ROOT, "build", "ngx_http_govern_module.so"))
    ap.add_argument("--prefix", default=os.path.join(ROOT, "build"))
    ap.add_argument("--port", type=int, default=8080)
    ap.add_argument("--odoo-port", type=int, default=8069)
    ap.add_argument("--redis-port", type=int, default=6379)
    opts = ap.parse_args()

    demo = os.path.join(opts.prefix, "demo")
    os.makedirs(demo, exist_ok=True)
    module = os.path.join(opts.prefix, "ngx_http_govern_module.so")
    if os.path.abspath(opts.module) != os.path.abspath(module):
        if os.path.lexists(module):
            os.remove(module)
        os.symlink(os.path.abspath(opts.module), module)

    with open(os.path.join(ROOT, "config", "demo.conf")) as f:
        conf = f.read()
    conf = conf.replace("127.0.0.1:8080", "127.0.0.1:%d" % opts.port)
    conf = conf.replace("127.0.0.1:8069", "127.0.0.1:%d" % opts.odoo_port)
    conf = conf.replace("127.0.0.1:6379", "127.0.0.1:%d" % opts.redis_port)
    if os.geteuid() == 0:
        conf = conf.replace("worker_processes", "user root root;\n"
                            "worker_processes", 1)
    schemas = os.path.join(demo, "schemas")
    if os.path.lexists(schemas):
        os.remove(schemas)
    os.symlink(os.path.join(ROOT, "config", "schemas"), schemas)

    with open(os.path.join(ROOT, "config", "odoo-credentials.json")) as f:
        private_file(os.path.join(demo, "odoo-credentials.json"), f.read())

    # acme's webhook secret, new on every start
    secret = "whsec_" + base64.b64encode(os.urandom(24)).decode()
    private_file(os.path.join(demo, "webhook-secrets.json"),
                 '{"acme": ["%s"]}\n' % secret)

    keys = os.path.join(demo, "keys")
    mint = [sys.executable, os.path.join(ROOT, "scripts", "mint_token.py")]
    subprocess.run(mint + ["--init", keys], check=True)
    token = subprocess.run(
        mint + ["--key", os.path.join(keys, "private.pem"), "--sub", "acme",
                "--scope", "odoo:rpc catalog:read orders:write"],
        check=True, capture_output=True, text=True).stdout.strip()

    conf_path = os.path.join(demo, "nginx.conf")
    with open(conf_path, "w") as f:
        f.write(conf)

    procs = []
    stop_signal = {}

    def stop(*_):
        # nginx quits gracefully (SIGQUIT) so its audit buffer is flushed
        for p in reversed(procs):
            if p.poll() is None:
                p.send_signal(stop_signal.get(p, signal.SIGTERM))
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    redis = subprocess.Popen(
        ["redis-server", "--port", str(opts.redis_port), "--bind",
         "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", demo],
        stdout=subprocess.DEVNULL)
    procs.append(redis)
    odoo = subprocess.Popen(
        [sys.executable, os.path.join(ROOT, "scripts", "fake_odoo.py"),
         "--listen", "127.0.0.1:%d" % opts.odoo_port, "--credentials",
         os.path.join(ROOT, "config", "odoo-credentials.json")])
    procs.append(odoo)
    wait_port(opts.redis_port, redis, "redis-server")
    wait_port(opts.odoo_port, odoo, "fake Odoo")

    nginx = ["/usr/sbin/nginx", "-p", opts.prefix + "/", "-c", conf_path,
             "-e", os.path.join(demo, "error.log")]
    test = subprocess.run(nginx + ["-t"], capture_output=True, text=True)
    if test.returncode != 0:
        sys.stderr.write(test.stderr)
        stop()
    gateway = subprocess.Popen(nginx)
    procs.append(gateway)
    stop_signal[gateway] = signal.SIGQUIT
    wait_port(opts.port, gateway, "gateway")

    print("govern demo: gateway http://127.0.0.1:%d -> fake Odoo "
          "http://127.0.0.1:%d, redis 127.0.0.1:%d"
          % (opts.port, opts.odoo_port, opts.redis_port))
    print("audit records: %s" % os.path.join(demo, "audit.log"))
    print("counters for Prometheus: curl http://127.0.0.1:%d/metrics"
          % opts.port)
    print("a token for partner acme (scopes odoo:rpc catalog:read "
          "orders:write, valid 1 h; mint others with scripts/mint_token.py "
          "--key %s/private.pem)" % keys)
    print("try:\n  " + CURL % (opts.port, token))
    print("an Odoo call: the gateway puts acme's Odoo db, uid and key in:\n  "
          + CALL % (opts.port, token))
    print("a delivery signed with acme's webhook secret (%s/"
          "webhook-secrets.json; valid 5 minutes): sent again, it is "
          "answered 200 without reaching Odoo:\n  %s"
          % (demo, signed_delivery(opts.port, secret)))
    print("Ctrl-C stops everything.", flush=True)

    while all(p.poll() is None for p in procs):
        time.sleep(0.5)
    stop()


if __name__ == "__main__":
    main()
