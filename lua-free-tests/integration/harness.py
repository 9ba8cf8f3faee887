"""Test harness: the stock nginx binary loading the built module, the fake
Odoo upstream and a real redis-server, each in a temporary prefix on
loopback ports."""

import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
NGINX = os.environ.get("GOVERN_NGINX", "/usr/sbin/nginx")
MODULE = os.environ.get("GOVERN_MODULE",
                        os.path.join(ROOT, "build",
                                     "ngx_http_govern_module.so"))
SANITIZE = os.environ.get("GOVERN_SANITIZE", "")
PYTHON = "/usr/bin/python3"

# lines that fail a test wherever they appear in an error log
BAD_LOG_LINE = re.compile(
    r"\[(alert|crit|emerg)\]|AddressSanitizer|LeakSanitizer|"
    r"runtime error:|exited on signal")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=10.0, proc=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError("process exited with %s" % proc.returncode)
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.02)
    raise TimeoutError("nothing listens on port %d" % port)


def bad_log_lines(text):
    """The error-log guard: lines that must never appear."""
    return [line for line in text.splitlines() if BAD_LOG_LINE.search(line)]


def sanitizer_env(prefix):
    env = dict(os.environ)
    if SANITIZE == "address":
        lib = subprocess.check_output(
            ["gcc", "-print-file-name=libasan.so"], text=True).strip()
        env["LD_PRELOAD"] = lib
        # nginx frees its cycle pools only at exit; leaks are the unit
        # tests' job, memory errors are this run's
        env["ASAN_OPTIONS"] = ("detect_leaks=0:abort_on_error=0:"
                               "log_path=%s/asan" % prefix)
    return env


class FakeOdoo:
    """scripts/fake_odoo.py in a subprocess."""

    def __init__(self, workdir, version=19, credentials=None):
        self.workdir = workdir
        port_file = os.path.join(workdir, "odoo.port")
        cmd = [PYTHON, os.path.join(ROOT, "scripts", "fake_odoo.py"),
               "--listen", "127.0.0.1:0", "--version", str(version),
               "--port-file", port_file]
        if credentials:
            cmd += ["--credentials", credentials]
        self.log = open(os.path.join(workdir, "odoo.log"), "w")
        self.proc = subprocess.Popen(cmd, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while not os.path.exists(port_file):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("fake Odoo did not start")
            time.sleep(0.02)
        with open(port_file) as f:
            self.port = int(f.read())
        wait_port(self.port, proc=self.proc)

    def control(self, path, payload=None):
        url = "http://127.0.0.1:%d/__fake_odoo__/%s" % (self.port, path)
        data = None if payload is None else json.dumps(payload).encode()
        with urllib.request.urlopen(url, data, timeout=10) as r:
            return json.loads(r.read())

    def reset(self):
        self.control("reset", {})

    def requests(self):
        return self.control("requests")

    def calls(self):
        return self.control("calls")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


class Redis:
    """A real redis-server on a loopback port, without persistence; args
    are more of its options (a replica, a cluster node, a sentinel's
    configuration file first).  start() brings it back on the same port."""

    def __init__(self, workdir, port=None, host="127.0.0.1", args=(),
                 conf=None):
        self.workdir = workdir
        self.host = host
        self.port = port or free_port()
        self.conf = conf
        self.args = list(args)
        self.proc = None
        self.start()

    def start(self):
        cmd = ["redis-server"] + ([self.conf] if self.conf else []) + [
            "--port", str(self.port), "--bind", self.host, "--save", "",
            "--appendonly", "no", "--dir", self.workdir] + self.args
        self.log = open(os.path.join(self.workdir, "redis-%d.log"
                                     % self.port), "a")
        self.proc = subprocess.Popen(cmd, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("redis-server exited with %s"
                                   % self.proc.returncode)
            try:
                socket.create_connection((self.host, self.port), 0.2).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise TimeoutError("redis-server on %d" % self.port)
                time.sleep(0.02)

    def stop(self, sig=signal.SIGTERM):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(10)
        if self.proc is not None:
            self.log.close()

    def kill(self):
        self.stop(signal.SIGKILL)


class Nginx:
    """One nginx instance: generated nginx.conf in its own prefix."""

    TEMPLATE = """
load_module @MODULE@;
@USER@
daemon off;
master_process on;
worker_processes @WORKERS@;
error_log @PREFIX@/error.log @LOGLEVEL@;
pid @PREFIX@/nginx.pid;

events {
    worker_connections @CONNECTIONS@;
}

http {
    access_log off;
    client_body_temp_path @PREFIX@/client_body;
    proxy_temp_path @PREFIX@/proxy;
    fastcgi_temp_path @PREFIX@/fastcgi;
    uwsgi_temp_path @PREFIX@/uwsgi;
    scgi_temp_path @PREFIX@/scgi;

    upstream odoo {
        server 127.0.0.1:@ODOO@;
        keepalive 16;
    }

@HTTP@
}
"""

    def __init__(self, prefix, http, odoo_port=0, workers=1,
                 connections=1024, loglevel="info", extra=None):
        self.prefix = prefix
        os.makedirs(prefix, exist_ok=True)
        self.port = free_port()
        self.values = {"PORT": self.port, "ODOO": odoo_port,
                       "PREFIX": prefix, "MODULE": MODULE,
                       "WORKERS": workers, "CONNECTIONS": connections,
                       "LOGLEVEL": loglevel,
                       # workers of a root master would run as nobody and
                       # could not reopen files in the private prefix
                       "USER": "user root root;" if os.geteuid() == 0
                       else ""}
        self.values.update(extra or {})
        self.conf = os.path.join(prefix, "nginx.conf")
        self.write(http)
        self.proc = None

    def render(self, text):
        for key, value in self.values.items():
            text = text.replace("@%s@" % key, str(value))
        return text

    def write(self, http):
        text = self.TEMPLATE.replace("@HTTP@", http)
        with open(self.conf, "w") as f:
            f.write(self.render(text))

    def install_credentials(self, mode=0o600):
        """The demo Odoo credentials (config/odoo-credentials.json) as
        odoo-credentials.json in the prefix, owner-only unless mode says
        otherwise (the module refuses a file others may read)."""
        path = os.path.join(self.prefix, "odoo-credentials.json")
        with open(os.path.join(ROOT, "config", "odoo-credentials.json"),
                  "rb") as f:
            data = f.read()
        with open(path, "wb") as f:
            f.write(data)
        os.chmod(path, mode)
        return path

    def cmd(self, *args):
        return [NGINX, "-p", self.prefix + "/", "-c", self.conf,
                "-e", os.path.join(self.prefix, "error.log")] + list(args)

    def test_config(self):
        """nginx -t: (exit status, output)."""
        p = subprocess.run(self.cmd("-t"), capture_output=True, text=True,
                           env=sanitizer_env(self.prefix), timeout=30)
        return p.returncode, p.stderr + p.stdout

    def start(self):
        rc, out = self.test_config()
        if rc != 0:
            raise RuntimeError("nginx -t failed:\n" + out)
        self.stderr = open(os.path.join(self.prefix, "stderr.log"), "w")
        self.proc = subprocess.Popen(self.cmd(), stdout=self.stderr,
                                     stderr=subprocess.STDOUT,
                                     env=sanitizer_env(self.prefix))
        wait_port(self.port, proc=self.proc)
        return self

    def ctl(self, name):
        subprocess.run(self.cmd("-s", name), check=True, timeout=30,
                       capture_output=True, env=sanitizer_env(self.prefix))

    def reload(self):
        self.ctl("reload")

    def worker_pids(self):
        out = subprocess.run(["pgrep", "-P", str(self.proc.pid)],
                             capture_output=True, text=True).stdout
        return {int(p) for p in out.split()}

    def stop(self, sig=signal.SIGQUIT):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(sig)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self.stderr.close()

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def error_log(self):
        text = ""
        for name in ("error.log", "stderr.log"):
            path = os.path.join(self.prefix, name)
            if os.path.exists(path):
                with open(path, errors="replace") as f:
                    text += f.read()
        for name in os.listdir(self.prefix):
            if name.startswith("asan"):
                with open(os.path.join(self.prefix, name),
                          errors="replace") as f:
                    text += f.read()
        return text

    def audit(self, name="audit.log"):
        """The audit records written so far, parsed (each must be JSON).
        A read may overtake a worker's write (the kernel copies a write
        into the file page by page, and a read does not wait for it), so
        an unfinished last line is read again for up to a second before
        it counts as a torn record."""
        path = os.path.join(self.prefix, name)
        if not os.path.exists(path):
            return []
        deadline = time.monotonic() + 1.0
        while True:
            with open(path, "rb") as f:
                data = f.read()
            if data == b"" or data.endswith(b"\n") \
                    or time.monotonic() > deadline:
                break
            time.sleep(0.01)
        assert data == b"" or data.endswith(b"\n"), "torn audit record"
        return [json.loads(line) for line in data.decode().splitlines()]

    def wait_audit(self, count, name="audit.log", timeout=5.0):
        deadline = time.monotonic() + timeout
        while True:
            records = self.audit(name)
            if len(records) >= count or time.monotonic() > deadline:
                return records
            time.sleep(0.02)
