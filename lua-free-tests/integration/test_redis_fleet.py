"""Redis as the fleet's shared state, against real servers on loopback: a
Redis Cluster of three masters (partners spread over every node, a slot
resharded under load, a node killed and brought back), a Sentinel-watched
master killed under load, and a name whose address changes between
reconnects (nginx's resolver asking a DNS server this test runs)."""

import os
import re
import socket
import subprocess
import threading
import time

import pytest
import redis as redis_module
import requests

import harness
from fake_dns import FakeDns as Dns


def crc16(data):
    crc = 0
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xffff
    return crc


def key_slot(key):
    """Redis Cluster's slot of a key: its hash tag if it has one."""
    start = key.find("{")
    if start >= 0:
        end = key.find("}", start + 1)
        if end > start + 1:
            key = key[start + 1:end]
    return crc16(key.encode()) % 16384


def conf(redis_line, limits, fallback="", resolver=""):
    return """
    %s
    %s
    %s
    server {
        listen 127.0.0.1:@PORT@;
        govern_audit @PREFIX@/audit.log buffer=0;
        @JWT@

        location /web/ {
            govern on;
            %s
            proxy_pass http://odoo;
        }

        location /open/ {
            proxy_pass http://odoo/web/;
        }

        location = /metrics {
            govern_metrics;
        }
    }
""" % (resolver, redis_line, fallback, limits)


def get(gw, token, timeout=10):
    return requests.get(gw.url("/web/version"), timeout=timeout,
                        headers={"Authorization": "Bearer " + token})


def decided_by(gw, token):
    """Where the rate limit of one more request was decided."""
    count = len(gw.audit())
    assert get(gw, token).status_code in (200, 429)
    records = gw.wait_audit(count + 1)
    assert len(records) > count
    return records[-1]["ratelimit"]["source"]


def wait_for(what, predicate, timeout=15.0, step=0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out waiting: " + what
        time.sleep(step)


def metrics(gw):
    return requests.get(gw.url("/metrics"), timeout=10).text


def free_ports(n):
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


# Redis Cluster


class Cluster:
    """Three masters, no replicas; a node that fails leaves the others
    serving their own slots (cluster-require-full-coverage no)."""

    def __init__(self, workdir, n=3, password=None):
        self.nodes = []
        self.password = password
        auth = ["--requirepass", password, "--masterauth", password] \
            if password else []
        ports = free_ports(2 * n)
        for i in range(n):
            d = os.path.join(workdir, "node%d" % i)
            os.makedirs(d)
            self.nodes.append(harness.Redis(d, port=ports[2 * i], args=[
                "--cluster-enabled", "yes",
                "--cluster-port", str(ports[2 * i + 1]),
                "--cluster-config-file", "nodes.conf",
                "--cluster-node-timeout", "1000",
                "--cluster-require-full-coverage", "no"] + auth))
        subprocess.run(["redis-cli", "--cluster", "create"]
                       + ["127.0.0.1:%d" % s.port for s in self.nodes]
                       + ["--cluster-replicas", "0", "--cluster-yes"]
                       + (["-a", password, "--no-auth-warning"]
                          if password else []),
                       check=True, capture_output=True, timeout=30)
        wait_for("cluster ok", lambda: all(
            self.client(s).execute_command("CLUSTER INFO")
            .decode().find("cluster_state:ok") >= 0 for s in self.nodes))

    def client(self, node):
        """Replies as Redis sends them (no redis-py parsing)."""
        client = redis_module.Redis(port=node.port, password=self.password)
        client.response_callbacks.clear()
        return client

    def node_id(self, node):
        return self.client(node).execute_command("CLUSTER MYID").decode()

    def owner(self, slot):
        for start, end, master, *_ in self.client(self.nodes[0]) \
                .execute_command("CLUSTER SLOTS"):
            if start <= slot <= end:
                return next(s for s in self.nodes if s.port == master[1])
        return None

    def stop(self):
        for s in self.nodes:
            s.stop()


@pytest.fixture
def cluster(tmp_path):
    c = Cluster(str(tmp_path / "cluster"))
    yield c
    c.stop()


def cluster_line(cluster, extra="timeout=500ms"):
    return "govern_redis cluster %s %s;" % (
        " ".join("127.0.0.1:%d" % s.port for s in cluster.nodes[:2]), extra)


def partners_per_node(cluster, per_node=2):
    """Partner names whose hash tag falls on each node."""
    found = {s.port: [] for s in cluster.nodes}
    owners = {}
    i = 0
    while min(len(v) for v in found.values()) < per_node:
        name = "p%d" % i
        i += 1
        slot = key_slot("govern:{%s}:rl:orders" % name)
        owner = owners.get(slot) or cluster.owner(slot)
        owners[slot] = owner
        if len(found[owner.port]) < per_node:
            found[owner.port].append(name)
    return found


def wait_cluster_ready(gw, cluster):
    wait_for("the gateway's slot map", lambda: metrics(gw).count(
        "govern_redis_node_up{") == len(cluster.nodes))
    wait_for("the nodes up", lambda: all(
        'govern_redis_node_up{node="127.0.0.1:%d"} 1' % s.port
        in metrics(gw) for s in cluster.nodes))


def test_cluster_partners_on_every_node_exact(nginx, odoo, keys, cluster):
    """Each partner's bucket lives on the node of its hash tag's slot, and
    its limit is exact there; one configured address finds the others."""
    gw = nginx(conf("govern_redis cluster 127.0.0.1:%d timeout=500ms;"
                    % cluster.nodes[1].port,
                    "govern_rate_limit orders 5r/m;"), odoo=odoo)
    wait_cluster_ready(gw, cluster)
    partners = partners_per_node(cluster)
    for port, names in partners.items():
        for name in names:
            token = keys.token("HS256", sub=name)
            codes = [get(gw, token).status_code for _ in range(7)]
            assert codes == [200] * 5 + [429] * 2, (name, codes)
            node = redis_module.Redis(port=port)
            assert node.exists("govern:{%s}:rl:orders" % name) == 1
            others = [s for s in cluster.nodes if s.port != port]
            for other in others:
                with pytest.raises(redis_module.ResponseError,
                                   match="MOVED"):
                    cluster.client(other).exists(
                        "govern:{%s}:rl:orders" % name)
    records = gw.wait_audit(7 * 6)
    assert len(records) == 42
    assert {r["ratelimit"]["source"] for r in records} == {"redis"}
    text = metrics(gw)
    assert "govern_redis_up 1" in text
    assert 'govern_redis_redirections_total{kind="moved"} 0' in text
    assert "cluster: 3 masters serve 16384 of 16384 slots" in gw.error_log()


def test_cluster_with_password(nginx, odoo, keys, tmp_path):
    """password= opens every node, the configured ones asked for the map
    and the ones the map names."""
    c = Cluster(str(tmp_path / "cluster"), password="cluster-secret")
    try:
        gw = nginx(conf("govern_redis cluster 127.0.0.1:%d "
                        "password=cluster-secret timeout=500ms;"
                        % c.nodes[0].port, "govern_rate_limit orders 3r/m;"),
                   odoo=odoo)
        wait_cluster_ready(gw, c)
        for port, names in partners_per_node(c, per_node=1).items():
            token = keys.token("HS256", sub=names[0])
            assert [get(gw, token).status_code for _ in range(4)] == \
                [200, 200, 200, 429]
            assert c.client(next(s for s in c.nodes if s.port == port)) \
                .exists("govern:{%s}:rl:orders" % names[0]) == 1
        assert {r["ratelimit"]["source"] for r in gw.wait_audit(12)} == \
            {"redis"}
    finally:
        for instance in nginx.instances:
            instance.stop()
        c.stop()


def test_cluster_idempotency_follows_the_partner(nginx, odoo, keys, cluster):
    """Idempotency records route by the same hash tag as the limits."""
    gw = nginx(conf(cluster_line(cluster),
                    "govern_idempotency required;\n"
                    "            govern_rate_limit orders 100r/m;"),
               odoo=odoo)
    wait_cluster_ready(gw, cluster)
    partners = partners_per_node(cluster, per_node=1)
    for port, (name,) in partners.items():
        h = {"Authorization": "Bearer " + keys.token("HS256", sub=name),
             "Idempotency-Key": "k-" + name,
             "Content-Type": "application/json"}
        first = requests.post(gw.url("/web/version"), headers=h, data="{}")
        again = requests.post(gw.url("/web/version"), headers=h, data="{}")
        assert first.status_code == again.status_code
        assert again.headers.get("Idempotency-Replayed") == "true"
        node = redis_module.Redis(port=port)
        assert node.exists("govern:{%s}:idem:k-%s" % (name, name)) == 1


class Load:
    """Requests for several partners from a few threads until stopped;
    every status and latency kept."""

    def __init__(self, gw, tokens, threads=3):
        self.gw = gw
        self.tokens = tokens
        self.results = []
        self.lock = threading.Lock()
        self.go = threading.Event()
        self.go.set()
        self.done = threading.Event()
        self.pool = [threading.Thread(target=self.run, args=(i,))
                     for i in range(threads)]
        for t in self.pool:
            t.start()

    def run(self, i):
        session = requests.Session()
        n = i
        while not self.done.is_set():
            self.go.wait()
            token = self.tokens[n % len(self.tokens)]
            n += 1
            t0 = time.monotonic()
            try:
                r = session.get(self.gw.url("/web/version"), timeout=10,
                                headers={"Authorization": "Bearer " + token})
                status = r.status_code
            except requests.RequestException as e:
                status = repr(e)
            with self.lock:
                self.results.append((token, status,
                                     time.monotonic() - t0))

    def stop(self):
        self.done.set()
        self.go.set()
        for t in self.pool:
            t.join(30)
        return self.results


def test_cluster_reshard_under_load(nginx, odoo, keys, cluster):
    """A busy partner's slot moves to another node key by key while its
    requests go on: ASK and TRYAGAIN are followed, nothing fails, and the
    partner ends up decided on the new owner."""
    gw = nginx(conf(cluster_line(cluster),
                    "govern_rate_limit orders 100000r/m;\n"
                    "            govern_rate_limit daily 1000000r/d;"),
               odoo=odoo, workers=2)
    wait_cluster_ready(gw, cluster)
    busy = "busy0"
    slot = key_slot("govern:{%s}:rl:orders" % busy)
    source = cluster.owner(slot)
    target = next(s for s in cluster.nodes if s is not source)
    keys_ = ["govern:{%s}:rl:orders" % busy, "govern:{%s}:rl:daily" % busy]

    token = keys.token("HS256", sub=busy)
    assert get(gw, token).status_code == 200
    src, dst = cluster.client(source), cluster.client(target)
    assert src.exists(*keys_) == 2

    load = Load(gw, [token])
    try:
        time.sleep(0.5)
        dst.execute_command("CLUSTER SETSLOT", slot, "IMPORTING",
                            cluster.node_id(source))
        src.execute_command("CLUSTER SETSLOT", slot, "MIGRATING",
                            cluster.node_id(target))
        time.sleep(0.3)
        # one key moved, the other not yet: multi-key scripts TRYAGAIN
        src.execute_command("MIGRATE", "127.0.0.1", target.port, keys_[0],
                            0, 5000)
        time.sleep(0.3)
        # both moved: the source answers ASK, the target serves after ASKING
        src.execute_command("MIGRATE", "127.0.0.1", target.port, keys_[1],
                            0, 5000)
        time.sleep(0.5)
        for node in cluster.nodes:
            cluster.client(node).execute_command(
                "CLUSTER SETSLOT", slot, "NODE", cluster.node_id(target))
        time.sleep(0.5)
    finally:
        results = load.stop()

    assert len(results) > 50
    statuses = {status for _, status, _ in results}
    assert statuses == {200}, statuses
    text = metrics(gw)
    counts = {kind: int(v) for kind, v in re.findall(
        r'govern_redis_redirections_total\{kind="(\w+)"\} (\d+)', text)}
    assert counts["ask"] > 0 and counts["tryagain"] > 0, counts
    assert counts["moved"] > 0, counts
    assert dst.exists(*keys_) == 2

    # decided by the new owner now
    before = int(dst.pttl(keys_[0]))
    r = get(gw, token)
    assert r.status_code == 200
    assert int(dst.pttl(keys_[0])) >= before - 1000
    records = gw.wait_audit(len(results) + 2)
    assert records[-1]["ratelimit"]["source"] == "redis"
    assert "[error]" not in "\n".join(
        line for line in gw.error_log().splitlines()
        if "TRYAGAIN" in line or "ASK" in line)


def test_cluster_node_down_and_back(nginx, odoo, keys, cluster):
    """A node killed: its partners take the fallback, quickly, while the
    other nodes' partners stay exact; back, it serves them again."""
    gw = nginx(conf(cluster_line(cluster, "timeout=300ms"),
                    "govern_rate_limit orders 4r/m;"), odoo=odoo)
    wait_cluster_ready(gw, cluster)
    partners = partners_per_node(cluster, per_node=2)
    victim = cluster.nodes[2]
    alive = [s for s in cluster.nodes if s is not victim]

    for name in partners[victim.port]:
        assert get(gw, keys.token("HS256", sub=name)).status_code == 200

    victim.kill()
    wait_for("the breaker of the dead node", lambda: (
        'govern_redis_node_up{node="127.0.0.1:%d"} 0' % victim.port
        in metrics(gw)), timeout=5)

    # the other nodes' partners: exact, from Redis
    for node in alive:
        for name in partners[node.port]:
            token = keys.token("HS256", sub=name)
            codes = [get(gw, token).status_code for _ in range(6)]
            assert codes == [200] * 4 + [429] * 2, (name, codes)

    # the dead node's partners: the local fallback, no waiting
    for name in partners[victim.port]:
        token = keys.token("HS256", sub=name)
        t0 = time.monotonic()
        r = get(gw, token)
        assert r.status_code == 200
        assert time.monotonic() - t0 < 1.0
    # 2 before the kill, 6 for each of the other nodes' partners, 2 after
    records = gw.wait_audit(2 + 6 * 2 * len(alive) + 2)
    assert len(records) == 2 + 6 * 2 * len(alive) + 2
    by_partner = {}
    for rec in records:
        by_partner.setdefault(rec["partner"], []).append(
            rec["ratelimit"]["source"])
    for node in alive:
        for name in partners[node.port]:
            assert set(by_partner[name]) == {"redis"}, name
    for name in partners[victim.port]:
        assert by_partner[name][-1] == "local", name
    log = gw.error_log()
    assert log.count("127.0.0.1:%d is unavailable" % victim.port) == 1
    assert "govern_redis_up 0" in metrics(gw)

    # back on the same port with its slots: used again
    victim.start()
    wait_for("the node again", lambda: "127.0.0.1:%d is available again"
             % victim.port in gw.error_log(), timeout=20)
    name = partners[victim.port][1]
    token = keys.token("HS256", sub=name)
    wait_for("redis decides again", lambda: decided_by(gw, token) == "redis",
             timeout=10)
    assert cluster.client(victim).exists("govern:{%s}:rl:orders" % name) == 1


def test_cluster_seed_that_is_not_a_cluster(nginx, odoo, keys, tmp_path):
    """A configured address that is a plain Redis cannot give a slot map:
    said, asked again later, and the fallback decides meanwhile."""
    plain = harness.Redis(str(tmp_path))
    try:
        gw = nginx(conf("govern_redis cluster 127.0.0.1:%d timeout=300ms;"
                        % plain.port, "govern_rate_limit orders 2r/m;"),
                   odoo=odoo)
        wait_for("the refusal", lambda: "answered CLUSTER SLOTS with an "
                 "error: ERR This instance has cluster support disabled"
                 in gw.error_log())
        token = keys.token("HS256", sub="acme")
        assert [get(gw, token).status_code for _ in range(3)] == \
            [200, 200, 429]
        assert {r["ratelimit"]["source"] for r in gw.wait_audit(3)} == \
            {"local"}
        text = metrics(gw)
        assert "govern_redis_node_up{" not in text
        assert "govern_redis_up 0" in text
    finally:
        for instance in nginx.instances:
            instance.stop()
        plain.stop()


def test_reload_and_quit_with_sentinels(nginx, odoo, keys, sentinels):
    """Old workers close their sentinel, subscription and master
    connections and exit at once; the new ones find the master again."""
    gw = nginx(conf("govern_redis sentinel=mymaster %s timeout=300ms;"
                    % sentinels.addresses(), "govern_rate_limit orders "
                    "100r/m;"), odoo=odoo, workers=2)
    token = keys.token("HS256", sub="acme")
    wait_for("redis decides", lambda: decided_by(gw, token) == "redis")
    old = gw.worker_pids()
    gw.reload()
    wait_for("old workers gone", lambda: not (gw.worker_pids() & old),
             timeout=5)
    wait_for("redis decides again", lambda: decided_by(gw, token) == "redis")
    t0 = time.monotonic()
    gw.stop()
    assert time.monotonic() - t0 < 5
    # the error-log guard (teardown) fails on "open socket left" alerts


@pytest.mark.parametrize("line,message", [
    ("govern_redis cluster;", "govern_redis needs an address"),
    ("govern_redis cluster 127.0.0.1:7000 db=1;",
     '"db=1": a Redis Cluster has only database 0'),
    ("govern_redis cluster unix:/tmp/r.sock;",
     "sentinels and cluster nodes are reached over TCP"),
    ("govern_redis sentinel= 127.0.0.1:26379;",
     "the master's name is missing"),
    ("govern_redis sentinel=m;", "govern_redis needs an address"),
    ("govern_redis 127.0.0.1:1 127.0.0.1:2;",
     'govern_redis takes one address, "sentinel=MASTER" or "cluster" take '
     'several: "127.0.0.1:2"'),
    ("govern_redis 127.0.0.1:1 sentinel_password=x;",
     'invalid parameter "sentinel_password=x"'),
    ("govern_redis cluster 127.0.0.1:1 timeout=1s 127.0.0.1:2;",
     'the address "127.0.0.1:2" comes after the parameters'),
    ("govern_redis sentinel=m redis.internal:26379;",
     'a host name is resolved again before every connect and needs a '
     '"resolver"'),
])
def test_nginx_t_govern_redis(nginx, line, message):
    gw = nginx(conf(line, ""), start=False)
    rc, out = gw.test_config()
    gw.expect_bad_log = True
    assert rc != 0 and message in out, out


def test_cluster_limits_of_one_location_share_the_key(nginx):
    """One script decides a location's limits on one node: a limit keyed
    by another value than its neighbours' could not be."""
    gw = nginx(conf("govern_redis cluster 127.0.0.1:7000;",
                    "govern_rate_limit orders 5r/m;\n"
                    "            govern_rate_limit shop 5r/m by=$http_x_shop;"),
               start=False)
    rc, out = gw.test_config()
    gw.expect_bad_log = True
    assert rc != 0
    assert ('"govern_rate_limit" in cluster mode: the limits of a location '
            'are decided by one script on one node, so they need the same '
            'by=') in out, out


# Sentinel


class Sentinels:
    """A master, its replica and three sentinels watching it (quorum 2,
    down after 1 s)."""

    def __init__(self, workdir, password=None, sentinel_password=None):
        ports = free_ports(5)
        self.password = password
        self.sentinel_password = sentinel_password
        self.dirs = []
        for name in ("master", "replica", "s0", "s1", "s2"):
            d = os.path.join(workdir, name)
            os.makedirs(d)
            self.dirs.append(d)
        auth = ["--requirepass", password, "--masterauth", password] \
            if password else []
        self.master = harness.Redis(self.dirs[0], port=ports[0], args=auth)
        self.replica = harness.Redis(self.dirs[1], port=ports[1], args=[
            "--replicaof", "127.0.0.1", str(ports[0])] + auth)
        wait_for("the replica in sync", lambda: redis_module.Redis(
            port=ports[1], password=password).info("replication")
            ["master_link_status"] == "up")
        self.sentinels = []
        for i in range(3):
            path = os.path.join(self.dirs[2 + i], "sentinel.conf")
            with open(path, "w") as f:
                f.write("sentinel monitor mymaster 127.0.0.1 %d 2\n"
                        "sentinel down-after-milliseconds mymaster 1000\n"
                        "sentinel failover-timeout mymaster 10000\n"
                        "sentinel parallel-syncs mymaster 1\n" % ports[0])
                if password:
                    f.write("sentinel auth-pass mymaster %s\n" % password)
                if sentinel_password:
                    f.write("requirepass %s\nsentinel sentinel-pass %s\n"
                            % (sentinel_password, sentinel_password))
            self.sentinels.append(harness.Redis(
                self.dirs[2 + i], port=ports[2 + i], conf=path,
                args=["--sentinel"]))
        wait_for("the sentinels know each other", lambda: all(
            len(self.sentinel(s).execute_command(
                "SENTINEL", "SENTINELS", "mymaster")) == 2
            for s in self.sentinels), timeout=20)

    def sentinel(self, s):
        client = redis_module.Redis(port=s.port,
                                    password=self.sentinel_password)
        client.response_callbacks.clear()
        return client

    def addresses(self):
        return " ".join("127.0.0.1:%d" % s.port for s in self.sentinels)

    def stop(self):
        for s in self.sentinels + [self.replica, self.master]:
            s.stop()


@pytest.fixture
def sentinels(tmp_path):
    s = Sentinels(str(tmp_path / "sentinel"))
    yield s
    s.stop()


def test_sentinel_failover_under_load(nginx, odoo, keys, sentinels):
    """The master killed under load: the window takes the fallback without
    a request waiting beyond the timeout or another location slowing down,
    Redis decides again within seconds of +switch-master, and the count
    kept in Redis is exact across the failover."""
    limit = 100000
    gw = nginx(conf("govern_redis sentinel=mymaster %s timeout=300ms;"
                    % sentinels.addresses(),
                    # a large bucket refilled once a day: its count moves
                    # by the requests alone
                    "govern_rate_limit orders 1r/d burst=%d;" % limit),
               odoo=odoo, workers=2)
    busy = keys.token("HS256", sub="busy")
    probe = keys.token("HS256", sub="probe")
    wait_for("redis decides", lambda: decided_by(gw, probe) == "redis")

    switched = {}

    def listen():
        pubsub = redis_module.Redis(
            port=sentinels.sentinels[1].port).pubsub()
        pubsub.subscribe("+switch-master")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and "at" not in switched:
            m = pubsub.get_message(timeout=0.1)
            if m and m["type"] == "message":
                switched["at"] = time.monotonic()
                switched["to"] = m["data"].decode()
        pubsub.close()

    listener = threading.Thread(target=listen)
    listener.start()

    open_latency = []

    def open_location():
        while "done" not in switched:
            t0 = time.monotonic()
            assert requests.get(gw.url("/open/version"),
                                timeout=10).status_code == 200
            open_latency.append(time.monotonic() - t0)
            time.sleep(0.02)

    other = threading.Thread(target=open_location)
    other.start()

    load = Load(gw, [busy])
    try:
        time.sleep(1.0)
        # what the master acknowledged is on the replica before it dies
        # (replication is asynchronous: a write it never received could
        # not be counted by anyone)
        load.go.clear()
        time.sleep(0.3)
        master = redis_module.Redis(port=sentinels.master.port)
        assert master.execute_command("WAIT", 1, 5000) == 1
        killed = time.monotonic()
        sentinels.master.kill()
        load.go.set()

        wait_for("+switch-master", lambda: "at" in switched, timeout=30)
        assert switched["to"].endswith(
            "127.0.0.1 %d" % sentinels.replica.port)

        def probe_redis():
            records = [r for r in gw.audit() if r["partner"] == "probe"]
            get(gw, probe)
            wait_for("the probe's record", lambda: len(
                [r for r in gw.audit() if r["partner"] == "probe"])
                > len(records), timeout=5, step=0.01)
            last = [r for r in gw.audit() if r["partner"] == "probe"][-1]
            return last["ratelimit"]["source"] == "redis" \
                and time.monotonic()
        back = wait_for("redis decides again", probe_redis, timeout=10,
                        step=0.02)
        time.sleep(1.0)
    finally:
        results = load.stop()
        switched["done"] = True
        listener.join(10)
        other.join(10)

    assert back - switched["at"] < 3.0, back - switched["at"]
    assert {status for _, status, _ in results} == {200}
    slowest = max(latency for _, _, latency in results)
    assert slowest < 1.5, slowest       # timeout=300ms, on a shared CPU
    assert max(open_latency) < 0.5, max(open_latency)

    records = wait_for("the records", lambda: [
        r for r in gw.audit() if r["partner"] == "busy"]
        if len([r for r in gw.audit() if r["partner"] == "busy"])
        >= len(results) else None, timeout=5)
    assert len(records) == len(results)
    sources = [r["ratelimit"]["source"] for r in records]
    assert "local" in sources and sources[0] == "redis" \
        and sources[-1] == "redis"
    # every decision Redis took, before and after, counted once
    remaining = sorted((r["ratelimit"]["remaining"] for r in records
                        if r["ratelimit"]["source"] == "redis"),
                       reverse=True)
    assert remaining == list(range(limit - 1, limit - 1 - len(remaining),
                                   -1))
    log = gw.error_log()
    assert log.count('master "mymaster" is 127.0.0.1:%d'
                     % sentinels.replica.port) == 1
    assert time.monotonic() - killed < 30


def test_sentinel_unknown_master_and_dead_sentinel(nginx, odoo, keys,
                                                    sentinels):
    """The first sentinel down, the second one not knowing the name: the
    third one is asked; until then the fallback decides."""
    sentinels.sentinels[0].kill()
    rogue = harness.Redis(sentinels.dirs[2], args=[])
    try:
        gw = nginx(conf("govern_redis sentinel=mymaster 127.0.0.1:%d "
                        "127.0.0.1:%d 127.0.0.1:%d timeout=300ms;"
                        % (sentinels.sentinels[0].port, rogue.port,
                           sentinels.sentinels[2].port),
                        "govern_rate_limit orders 10r/m;"), odoo=odoo)
        token = keys.token("HS256", sub="acme")
        wait_for("redis decides", lambda: decided_by(gw, token) == "redis")
        log = gw.error_log()
        assert "cannot tell the master" in log
        assert 'gave no address for the master "mymaster"' in log
        # nor is a subscription on it taken for a sentinel's
        assert "127.0.0.1:%d cannot be watched (not a sentinel)" \
            % rogue.port in log
    finally:
        for instance in nginx.instances:
            instance.stop()
        rogue.stop()


def test_sentinel_with_passwords(nginx, odoo, keys, tmp_path):
    """password= is the data nodes', sentinel_password= the sentinels';
    db= is selected on the master."""
    s = Sentinels(str(tmp_path / "sentinel"), password="data-secret",
                  sentinel_password="watch-secret")
    try:
        gw = nginx(conf("govern_redis sentinel=mymaster %s password=data-secret"
                        " sentinel_password=watch-secret db=2 timeout=300ms;"
                        % s.addresses(), "govern_rate_limit orders 10r/m;"),
                   odoo=odoo)
        token = keys.token("HS256", sub="acme")
        wait_for("redis decides", lambda: decided_by(gw, token) == "redis")
        master = redis_module.Redis(port=s.master.port, password="data-secret",
                                    db=2)
        assert master.exists("govern:{acme}:rl:orders") == 1
        assert "refused the handshake" not in gw.error_log()
        text = metrics(gw)
        assert 'govern_redis_node_up{node="mymaster"} 1' in text
        assert "govern_redis_redirections_total" not in text

        # a wrong sentinel password is said, and the fallback decides
        bad = nginx(conf("govern_redis sentinel=mymaster %s password=data-secret"
                         " sentinel_password=wrong timeout=300ms;"
                         % s.addresses(), "govern_rate_limit orders 10r/m;"),
                    odoo=odoo)
        wait_for("the refusal", lambda: "refused the handshake" in
                 bad.error_log())
        assert decided_by(bad, token) == "local"
    finally:
        for instance in nginx.instances:
            instance.stop()
        s.stop()


# names followed through nginx's resolver


def resolver_line(dns):
    return "resolver 127.0.0.1:%d valid=1s ipv6=off; resolver_timeout 2s;" \
        % dns.port


def test_name_followed_across_reconnects(nginx, odoo, keys, tmp_path):
    """The name's address changes and the old node becomes a replica: its
    READONLY closes the connection, and the reconnect resolves the name
    again and uses the new master, without a reload."""
    port = free_ports(1)[0]
    os.makedirs(str(tmp_path / "a"))
    os.makedirs(str(tmp_path / "b"))
    a = harness.Redis(str(tmp_path / "a"), port=port, host="127.0.0.1")
    b = harness.Redis(str(tmp_path / "b"), port=port, host="127.0.0.2")
    dns = Dns({"redis.govern.test": "127.0.0.1"})
    try:
        gw = nginx(conf("govern_redis redis.govern.test:%d timeout=300ms;"
                        % port, "govern_rate_limit orders 100r/m;",
                        resolver=resolver_line(dns)), odoo=odoo)
        pids = gw.worker_pids()
        token = keys.token("HS256", sub="acme")
        wait_for("redis decides", lambda: decided_by(gw, token) == "redis")
        key = "govern:{acme}:rl:orders"
        old = redis_module.Redis(host="127.0.0.1", port=port)
        new = redis_module.Redis(host="127.0.0.2", port=port)
        assert old.exists(key) == 1 and new.exists(key) == 0

        dns.table["redis.govern.test"] = "127.0.0.2"
        old.execute_command("REPLICAOF", "127.0.0.2", port)

        def on_new():
            return decided_by(gw, token) == "redis" and new.exists(key) == 1
        wait_for("the new address", on_new, timeout=15, step=0.1)
        assert gw.worker_pids() == pids
        log = gw.error_log()
        assert "a replica now, READONLY" in log
        assert "redis.govern.test:%d at 127.0.0.2:%d is available again" \
            % (port, port) in log
        # said once each way: a reconnect to the old address while the
        # resolver still had it found a replica by ROLE, quietly
        assert log.count("is unavailable") == 1, log
        assert ("redis.govern.test", 1) in dns.queries
        assert 'govern_redis_node_up{node="redis.govern.test:%d"} 1' % port \
            in metrics(gw)
    finally:
        for instance in nginx.instances:
            instance.stop()
        dns.stop()
        a.stop()
        b.stop()


def test_name_not_found(nginx, odoo, keys):
    dns = Dns({})
    try:
        gw = nginx(conf("govern_redis missing.govern.test:6379 "
                        "timeout=300ms;", "govern_rate_limit orders 3r/m;",
                        resolver=resolver_line(dns)), odoo=odoo)
        token = keys.token("HS256", sub="acme")
        wait_for("the resolver's answer", lambda: "could not be resolved"
                 in gw.error_log())
        codes = [get(gw, token).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        assert {r["ratelimit"]["source"] for r in gw.audit()} == {"local"}
        log = gw.error_log()
        assert "govern: redis missing.govern.test could not be resolved " \
            "(3: Host not found)" in log
        assert log.count("rate limits use their fallback") == 1
    finally:
        for instance in nginx.instances:
            instance.stop()
        dns.stop()
