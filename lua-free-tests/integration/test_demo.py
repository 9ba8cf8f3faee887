"""`make run` and config/gateway.conf work as the README says."""

import json
import os
import re
import shlex
import signal
import subprocess
import time

import harness


def test_demo_curl_reaches_fake_odoo_and_is_audited(tmp_path):
    ports = [harness.free_port() for _ in range(3)]
    demo = subprocess.Popen(
        [harness.PYTHON, os.path.join(harness.ROOT, "scripts", "demo.py"),
         "--module", harness.MODULE, "--prefix", str(tmp_path),
         "--port", str(ports[0]), "--odoo-port", str(ports[1]),
         "--redis-port", str(ports[2])],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env=harness.sanitizer_env(str(tmp_path)))
    try:
        lines = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            line = demo.stdout.readline()
            lines.append(line)
            if line.startswith("Ctrl-C"):
                break
        else:
            raise AssertionError("no Ctrl-C line:\n" + "".join(lines))
        curls = [shlex.split(x.strip()) for x in lines
                 if x.startswith("  curl ")]
        assert len(curls) == 3, lines

        def run(argv):
            out = subprocess.run(argv, capture_output=True, text=True,
                                 timeout=10).stdout
            return int(out.split()[1]), out

        status, out = run(curls[0])
        assert status == 200
        assert '"server_version": "19.0"' in out
        rid = re.search(r"(?im)^X-Request-Id: (\S+)", out).group(1)

        # the signed delivery: to Odoo once, then answered by the gateway
        hook = curls[2]
        assert run(hook)[0] == 200
        status, out = run(hook)
        assert status == 200 and '"status":"duplicate"' in out
        body = hook.index("-d") + 1
        hook[body] = hook[body].replace("SO-1042", "SO-1043")
        status, out = run(hook)
        assert status == 403 and "webhook_signature" in out
    finally:
        demo.send_signal(signal.SIGINT)
        demo.wait(20)

    audit = tmp_path / "demo" / "audit.log"
    # each of the demo's two workers writes its own records
    records = {r["reason"] or r["route"]: r for r in (
        json.loads(x) for x in audit.read_text().splitlines())}
    assert sorted(records) == ["odoo-jsonrpc", "webhook_duplicate",
                               "webhook_signature", "webhooks-orders"]
    assert records["odoo-jsonrpc"]["request_id"] == rid
    assert records["webhooks-orders"]["partner"] == "acme"
    assert records["webhook_duplicate"]["partner"] == "acme"
    assert records["webhook_signature"]["decision"] == "deny"
    log = (tmp_path / "demo" / "error.log").read_text()
    assert harness.bad_log_lines(log) == []


def nginx_t(tmp_path, keys, name, rewrite=()):
    """nginx -t of a shipped nginx.conf, its paths pointed at files made
    here (and the container's service names at loopback)"""
    with open(os.path.join(harness.ROOT, name)) as f:
        conf = f.read()
    conf = conf.replace("/usr/lib/nginx/modules/ngx_http_govern_module.so",
                        harness.MODULE)
    conf = re.sub(r"/var/log/govern/", str(tmp_path) + "/", conf)
    conf = conf.replace("/run/govern.pid", str(tmp_path / "nginx.pid"))
    conf = conf.replace("/etc/govern/tls/", str(tmp_path) + "/")
    conf = conf.replace("/etc/govern/jwks.json", keys.jwks_path)
    creds = tmp_path / "odoo-credentials.json"
    creds.write_text('{"acme": {"db": "retail", "uid": 7, "api_key": "%s"}}'
                     % ("ab" * 20))
    creds.chmod(0o600)
    conf = conf.replace("/etc/govern/odoo-credentials.json", str(creds))
    for name, secret in (("stripe.json", "whsec_" + "5a" * 16),
                         ("outbound.json", "whsec_" + "A" * 32),
                         ("webhook-secrets.json", "whsec_" + "B" * 32)):
        path = tmp_path / name
        path.write_text('{"acme": ["%s"]}' % secret)
        path.chmod(0o600)
    conf = conf.replace("/etc/govern/webhooks/", str(tmp_path) + "/")
    conf = conf.replace("/etc/govern/webhook-secrets.json",
                        str(tmp_path / "webhook-secrets.json"))
    conf = conf.replace("/etc/govern/schemas/",
                        os.path.join(harness.ROOT, "config", "schemas") + "/")
    for old, new in rewrite:
        assert old in conf, old
        conf = conf.replace(old, new)
    path = tmp_path / "nginx.conf"
    path.write_text(conf)
    p = subprocess.run([harness.NGINX, "-t", "-p", str(tmp_path) + "/",
                        "-c", str(path), "-e", str(tmp_path / "err.log")],
                       capture_output=True, text=True,
                       env=harness.sanitizer_env(str(tmp_path)))
    assert p.returncode == 0, p.stderr


def test_gateway_conf_passes_nginx_t(tmp_path, keys):
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec",
                    "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-subj", "/CN=api.retail.example", "-days", "1",
                    "-keyout", str(tmp_path / "api.key"),
                    "-out", str(tmp_path / "api.crt")],
                   check=True, capture_output=True)
    nginx_t(tmp_path, keys, "config/gateway.conf")


def test_container_conf_passes_nginx_t(tmp_path, keys):
    """the image's nginx.conf (docker/gateway.conf) keeps up with the
    directives; make docker-smoke runs it, where a Docker engine is.
    nginx resolves an upstream's name while it reads the configuration,
    so compose's "odoo" is pointed at loopback; govern_redis's "redis"
    stays a name: the resolver looks it up at run time."""
    nginx_t(tmp_path, keys, "docker/gateway.conf",
            rewrite=(("server odoo:8069;", "server 127.0.0.1:8069;"),))
