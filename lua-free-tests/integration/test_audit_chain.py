"""The tamper-evident audit trail (DESIGN section 6.1): hash-chained
records and signed checkpoints across workers, reloads, reopen, rotation,
restarts and a binary upgrade; the verifier on tampered copies; a full
disk (a small tmpfs) with no torn line, a gap record and on_error=refuse."""

import concurrent.futures
import glob
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import time

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

import auditchain
import harness


CHAINED = """
    govern_audit_key @KEY@ every=@EVERY@;

    server {
        listen 127.0.0.1:@UP@;
        location / { return 200 '{"ok":true}'; }
    }

    server {
        listen 127.0.0.1:@PORT@;
        @JWT@
        govern_audit @AUDIT@;

        location /api/ {
            govern on;
            govern_route orders;
            proxy_pass http://127.0.0.1:@UP@;
        }

        location = /metrics {
            govern_metrics;
        }
    }
"""

PLAIN = CHAINED.replace("govern_audit_key @KEY@ every=@EVERY@;", "")


def chained_conf(audit, key, every=1000, plain=False):
    return (PLAIN if plain else CHAINED).replace("@AUDIT@", audit) \
        .replace("@KEY@", key).replace("@EVERY@", str(every))


def lines_of(path):
    with open(path, "rb") as f:
        data = f.read()
    assert data == b"" or data.endswith(b"\n"), "torn line in " + path
    return data.split(b"\n")[:-1]


def records(path):
    return [json.loads(line) for line in lines_of(path)]


class Load:
    """Governed requests over keep-alive connections from a thread pool."""

    def __init__(self, port, token, threads=16):
        self.port = port
        self.token = token
        self.pool = concurrent.futures.ThreadPoolExecutor(threads)
        self.conns = {}

    def call(self, rid):
        import threading
        me = threading.get_ident()
        for attempt in range(3):
            conn = self.conns.get(me)
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", self.port,
                                                  timeout=30)
                self.conns[me] = conn
            try:
                conn.request("GET", "/api/orders",
                             headers={"Authorization": "Bearer " + self.token,
                                      "X-Request-Id": rid})
                resp = conn.getresponse()
                resp.read()
                if resp.getheader("Connection", "").lower() == "close":
                    conn.close()
                    del self.conns[me]
                return resp.status
            except (http.client.HTTPException, OSError):
                # a worker that exits on reload closes idle keep-alives
                conn.close()
                del self.conns[me]
        raise RuntimeError("request %s failed three times" % rid)

    def submit(self, rids):
        return [self.pool.submit(self.call, rid) for rid in rids]

    def close(self):
        self.pool.shutdown()
        for conn in self.conns.values():
            conn.close()


def wait_for(predicate, timeout=10.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise TimeoutError(what)


# -- 5,000 requests, two workers, two reloads, a reopen and a rotation ------

TOTAL = 5000


@pytest.fixture(scope="module")
def chain_run(tmp_path_factory, keys):
    """The gateway's chain as written through everything that moves files
    and processes; returns (directory, public key, files in order)."""
    d = str(tmp_path_factory.mktemp("chain"))
    private, public = auditchain.keypair(d)
    prefix = os.path.join(d, "nginx")
    audit = os.path.join(prefix, "audit.log")
    gw = harness.Nginx(prefix, chained_conf(audit, private, every=500),
                       odoo_port=1, workers=2,
                       extra={"JWT": keys.conf(), "UP": harness.free_port()})
    started = time.monotonic()
    gw.start()
    load = Load(gw.port, keys.token("RS256", scope="orders:read"))
    try:
        futures = load.submit(["chain-%d" % i for i in range(TOTAL)])

        def after(n):
            wait_for(lambda: sum(f.done() for f in futures) >= n, 60,
                     "%d requests" % n)

        after(1000)
        gw.reload()
        after(2000)
        gw.ctl("reopen")                        # the same file, reopened
        after(3000)
        os.rename(audit, audit + ".1")          # logrotate's way
        gw.ctl("reopen")
        after(4000)
        gw.reload()
        statuses = [f.result() for f in futures]
    finally:
        load.close()
        gw.stop()

    bad = harness.bad_log_lines(gw.error_log())
    assert not bad, bad
    assert statuses == [200] * TOTAL
    # bounded: the whole run, two workers, well under a minute
    assert time.monotonic() - started < 60
    return d, public, [audit + ".1", audit]


def test_chain_verifies_across_reloads_reopen_and_rotation(chain_run):
    d, public, files = chain_run
    rc, out = auditchain.verify(public, *files)
    assert rc == 0, "\n".join(out)
    assert out[0].endswith(":1: start: the chain starts here")
    assert "intact: " in out[-1] and "(%d requests" % TOTAL in out[-1]

    recs = records(files[0]) + records(files[1])
    rids = [r["request_id"] for r in recs if "request_id" in r]
    assert sorted(rids) == sorted("chain-%d" % i for i in range(TOTAL))
    assert [r["seq"] for r in recs] == list(range(1, len(recs) + 1))

    reasons = [r["reason"] for r in recs if r.get("kind") == "checkpoint"]
    assert reasons[0] == "start"
    assert "every" in reasons
    # never more than every=500 records between two checkpoints
    marks = [n for n, r in enumerate(recs) if r.get("kind") == "checkpoint"]
    assert max(b - a - 1 for a, b in zip(marks, marks[1:])) <= 500
    assert "exit" in reasons                # workers that left on reload
    # the rotated file's successor starts with a checkpoint that links it
    first = records(files[1])[0]
    assert first["kind"] == "checkpoint" and first["reason"] == "file"
    assert first["prev"] == records(files[0])[-1]["chain"]
    assert first["seq"] == records(files[0])[-1]["seq"] + 1
    # sealed: the last record is a checkpoint
    assert recs[-1]["kind"] == "checkpoint"


def tampered(chain_run, tmp_path, change):
    """Copies of the files, one changed by change(name, lines) -> lines."""
    d, public, files = chain_run
    copies = []
    for path in files:
        name = os.path.basename(path)
        lines = lines_of(path)
        changed = change(name, lines)
        copy = str(tmp_path / name)
        with open(copy, "wb") as f:
            if isinstance(changed, bytes):
                f.write(changed)
            else:
                f.write(b"".join(line + b"\n" for line in changed))
        copies.append(copy)
    return auditchain.verify(public, *copies)


def middle_request(lines):
    """0-based index of a request record in the middle, followed by
    another request record."""
    i = len(lines) // 2
    while b'"kind":' in lines[i] or b'"kind":' in lines[i + 1]:
        i += 1
    return i


def next_checkpoint(lines, i):
    while b'"kind":"checkpoint"' not in lines[i]:
        i += 1
    return i


def flip(name, lines):
    if name != "audit.log.1":
        return lines
    i = middle_request(lines)
    at = lines[i].index(b'"path":"') + 9
    lines[i] = lines[i][:at] + bytes([lines[i][at] ^ 0x20]) \
        + lines[i][at + 1:]
    return lines


def delete(name, lines):
    if name != "audit.log.1":
        return lines
    i = middle_request(lines)
    return lines[:i] + lines[i + 1:]


def swap(name, lines):
    if name != "audit.log.1":
        return lines
    i = middle_request(lines)
    lines[i], lines[i + 1] = lines[i + 1], lines[i]
    return lines


def forge(name, lines):
    """A record of a partner that never called, inserted with every chain
    value and sequence number after it recomputed: what someone with the
    file and without the key can do."""
    if name != "audit.log.1":
        return lines
    i = middle_request(lines)
    fake = json.loads(lines[i])             # takes this record's seq
    fake["partner"] = fake["sub"] = "mallory"
    fake["request_id"] = "forged"
    body = json.dumps(fake, separators=(",", ":")).encode()
    prev = bytes.fromhex(json.loads(lines[i - 1])["chain"])
    forged = auditchain.rechain([body], prev)[0]
    rest = auditchain.rechain(lines[i:],
                              bytes.fromhex(json.loads(forged)["chain"]),
                              renumber=1)
    return lines[:i] + [forged] + rest


def cut_middle(name, lines):
    if name != "audit.log.1":
        return lines
    i = middle_request(lines)
    data = b"".join(line + b"\n" for line in lines[:i]) + lines[i][:200]
    return data


def cut_tail_torn(name, lines):
    if name != "audit.log":
        return lines
    return b"".join(line + b"\n" for line in lines[:-1]) + lines[-1][:100]


def cut_tail_sealed(name, lines):
    if name != "audit.log":
        return lines
    return lines[:-1]                       # the final checkpoint


def test_flipped_byte_is_an_edit(chain_run, tmp_path):
    i = middle_request(lines_of(chain_run[2][0]))
    rc, out = tampered(chain_run, tmp_path, flip)
    assert rc == 1
    assert auditchain.problems(out)[0] == ("audit.log.1", i + 1, "edited")
    assert len(auditchain.problems(out)) == 1, out


def test_deleted_line_is_missing(chain_run, tmp_path):
    i = middle_request(lines_of(chain_run[2][0]))
    rc, out = tampered(chain_run, tmp_path, delete)
    assert rc == 1
    assert auditchain.problems(out)[0] == ("audit.log.1", i + 1, "missing")
    assert "1 record (seq" in [l for l in out if ": missing: " in l][0]


def test_swapped_lines_are_reordered(chain_run, tmp_path):
    i = middle_request(lines_of(chain_run[2][0]))
    rc, out = tampered(chain_run, tmp_path, swap)
    assert rc == 1
    assert auditchain.problems(out) == [("audit.log.1", i + 1, "reordered")]


def test_forged_insert_with_recomputed_chain_fails_the_signature(
        chain_run, tmp_path):
    lines = lines_of(chain_run[2][0])
    i = middle_request(lines)
    checkpoint = next_checkpoint(lines, i)
    rc, out = tampered(chain_run, tmp_path, forge)
    assert rc == 1
    # the chain itself holds: only the next checkpoint, one line further
    # down now, tells
    assert auditchain.problems(out)[0] == \
        ("audit.log.1", checkpoint + 2, "signature")


def test_truncated_in_the_middle_is_torn_and_missing(chain_run, tmp_path):
    i = middle_request(lines_of(chain_run[2][0]))
    rc, out = tampered(chain_run, tmp_path, cut_middle)
    assert rc == 1
    found = auditchain.problems(out)
    assert found[0] == ("audit.log.1", i + 1, "torn")
    assert found[1] == ("audit.log", 1, "missing")


def test_truncated_tail(chain_run, tmp_path):
    last = len(lines_of(chain_run[2][1]))
    rc, out = tampered(chain_run, tmp_path, cut_tail_torn)
    assert rc == 1
    assert auditchain.problems(out) == [("audit.log", last, "torn")]

    # cut at a line's end after the last checkpoint: nothing proves it
    # was, but nothing is sealed either, and the verifier says from where
    lines = lines_of(chain_run[2][1])
    sealed = max(n for n, line in enumerate(lines[:-1])
                 if b'"kind":"checkpoint"' in line)
    rc, out = tampered(chain_run, tmp_path, cut_tail_sealed)
    assert rc == 3, out
    assert auditchain.problems(out) == []
    assert out[-2].startswith("%s:%d: unsealed: "
                              % (str(tmp_path / "audit.log"), sealed + 2))


# -- restarts, a lost head, a rotation while stopped, a binary upgrade -------

def governed(gw, token, n, prefix="r"):
    load = Load(gw.port, token, threads=4)
    try:
        statuses = [f.result() for f in load.submit(
            ["%s-%d" % (prefix, i) for i in range(n)])]
    finally:
        load.close()
    assert statuses == [200] * n


def test_chain_survives_restarts_a_lost_head_and_rotation_while_stopped(
        nginx, keys, tmp_path):
    private, public = auditchain.keypair(str(tmp_path))
    prefix = str(tmp_path / "gw")
    audit = os.path.join(prefix, "audit.log")
    gw = nginx(chained_conf(audit, private, every=7), name="gw",
               extra={"UP": harness.free_port()})
    token = keys.token("RS256", scope="orders:read")

    governed(gw, token, 10, "a")
    gw.stop()
    gw.start()                                  # a new master: same chain
    governed(gw, token, 10, "b")
    gw.stop()
    os.rename(audit, audit + ".1")              # rotated while stopped
    gw.start()
    governed(gw, token, 10, "c")
    gw.stop()
    (head,) = glob.glob(audit + ".*.head")
    os.unlink(head)                             # the head lost
    gw.start()
    governed(gw, token, 10, "d")
    gw.stop()

    assert "no head for this key" in gw.error_log()
    rc, out = auditchain.verify(public, audit + ".1", audit)
    assert rc == 0, "\n".join(out)
    assert "(40 requests" in out[-1]
    starts = [r for r in records(audit + ".1") + records(audit)
              if r.get("reason") == "start"]
    assert len(starts) == 4
    assert starts[0]["prev"] is None and starts[0]["seq"] == 1
    assert all(s["prev"] for s in starts[1:])


def test_checkpoint_by_time_seals_a_live_file(nginx, keys, tmp_path):
    private, public = auditchain.keypair(str(tmp_path))
    audit = str(tmp_path / "gw" / "audit.log")
    gw = nginx(chained_conf(audit + " buffer=0", private, every="300ms"),
               name="gw", extra={"UP": harness.free_port()})
    governed(gw, keys.token("RS256", scope="orders:read"), 3)

    # no more traffic: the timer seals the three records
    wait_for(lambda: records(audit)[-1].get("reason") == "every", 5,
             "a checkpoint by time")
    rc, out = auditchain.verify(public, audit)
    assert rc == 0, "\n".join(out)
    assert "(3 requests" in out[-1]


def test_key_changed_with_a_rotation(nginx, keys, tmp_path):
    """A new key in the reload that follows a rotation: the old file ends
    sealed under the old key, the new one starts a chain under the new."""
    old_private, old_public = auditchain.keypair(str(tmp_path / "old"))
    new_private, new_public = auditchain.keypair(str(tmp_path / "new"))
    prefix = str(tmp_path / "gw")
    audit = os.path.join(prefix, "audit.log")
    gw = nginx(chained_conf(audit, old_private), name="gw", workers=2,
               extra={"UP": harness.free_port()})
    token = keys.token("RS256", scope="orders:read")

    governed(gw, token, 50, "old")
    os.rename(audit, audit + ".1")
    gw.write(chained_conf(audit, new_private))
    gw.reload()
    wait_for(lambda: os.path.exists(audit), 10, "the new file")
    time.sleep(0.5)                         # the old workers are gone
    governed(gw, token, 50, "new")
    gw.stop()

    rc, out = auditchain.verify(old_public, audit + ".1")
    assert rc == 0, "\n".join(out)
    assert "(50 requests" in out[-1]
    rc, out = auditchain.verify(new_public, audit)
    assert rc == 0, "\n".join(out)
    assert "(50 requests" in out[-1]
    assert out[0].endswith(":1: start: the chain starts here")
    assert len(glob.glob(audit + ".*.head")) == 2


def running(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_chain_across_a_binary_upgrade(nginx, keys, tmp_path):
    """USR2: a second master runs beside the first and both write the same
    file; then the old one quits.  nginx changes binary only as a daemon
    (a master whose parent is still the one that started it ignores
    USR2), so this gateway runs as one."""
    private, public = auditchain.keypair(str(tmp_path))
    prefix = str(tmp_path / "gw")
    audit = os.path.join(prefix, "audit.log")
    pid_file = os.path.join(prefix, "nginx.pid")
    gw = nginx(chained_conf(audit, private, every=50), name="gw", workers=2,
               extra={"UP": harness.free_port()}, start=False)
    with open(gw.conf) as f:
        conf = f.read()
    # nginx passes the new binary only the variables "env" names
    daemon = "daemon on;\nenv LD_PRELOAD;\nenv ASAN_OPTIONS;" \
        if harness.SANITIZE else "daemon on;"
    with open(gw.conf, "w") as f:
        f.write(conf.replace("daemon off;", daemon))
    env = harness.sanitizer_env(prefix)
    token = keys.token("RS256", scope="orders:read")
    old = new = None
    try:
        subprocess.run(gw.cmd(), check=True, timeout=30, env=env)
        harness.wait_port(gw.port)
        old = int(open(pid_file).read())
        governed(gw, token, 200, "before")

        os.kill(old, signal.SIGUSR2)
        wait_for(lambda: os.path.exists(pid_file + ".oldbin")
                 and os.path.exists(pid_file)
                 and open(pid_file).read().strip() != "", 10, "a new master")
        new = int(open(pid_file).read())
        assert new != old
        time.sleep(0.5)                         # its workers listen too
        governed(gw, token, 400, "both")        # either master's workers

        os.kill(old, signal.SIGQUIT)
        wait_for(lambda: not running(old), 20, "the old master to exit")
        old = None
        governed(gw, token, 200, "after")
    finally:
        for pid in (old, new):
            if pid:
                os.kill(pid, signal.SIGQUIT)
                wait_for(lambda: not running(pid), 20, "nginx to exit")

    rc, out = auditchain.verify(public, audit)
    assert rc == 0, "\n".join(out)
    assert "(800 requests" in out[-1]
    starts = [r for r in records(audit) if r.get("reason") == "start"]
    assert len(starts) == 2


# -- a full disk --------------------------------------------------------------

@pytest.fixture
def small_disk(tmp_path):
    """A 256 KB tmpfs, unmounted after the test."""
    mnt = tmp_path / "small"
    mnt.mkdir()
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,mode=0755",
                        "tmpfs", str(mnt)], capture_output=True, text=True)
    if p.returncode != 0:
        pytest.skip("cannot mount a tmpfs here: " + p.stderr.strip())
    yield str(mnt)
    subprocess.run(["umount", "-l", str(mnt)], check=True)


def fill(directory):
    """Fills the file system; returns the filler's path."""
    path = os.path.join(directory, "filler")
    with open(path, "wb", buffering=0) as f:
        while True:
            try:
                f.write(b"x" * 4096)
            except OSError:
                break
        # and what a smaller write still finds
        for size in (1024, 256, 64, 16, 1):
            while True:
                try:
                    f.write(b"x" * size)
                except OSError:
                    break
    return path


def metric(gw, name):
    text = requests.get(gw.url("/metrics"), timeout=5).text
    m = re.search(r"^%s (\d+)$" % re.escape(name), text, re.M)
    assert m, text
    return int(m.group(1))


@pytest.mark.parametrize("plain", [False, True], ids=["chained", "plain"])
def test_disk_full(nginx, keys, tmp_path, small_disk, plain):
    private, public = auditchain.keypair(str(tmp_path))
    audit = os.path.join(small_disk, "audit.log")
    gw = nginx(chained_conf(audit + " buffer=0 on_error=refuse", private,
                            every=5, plain=plain),
               name="gw", extra={"UP": harness.free_port()})
    token = {"Authorization": "Bearer " + keys.token("RS256",
                                                     scope="orders:read")}
    try:
        for _ in range(3):
            assert requests.get(gw.url("/api/x"), headers=token,
                                timeout=5).status_code == 200

        filler = fill(small_disk)

        # records that still fit the file's last page go in; then writing
        # fails, and from the next request on, governed requests are refused
        for n in range(100):
            r = requests.get(gw.url("/api/x"), headers=token, timeout=5)
            if r.status_code != 200:
                break
        assert r.status_code == 503, r.text
        assert r.json()["reason"] == "audit_unavailable"
        assert r.headers["Retry-After"] == "1"
        for _ in range(5):
            assert requests.get(gw.url("/api/x"), headers=token,
                                timeout=5).status_code == 503

        # never a torn line, even while full
        written = lines_of(audit)
        for line in written:
            json.loads(line)
        lost = metric(gw, 'govern_audit_records_total{result="lost"}')
        assert lost >= 6
        assert metric(gw, "govern_audit_write_failures_total") >= 6

        os.unlink(filler)

        # the next write declares the loss; requests are served again
        wait_for(lambda: requests.get(gw.url("/api/x"), headers=token,
                                      timeout=5).status_code == 200,
                 10, "writing again")
        recs = records(audit)
        gaps = [r for r in recs if r.get("kind") == "gap"]
        assert len(gaps) == 1
        lost = metric(gw, 'govern_audit_records_total{result="lost"}')
        assert gaps[0]["lost"] == lost
        assert gaps[0]["since"] <= gaps[0]["ts"]
        assert "is written again" in gw.error_log()
        assert "writing to govern audit" in gw.error_log() \
            or "was incomplete" in gw.error_log()
    finally:
        gw.stop()

    if not plain:
        rc, out = auditchain.verify(public, audit)
        assert rc == 0, "\n".join(out)
        assert ": gap: %d records lost" % lost in "\n".join(out)


# -- what else holds ----------------------------------------------------------

def test_syslog_gets_plain_records(nginx, keys, tmp_path):
    private, public = auditchain.keypair(str(tmp_path))
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.bind(("127.0.0.1", 0))
    sink.settimeout(5)
    try:
        gw = nginx(chained_conf("syslog:server=127.0.0.1:%d,tag=govern"
                                % sink.getsockname()[1], private),
                   extra={"UP": harness.free_port()})
        r = requests.get(gw.url("/api/x"), timeout=5, headers={
            "Authorization": "Bearer " + keys.token("RS256",
                                                    scope="orders:read")})
        assert r.status_code == 200
        msg = sink.recv(65536).decode()
    finally:
        sink.close()
    rec = json.loads(msg[msg.index("{"):])
    assert rec["request_id"] == r.headers["X-Request-Id"]
    assert "seq" not in rec and "chain" not in rec


def rsa_key(path):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))


@pytest.mark.parametrize("case", ["rsa", "readable", "zero", "soon",
                                  "on_error", "server"])
def test_nginx_t_refuses_bad_audit_config(nginx, tmp_path, case):
    private, _ = auditchain.keypair(str(tmp_path))
    key = private
    directive = "govern_audit_key @KEY@ every=@EVERY@;"
    audit = "@PREFIX@/audit.log"
    every = 1000
    if case == "rsa":
        key = str(tmp_path / "rsa.pem")
        rsa_key(key)
        message = 'govern_audit_key "%s" is not an Ed25519 private key' % key
    elif case == "readable":
        os.chmod(private, 0o644)
        message = "is accessible by group or others"
    elif case == "zero":
        every = 0
        message = 'invalid checkpoint interval "0"'
    elif case == "soon":
        every = "soon"
        message = 'invalid checkpoint interval "soon"'
    elif case == "on_error":
        audit += " on_error=maybe"
        message = 'invalid parameter "on_error=maybe"'
    else:
        message = '"govern_audit_key" directive is not allowed here'
    conf = CHAINED
    if case == "server":
        conf = conf.replace(directive, "").replace(
            "govern_audit @AUDIT@;", "govern_audit @AUDIT@;\n        "
            + directive)
    gw = nginx(conf.replace("@AUDIT@", audit).replace("@KEY@", key)
               .replace("@EVERY@", str(every)), start=False,
               extra={"UP": harness.free_port()})
    rc, out = gw.test_config()
    assert rc != 0
    line = [l for l in out.splitlines() if "[emerg]" in l]
    assert line and message in line[0], out
    assert "in %s:" % gw.conf in line[0]
    gw.expect_bad_log = True
    # nginx -t leaves no head behind
    assert glob.glob(os.path.join(gw.prefix, "*.head")) == []
