"""The audit chain of DESIGN section 6.1, written again from the contract
(not from the C): the tests forge with it what an attacker holding the
file could, and make large chains to time the verifier."""

import hashlib
import os
import subprocess
import time

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

import harness

CLI = os.environ.get("GOVERN_AUDIT_CLI",
                     os.path.join(harness.ROOT, "build", "govern-audit"))
CONTEXT = b"govern-audit-checkpoint/1\n"
ZERO = bytes(32)


def keypair(directory):
    """An Ed25519 key pair in PEM files: (private path, public path)."""
    key = ed25519.Ed25519PrivateKey.generate()
    os.makedirs(directory, exist_ok=True)
    private = os.path.join(directory, "audit-key.pem")
    public = os.path.join(directory, "audit-key.pub.pem")
    fd = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    with open(public, "wb") as f:
        f.write(key.public_key().public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo))
    return private, public


def verify(public, *files, max_problems=20):
    """govern-audit verify: (exit status, stdout lines)."""
    p = subprocess.run([CLI, "verify", "--key", public, "--max",
                        str(max_problems)] + list(files),
                       capture_output=True, text=True, timeout=120,
                       env=harness.sanitizer_env(os.path.dirname(files[0])))
    assert p.stderr == "", p.stderr
    return p.returncode, p.stdout.splitlines()


def problems(lines):
    """(file, line, kind) of each problem the verifier printed."""
    found = []
    for text in lines:
        parts = text.split(": ", 2)
        if len(parts) < 3 or ":" not in parts[0]:
            continue
        name, _, line = parts[0].rpartition(":")
        if parts[1] in ("start", "continues", "gap", "unsealed"):
            continue
        found.append((os.path.basename(name), int(line), parts[1]))
    return found


def chain_value(prev, line):
    """The chain value of one line (bytes, without its line feed)."""
    cut = line.rindex(b'"chain":"')
    return hashlib.sha256(prev + line[:cut]).digest()


def seq_of(line):
    at = line.rindex(b',"seq":') + 7
    return int(line[at:line.index(b",", at)])


def rechain(lines, prev, renumber=0):
    """Recomputes the chain values (and, by renumber, the sequence numbers)
    of lines from prev, as an attacker without the key can: the
    checkpoints' "prev" and "sig" stay what they were."""
    out = []
    for line in lines:
        if renumber:
            at = line.rindex(b',"seq":') + 7
            end = line.index(b",", at)
            line = line[:at] + b"%d" % (int(line[at:end]) + renumber) \
                + line[end:]
        cut = line.rindex(b'"chain":"')
        prev = hashlib.sha256(prev + line[:cut]).digest()
        out.append(line[:cut] + b'"chain":"' + prev.hex().encode() + b'"}')
    return out


def write_chain(path, key, records, every=1000, node="bench"):
    """A chain of records like the gateway's, with a checkpoint every
    `every` records; returns the time taken."""
    start = time.monotonic()
    chain = ZERO
    seq = 0
    ms = int(time.time() * 1000)

    def ts(ms):
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) \
            + ".%03dZ" % (ms % 1000)

    def checkpoint(reason):
        nonlocal chain, seq
        seq += 1
        prev = b"null" if seq == 1 else b'"' + chain.hex().encode() + b'"'
        body = (b'{"ts":"%s","v":1,"kind":"checkpoint","reason":"%s",'
                b'"node":"%s","seq":%d,"prev":%s,'
                % (ts(ms).encode(), reason, node.encode(), seq, prev))
        sig = key.sign(CONTEXT + body)
        body += b'"sig":"' + sig.hex().encode() + b'",'
        chain = hashlib.sha256(chain + body).digest()
        return body + b'"chain":"' + chain.hex().encode() + b'"}\n'

    with open(path, "wb") as f:
        f.write(checkpoint(b"start"))
        for n in range(records):
            seq += 1
            body = (b'{"ts":"%s","v":1,"request_id":"%032x","trace_id":'
                    b'"%032x","node":"%s","route":"orders","method":"GET",'
                    b'"path":"/api/v1/orders","status":200,"decision":"allow",'
                    b'"reason":null,"partner":"acme","sub":"acme",'
                    b'"iss":"https://idp.example","kid":"k1","jti":null,'
                    b'"scopes_required":["orders:read"],"scopes_granted":'
                    b'["orders:read"],"api_version":null,"deprecated":null,'
                    b'"odoo":null,"ratelimit":null,"idempotency_key":null,'
                    b'"body_sha256":null,"bytes_in":412,"bytes_out":230,'
                    b'"upstream_status":200,"upstream_ms":2,"total_ms":3,'
                    b'"client_ip":"10.0.0.7","seq":%d,'
                    % (ts(ms + n).encode(), n, n, node.encode(), seq))
            chain = hashlib.sha256(chain + body).digest()
            f.write(body + b'"chain":"' + chain.hex().encode() + b'"}\n')
            if (n + 1) % every == 0:
                f.write(checkpoint(b"every"))
        f.write(checkpoint(b"exit"))
    return time.monotonic() - start
