"""Per-partner rate limits through Redis: exactness across gateways, all
or nothing over several limits, tiers, the fallbacks and the breaker when
Redis is slow, down or wrong, and nginx -t messages."""

import concurrent.futures
import os
import queue
import socket
import struct
import subprocess
import threading
import time
from math import nan as NAN

import pytest
import requests

import harness
import tokens
from fake_redis import FakeRedis


def conf(limits, redis="govern_redis 127.0.0.1:@REDIS@;", fallback="",
         extra_server=""):
    return """
    %s
    map $govern_partner $tier_rate {
        globex  2r/m;
        default 4r/m;
    }
    server {
        listen 127.0.0.1:@PORT@;
        govern_audit @PREFIX@/audit.log buffer=0;
        @JWT@
        %s
        %s

        location /web/ {
            govern on;
            %s
            proxy_pass http://odoo;
        }

        location /open/ {
            proxy_pass http://odoo/web/;
        }
    }
""" % (redis, fallback, extra_server, limits)


@pytest.fixture
def redis(tmp_path):
    """A redis-server of this test's own, so it can be stopped."""
    server = harness.Redis(str(tmp_path))
    yield server
    server.stop()


def get(gw, token, path="/web/version", timeout=10):
    return requests.get(gw.url(path), timeout=timeout,
                        headers={"Authorization": "Bearer " + token})


def redis_py(redis):
    import redis as redis_module
    return redis_module.Redis(port=redis.port)


def redis_cli(redis, *args):
    return subprocess.run(["redis-cli", "-p", str(redis.port)] + list(args),
                          capture_output=True, text=True, check=True).stdout


def test_exact_across_two_gateways(nginx, odoo, keys, redis):
    c = conf("govern_rate_limit orders 10r/m;")
    a = nginx(c, odoo=odoo, extra={"REDIS": redis.port})
    b = nginx(c, odoo=odoo, extra={"REDIS": redis.port})
    acme = keys.token("RS256")
    codes = [get((a, b)[i % 2], acme).status_code for i in range(20)]
    allowed = codes.count(200)
    assert 10 <= allowed <= 11, codes
    assert set(codes) == {200, 429}
    r = get(a, acme)
    assert r.status_code == 429
    assert 1 <= int(r.headers["Retry-After"]) <= 6
    assert r.json()["reason"] == "rate_limited"
    # another partner has a bucket of its own
    assert get(b, keys.token("RS256", sub="globex")).status_code == 200
    assert redis_cli(redis, "exists", "govern:{acme}:rl:orders").strip() \
        == "1"


def test_headers_and_audit(nginx, odoo, keys, redis):
    gw = nginx(conf("govern_rate_limit orders 600r/m;"), odoo=odoo,
               extra={"REDIS": redis.port})
    r = get(gw, keys.token("RS256"))
    assert r.status_code == 200
    assert r.headers["RateLimit-Policy"] == '"orders";q=600;w=60'
    assert r.headers["RateLimit"] == '"orders";r=599;t=1'
    assert "Retry-After" not in r.headers
    (rec,) = gw.wait_audit(1)
    assert rec["ratelimit"] == {"name": "orders", "limit": 600,
                                "remaining": 599, "source": "redis"}


def test_forged_token_consumes_nothing(nginx, odoo, keys, redis):
    gw = nginx(conf("govern_rate_limit orders 3r/m;"), odoo=odoo,
               extra={"REDIS": redis.port})
    forged = tokens.forge({"alg": "RS256", "kid": "rs256"},
                          keys.claims(sub="victim"), b"\x00" * 256)
    for _ in range(10):
        assert get(gw, forged).status_code == 401
    assert redis_cli(redis, "keys", "*").strip() == ""
    victim = keys.token("RS256", sub="victim")
    assert [get(gw, victim).status_code for _ in range(4)] == \
        [200, 200, 200, 429]


def test_tightest_limit_wins_and_refusals_take_nothing(nginx, odoo, keys,
                                                       redis):
    gw = nginx(conf("govern_rate_limit burst 2r/s;\n"
                    "            govern_rate_limit hourly 3r/h;"),
               odoo=odoo, extra={"REDIS": redis.port})
    token = keys.token("RS256")
    codes = [get(gw, token).status_code for _ in range(5)]
    assert codes[:2] == [200, 200] and 429 in codes
    time.sleep(1.1)                 # the per-second bucket refills
    r = get(gw, token)
    assert r.status_code == 200     # the hourly one kept its third token
    r = get(gw, token)
    assert r.status_code == 429
    assert 'hourly' in r.json()["detail"]
    assert int(r.headers["Retry-After"]) > 1000     # an hour's refill


def test_tiers_through_map(nginx, odoo, keys, redis):
    gw = nginx(conf("govern_rate_limit tiered $tier_rate;"), odoo=odoo,
               extra={"REDIS": redis.port})
    acme = keys.token("RS256")
    globex = keys.token("RS256", sub="globex")
    assert [get(gw, globex).status_code for _ in range(3)] == [200, 200, 429]
    assert [get(gw, acme).status_code for _ in range(5)] == \
        [200, 200, 200, 200, 429]


def test_by_variable(nginx, odoo, keys, redis):
    gw = nginx(conf("govern_rate_limit perhost 2r/m by=$http_x_store;"),
               odoo=odoo, extra={"REDIS": redis.port})
    token = keys.token("RS256")
    h = {"Authorization": "Bearer " + token, "X-Store": "s1"}
    codes = [requests.get(gw.url("/web/version"), headers=h).status_code
             for _ in range(3)]
    assert codes == [200, 200, 429]
    assert redis_cli(redis, "exists", "govern:{s1}:rl:perhost").strip() \
        == "1"


def test_bucket_as_stored_in_redis(nginx, odoo, keys, redis):
    """Two little-endian doubles, tokens then Redis's ms clock, kept while
    the bucket refills; a value that is not a bucket counts as full."""
    gw = nginx(conf("govern_rate_limit orders 6r/m;"), odoo=odoo,
               extra={"REDIS": redis.port})
    token = keys.token("RS256")
    assert get(gw, token).status_code == 200
    r = get(gw, token)
    assert r.headers["RateLimit"] == '"orders";r=4;t=20'
    key = "govern:{acme}:rl:orders"
    client = redis_py(redis)
    value = client.get(key)
    assert len(value) == 16
    tokens_left, ms = struct.unpack("<dd", value)
    seconds, micros = client.time()
    assert 4.0 <= tokens_left < 4.01
    assert 0 <= seconds * 1000 + micros // 1000 - ms < 2000
    assert 0 < client.pttl(key) <= 61000        # empty to full, plus 1 s

    for junk in (b"4 1700000000000", b"x" * 16, struct.pack("<dd", NAN, 0),
                 struct.pack("<dd", -1.0, 0)):
        client.set(key, junk)
        r = get(gw, token)
        assert r.status_code == 200
        assert r.headers["RateLimit"] == '"orders";r=5;t=10', junk
    # a bucket above capacity (a rate lowered since) holds the capacity
    client.set(key, struct.pack("<dd", 1e9, 0))
    assert get(gw, token).headers["RateLimit"] == '"orders";r=5;t=10'
    assert gw.error_log().count("[error]") == 0


def script_calls(redis):
    """The rate limit script's runs so far, EVALSHA and EVAL."""
    stats = redis_py(redis).info("commandstats")
    return sum(stats.get("cmdstat_" + c, {}).get("calls", 0)
               for c in ("evalsha", "eval"))


def test_a_busy_partner_shares_one_call(nginx, odoo, keys, redis):
    """Requests of one partner that arrive while its call is in flight
    (Redis paused here) gather for the next call: a few calls decide 40
    requests exactly, as 40 calls in a row would."""
    gw = nginx(conf("govern_rate_limit orders 30r/m;",
                    redis="govern_redis 127.0.0.1:@REDIS@ timeout=3s;"),
               odoo=odoo, extra={"REDIS": redis.port})
    token = keys.token("RS256")
    assert get(gw, token).status_code == 200    # loads the script
    before = script_calls(redis)
    odoo.reset()
    redis_cli(redis, "client", "pause", "1000", "all")
    with concurrent.futures.ThreadPoolExecutor(40) as pool:
        answers = list(pool.map(lambda _: get(gw, token), range(40)))
    codes = [r.status_code for r in answers]
    assert codes.count(200) == 29 and codes.count(429) == 11, codes
    # each passing request its own turn: 28 left after the first, ... 0
    left = sorted(int(r.headers["RateLimit"].split("r=")[1].split(";")[0])
                  for r in answers if r.status_code == 200)
    assert left == list(range(29)), left
    refused = [r for r in answers if r.status_code == 429]
    assert all(r.headers["RateLimit"].startswith('"orders";r=0;')
               and r.json()["reason"] == "rate_limited" for r in refused)
    # one call per round trip: a few, however the 40 straggle in
    assert 2 <= script_calls(redis) - before <= 6
    records = gw.wait_audit(41)
    assert all(rec["ratelimit"]["source"] == "redis" for rec in records)
    # the upstream saw the passing ones only
    assert len(odoo.requests()) == 29


def test_gathered_requests_wait_no_longer_than_the_timeout(nginx, odoo,
                                                           keys):
    """A slow Redis: the call and the one gathered behind it take the
    fallback at the timeout, counted from each call's opening."""
    slow = FakeRedis(delay=1.5)
    try:
        gw = nginx(conf("govern_rate_limit orders 100r/m;",
                        redis="govern_redis 127.0.0.1:@REDIS@ "
                        "timeout=200ms;"),
                   odoo=odoo, extra={"REDIS": slow.port})
        token = keys.token("RS256")
        time.sleep(0.3)                 # the handshake
        with concurrent.futures.ThreadPoolExecutor(20) as pool:
            codes = list(pool.map(lambda _: get(gw, token).status_code,
                                  range(20)))
        assert codes == [200] * 20
        records = gw.wait_audit(20)
        assert all(rec["ratelimit"]["source"] == "local"
                   for rec in records)
        # the gateway's own part (the fake Odoo queues connections)
        waited = [rec["total_ms"] - rec["upstream_ms"] for rec in records]
        assert max(waited) < 500, waited
    finally:
        slow.stop()


class HeldRedis:
    """A RESP server that notes when each command arrives (it always
    reads) and answers in order: the handshake at once, the first rate
    limit script after a hold, the others at once; a script's answer is
    one request passed, the bucket holding 100 tokens."""

    def __init__(self, hold):
        self.hold = hold
        self.arrivals = []              # (name, monotonic time)
        self.first_answered = None
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            pending = queue.Queue()
            threading.Thread(target=self.read, args=(conn, pending),
                             daemon=True).start()
            threading.Thread(target=self.answer, args=(conn, pending),
                             daemon=True).start()

    def read(self, conn, pending):
        f = conn.makefile("rb")
        while True:
            cmd = FakeRedis.read_command(f)
            if cmd is None:
                pending.put(None)
                return
            name = cmd[0].upper().decode()
            self.arrivals.append((name, time.monotonic()))
            pending.put(name)

    def answer(self, conn, pending):
        script = struct.pack("<d", 100.0)
        while True:
            name = pending.get()
            if name is None:
                return
            if name == "ROLE":
                conn.sendall(b"*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n")
            elif not name.startswith("EVAL"):
                conn.sendall(b"+OK\r\n")
            else:
                if self.first_answered is None:
                    time.sleep(self.hold)
                    self.first_answered = time.monotonic()
                conn.sendall(b"*2\r\n:1\r\n$8\r\n" + script + b"\r\n")

    def stop(self):
        self.sock.close()


def test_commands_wait_for_the_replies_in_flight(nginx, odoo, keys):
    """While the replies to a write are awaited, the commands queued
    meanwhile stay in the worker and leave together once they are in
    (one write, one wake-up of Redis, per round trip under load)."""
    held = HeldRedis(hold=0.4)
    try:
        gw = nginx(conf("govern_rate_limit orders 100r/m by=$arg_p;",
                        redis="govern_redis 127.0.0.1:@REDIS@ timeout=3s;",
                        extra_server="govern_revocation off;"),
                   odoo=odoo, extra={"REDIS": held.port})
        token = keys.token("RS256")
        time.sleep(0.3)                 # the handshake
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            first = pool.submit(get, gw, token, "/web/version?p=first")
            time.sleep(0.1)             # its script is held by Redis
            others = [pool.submit(get, gw, token, "/web/version?p=%d" % i)
                      for i in range(6)]
            codes = [first.result().status_code] + [
                f.result().status_code for f in others]
        assert codes == [200] * 7
        scripts = [t for name, t in held.arrivals if name.startswith("EVAL")]
        assert len(scripts) == 7
        # six partners' calls, queued while the first was in flight,
        # reached Redis only after its reply
        assert all(t >= held.first_answered for t in scripts[1:]), \
            (scripts, held.first_answered)
        records = gw.wait_audit(7)
        assert all(rec["ratelimit"]["source"] == "redis" for rec in records)
    finally:
        held.stop()


def test_slow_redis_never_blocks_the_worker(nginx, odoo, keys):
    slow = FakeRedis(delay=2.0)
    try:
        gw = nginx(conf("govern_rate_limit orders 100r/m;"), odoo=odoo,
                   extra={"REDIS": slow.port})
        token = keys.token("RS256")
        time.sleep(0.3)                 # the handshake
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            governed = pool.submit(get, gw, token)
            time.sleep(0.02)
            t0 = time.monotonic()
            r = requests.get(gw.url("/open/version"), timeout=5)
            fast = time.monotonic() - t0
            assert r.status_code == 200
            assert fast < 0.1, fast
            t1 = time.monotonic()
            g = governed.result()
        # the governed one took the local fallback at its 50 ms timeout
        assert g.status_code == 200
        assert time.monotonic() - t1 < 1.0
        (rec,) = gw.wait_audit(1)
        assert rec["ratelimit"]["source"] == "local"
        assert "rate limits use their fallback" in gw.error_log()
    finally:
        slow.stop()


@pytest.mark.parametrize("fallback,expect", [
    ("local", "local"), ("open", "open"), ("closed", "closed")])
def test_redis_down_and_back(nginx, odoo, keys, redis, fallback, expect):
    gw = nginx(conf("govern_rate_limit orders 3r/m;",
                    fallback="govern_rate_limit_fallback %s;" % fallback),
               odoo=odoo, extra={"REDIS": redis.port})
    token = keys.token("RS256")
    assert get(gw, token).status_code == 200        # via Redis
    redis.stop()
    time.sleep(0.2)

    codes, slowest = [], 0.0
    for _ in range(6):
        t0 = time.monotonic()
        codes.append(get(gw, token).status_code)
        slowest = max(slowest, time.monotonic() - t0)
    assert slowest < 0.5, slowest   # nobody waits out a dead Redis
    if expect == "local":
        # this instance's buckets: a full local bucket of 3
        assert codes == [200, 200, 200, 429, 429, 429]
    elif expect == "open":
        assert codes == [200] * 6
    else:
        assert codes == [503] * 6
        r = get(gw, token)
        assert r.json()["reason"] == "ratelimit_unavailable"
        assert r.headers["Retry-After"] == "1"

    log = gw.error_log()
    assert log.count("rate limits use their fallback") == 1    # said once

    # Redis comes back on the same port: used again within seconds
    port = redis.port
    redis.proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1",
         "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL)
    harness.wait_port(port)
    deadline = time.monotonic() + 10
    while "is available again" not in gw.error_log():
        assert time.monotonic() < deadline, "redis not used again"
        time.sleep(0.1)
    other = keys.token("RS256", sub="after")
    assert get(gw, other).status_code == 200
    assert redis_cli(redis, "exists", "govern:{after}:rl:orders").strip() \
        == "1"


def test_client_gone_while_reply_pending(nginx, odoo, keys):
    slow = FakeRedis(delay=0.5)
    try:
        gw = nginx(conf("govern_rate_limit orders 100r/m;",
                        redis="govern_redis 127.0.0.1:@REDIS@ timeout=2s;"),
                   odoo=odoo, extra={"REDIS": slow.port})
        time.sleep(0.3)
        token = keys.token("RS256")
        for _ in range(5):
            s = socket.create_connection(("127.0.0.1", gw.port))
            s.sendall(("GET /web/version HTTP/1.1\r\nHost: x\r\n"
                       "Authorization: Bearer %s\r\n\r\n" % token).encode())
            time.sleep(0.05)
            s.close()
        time.sleep(1.5)                 # the late replies arrive
        assert get(gw, token).status_code == 200
    finally:
        slow.stop()


def test_script_flush_during_traffic(nginx, odoo, keys, redis):
    gw = nginx(conf("govern_rate_limit orders 1000r/m;"), odoo=odoo,
               extra={"REDIS": redis.port})
    token = keys.token("RS256")
    for i in range(30):
        if i % 10 == 5:
            redis_cli(redis, "script", "flush")
        r = get(gw, token)
        assert r.status_code == 200
        assert r.headers["RateLimit"] == '"orders";r=%d;t=1' % (999 - i) \
            or i > 0
    (first,) = gw.wait_audit(1)[:1]
    records = gw.wait_audit(30)
    assert all(rec["ratelimit"]["source"] == "redis" for rec in records)


def test_wrong_password(nginx, odoo, keys, tmp_path):
    server = subprocess.Popen(
        ["redis-server", "--port", "0", "--unixsocket",
         str(tmp_path / "r.sock"), "--requirepass", "sesame", "--save", "",
         "--appendonly", "no"], stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 5
        while not (tmp_path / "r.sock").exists():
            assert time.monotonic() < deadline
            time.sleep(0.02)
        gw = nginx(conf("govern_rate_limit orders 100r/m;",
                        redis="govern_redis unix:%s password=wrong;"
                        % (tmp_path / "r.sock")), odoo=odoo)
        time.sleep(0.3)
        r = get(gw, keys.token("RS256"))
        assert r.status_code == 200     # the local fallback
        log = gw.error_log()
        assert "refused the handshake" in log and "WRONGPASS" in log
        assert (tmp_path / "r.sock").exists()

        ok = nginx(conf("govern_rate_limit orders 100r/m;",
                        redis="govern_redis unix:%s password=sesame db=3;"
                        % (tmp_path / "r.sock")), odoo=odoo)
        time.sleep(0.3)
        assert get(ok, keys.token("RS256")).status_code == 200
        (rec,) = ok.wait_audit(1)
        assert rec["ratelimit"]["source"] == "redis"
    finally:
        # the gateways go first: a reconnect to a socket that is gone is
        # a [crit] the error-log guard would rightly report
        for instance in nginx.instances:
            instance.stop()
        server.terminate()
        server.wait(5)


def test_redis_error_reply(nginx, odoo, keys):
    broken = FakeRedis(error="ERR something broke")
    try:
        gw = nginx(conf("govern_rate_limit orders 100r/m;"), odoo=odoo,
                   extra={"REDIS": broken.port})
        time.sleep(0.3)
        r = get(gw, keys.token("RS256"))
        assert r.status_code == 200
        assert gw.wait_audit(1)[0]["ratelimit"]["source"] == "local"
        assert "with an error: ERR something broke" in gw.error_log()
    finally:
        broken.stop()


@pytest.mark.parametrize("line,message", [
    ("govern_rate_limit orders 10r/x;", 'invalid rate "10r/x"'),
    ("govern_rate_limit orders 0r/s;", 'invalid rate "0r/s"'),
    ("govern_rate_limit orders 10r/s burst=0;", 'invalid burst "burst=0"'),
    ("govern_rate_limit orders 10r/s burst=x;", 'invalid burst "burst=x"'),
    ("govern_rate_limit orders 10r/s burst=1000000001;",
     'invalid burst "burst=1000000001", it must be a number from 1 to'),
    ("govern_rate_limit orders $nope;", 'unknown "nope" variable'),
    ("govern_rate_limit orders 10r/s by=$nope;", 'unknown "nope" variable'),
    ("govern_rate_limit a 1r/s; govern_rate_limit a 2r/s;",
     'duplicate rate limit "a"'),
    ("govern_rate_limit_fallback maybe;", 'invalid value "maybe"'),
])
def test_nginx_t_rate_limits(nginx, line, message):
    gw = nginx(conf(line), extra={"REDIS": 6379}, start=False)
    rc, out = gw.test_config()
    gw.expect_bad_log = True
    assert rc != 0 and message in out, out


def test_nginx_t_redis_name_needs_resolver(nginx):
    """A name is resolved by nginx's resolver before every connect (never
    by nginx -t, never blocking): without a resolver it is refused."""
    gw = nginx(conf("", redis="govern_redis no-such-host.invalid:6379;"),
               start=False)
    rc, out = gw.test_config()
    gw.expect_bad_log = True
    assert rc != 0
    with open(gw.conf) as f:
        line = [n for n, text in enumerate(f, 1) if "govern_redis" in text]
    assert ('govern_redis "no-such-host.invalid:6379": a host name is '
            'resolved again before every connect and needs a "resolver" in '
            'the http block in %s:%d\n' % (gw.conf, line[0])) in out, out


def test_reload_and_quit_with_redis(nginx, odoo, keys, redis):
    gw = nginx(conf("govern_rate_limit orders 600r/d;"), odoo=odoo,
               extra={"REDIS": redis.port}, workers=2)
    token = keys.token("RS256")
    assert get(gw, token).status_code == 200
    old = gw.worker_pids()
    gw.reload()
    deadline = time.monotonic() + 5
    while gw.worker_pids() & old:
        assert time.monotonic() < deadline, "old workers did not exit"
        time.sleep(0.05)
    assert get(gw, token).headers["RateLimit"].startswith('"orders";r=598;')
    t0 = time.monotonic()
    gw.stop()
    assert time.monotonic() - t0 < 5
    # the error-log guard (teardown) fails on "open socket left" alerts
