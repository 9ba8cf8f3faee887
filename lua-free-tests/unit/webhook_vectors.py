#!/usr/bin/python3
"""Writes the webhook test vectors of test_webhook.c as a C header:
python3 webhook_vectors.py NODE_MODULES OUT.h

Every signature comes from an implementation other than govern's: the npm
packages senders use (standardwebhooks, stripe; lua-free-tests/npm/, run
through lua-free-tests/npm/signers.js) and Python's hmac for Shopify and
GitHub (and for Standard Webhooks bodies that are not UTF-8, which the
package reads as text).  Where the reference package has a verdict of its
own on a delivery, it is asked too, and must agree with the expected one;
the exceptions (malformed headers the packages skip or parse loosely,
Stripe's acceptance of future timestamps) are the points govern is
stricter on, and are marked below.

Secrets and ids are fixed (derived from labels), so the header is the same
on every run; a vector's "now" is passed to the code under test."""

import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys

NOW = 1700000000
TOL = 300
HERE = os.path.dirname(os.path.abspath(__file__))
SIGNERS = os.path.join(HERE, "..", "npm", "signers.js")


def det(label, n):
    return hashlib.shake_256(b"govern webhook vectors: "
                             + label.encode()).digest(n)


def b64(b):
    return base64.b64encode(b).decode()


STD = {k: "whsec_" + b64(det("standard " + k, n))
       for k, n in (("old", 24), ("new", 32), ("wrong", 24))}
STRIPE = {k: "whsec_" + det("stripe " + k, 16).hex()
          for k in ("old", "new", "wrong")}
SHOPIFY = {k: det("shopify " + k, 32).hex() for k in ("old", "new", "wrong")}
GITHUB = {k: "govern github " + det("github " + k, 12).hex()
          for k in ("old", "new", "wrong")}

SMALL = ('{"id":"evt_1NvPq2","type":"order.created","note":"caf\u00e9 '
         '\u2713"}').encode()
BINARY = b'\x00\xff\xfe{"raw":"\xc3\x28"}\r\n\x80'
LINE = ('{"line":1,"sku":"SKU-00042","name":"Gr\u00fcner Tee","qty":3}\n'
        ).encode()
LARGE_REPEAT = 2500     # about 150 KB: many of nginx's body buffers
STD_ID = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"
SHOPIFY_ID = "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"
GITHUB_ID = "72d3162e-cc78-11e3-81ab-4c9367dc0958"


class Oracle:
    """Answers from signers.js.  The vectors are built twice: the first
    pass collects the questions (answered with placeholders of the right
    shape), one node run answers them all, the second pass uses them."""

    def __init__(self):
        self.known = {}
        self.wanted = []

    def ask(self, placeholder, **req):
        key = json.dumps(req, sort_keys=True)
        if key in self.known:
            return self.known[key]
        self.wanted.append((key, req))
        return placeholder

    def run(self, node_modules):
        if not self.wanted:
            return
        env = dict(os.environ, NODE_PATH=node_modules)
        out = subprocess.run(["node", SIGNERS],
                             input=json.dumps([r for _, r in self.wanted]),
                             capture_output=True, text=True, env=env)
        if out.returncode != 0:
            raise SystemExit("webhook_vectors: signers.js failed:\n"
                             + out.stderr)
        for (key, _), answer in zip(self.wanted, json.loads(out.stdout)):
            self.known[key] = answer
        self.wanted = []

    @staticmethod
    def text(body):
        body.decode("utf-8")        # the packages read bodies as text
        return b64(body)

    def standard_sign(self, secret, msg_id, ts, body):
        return self.ask("v1," + "A" * 43 + "=", op="standard_sign",
                        secret=secret, id=msg_id, timestamp=ts,
                        body=self.text(body))

    def standard_verify(self, secret, headers, body, now):
        return self.ask("ok", op="standard_verify", secret=secret,
                        headers=headers, body=self.text(body), now=now)

    def stripe_header(self, secret, ts, body, scheme=None):
        req = dict(op="stripe_header", secret=secret, timestamp=ts,
                   body=self.text(body))
        if scheme:
            req["scheme"] = scheme
        return self.ask("t=%d,%s=%s" % (ts, scheme or "v1", "0" * 64), **req)

    def stripe_verify(self, secret, header, body, now, tolerance):
        return self.ask("ok", op="stripe_verify", secret=secret,
                        header=header, body=self.text(body), now=now,
                        tolerance=tolerance)


def hmac256(key, data):
    return hmac.new(key, data, hashlib.sha256).digest()


def standard_key(secret):
    return base64.b64decode(secret[len("whsec_"):])


B64 = ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
       "0123456789+/")


def stray_bits(sig):
    """A v1 signature with the 2 unused bits of its last digit set: the
    same 32 bytes to a lenient decoder, not canonical base64."""
    last = B64.index(sig[-2])
    assert last & 3 == 0
    return sig[:-2] + B64[last | 1] + "="


def large():
    return LINE * LARGE_REPEAT


def changed(body, at=None):
    """The body with one byte changed (its middle byte by default)."""
    at = len(body) // 2 if at is None else at
    b = bytearray(body)
    b[at] ^= 0x01
    return bytes(b)


# what the refusal's message must say, for a sample of the vectors
WHY = {
    "standard id missing": "webhook-id header missing",
    "standard id empty": "webhook-id header empty",
    "standard signature empty": "webhook-signature header empty",
    "standard timestamp sent twice": "webhook-timestamp header sent 2 times",
    "standard id of 256 characters": "webhook-id header is not 1 to 255",
    "standard timestamp not digits":
        "webhook-timestamp header is not a number of seconds",
    "standard timestamp with a leading zero": "has a leading zero",
    "standard timestamp of 19 digits": "is out of range",
    "standard signature of 31 bytes":
        "entry 1: v1 is not the base64 of 32 bytes",
    "standard signature entries with two spaces": "empty entry 2",
    "standard signature longer than 4096 bytes":
        "webhook-signature header longer than 4096 bytes",
    "standard signature of 17 entries": "more than 16 entries",
    "standard timestamp too old": "webhook-timestamp is 301 s old",
    "standard timestamp too far in the future":
        "webhook-timestamp is 301 s in the future",
    "standard only a v1a signature": "no v1 signature",
    "standard wrong secret": "no signature matches the body",
    "stripe no t": "no t= timestamp",
    "stripe t twice": "t= twice",
    "stripe v1 of 63 hex digits": "item 2: v1 is not 64 hex digits",
    "stripe item without =": "item 2 is not KEY=VALUE",
    "stripe timestamp too old": "Stripe-Signature t= is 301 s old",
    "stripe no v1 signature at all": "no v1 signature",
    "shopify event id missing": "X-Shopify-Webhook-Id header missing",
    "shopify signature in hex": "X-Shopify-Hmac-Sha256 header is not the "
                                "base64 of 32 bytes",
    "github sha1 signature": "X-Hub-Signature-256 header is not sha256=",
    "github event id missing": "X-GitHub-Delivery header missing",
    "github wrong secret": "X-Hub-Signature-256 header: no signature",
}


class Vectors:
    def __init__(self, oracle):
        self.o = oracle
        self.list = []
        self.signs = []

    def add(self, name, scheme, secrets, headers, body, status, secret=0,
            event_id="", ts=None, now=NOW, tolerance=TOL, ref=None):
        """headers: [id, timestamp, signature], each None (absent), a
        string, or (value, count) for a header sent count times.  ref:
        a callable asking the reference package for its verdict with a
        secret: it must say "ok" with secrets[secret] when the vector
        verifies, and must not say "ok" with any of them when it does
        not (for a stale timestamp: must name the timestamp)."""
        repeat = 1
        if isinstance(body, tuple):
            body, repeat = body
        self.list.append(dict(name=name, why=WHY.get(name, ""),
                              scheme=scheme, secrets=secrets,
                              headers=headers, body=body, repeat=repeat,
                              status=status, secret=secret,
                              event_id=event_id, ts=ts, now=now,
                              tolerance=tolerance))
        if ref is None:
            return
        verdicts = [ref(s) for s in secrets]
        if status == "VERIFIED":
            if verdicts[secret] != "ok" or "ok" in verdicts[:secret]:
                self.disagree(name, verdicts)
        elif "ok" in verdicts:
            self.disagree(name, verdicts)
        elif status == "BAD_TIMESTAMP":
            if not any("imestamp" in v for v in verdicts):
                self.disagree(name, verdicts)

    def disagree(self, name, verdicts):
        # only meaningful once the oracle has answered
        if self.o.wanted:
            return
        raise SystemExit("webhook_vectors: the reference package disagrees "
                         "on %r: %r" % (name, verdicts))


def standard(v):
    o = v.o
    old, new, wrong = STD["old"], STD["new"], STD["wrong"]
    now = str(NOW)

    def sign(secret=old, msg_id=STD_ID, ts=NOW, body=SMALL):
        return o.standard_sign(secret, msg_id, ts, body)

    def ref(msg_id, ts, sig, body):
        def ask(secret):
            return o.standard_verify(secret, {
                "webhook-id": msg_id, "webhook-timestamp": ts,
                "webhook-signature": sig}, body, NOW)
        return ask

    def add(name, secrets, msg_id, ts, sig, body, status, secret=0,
            checked=True, **kw):
        whole = body[0] * body[1] if isinstance(body, tuple) else body
        r = ref(msg_id, ts, sig, whole) if checked else None
        ts_value = int(ts) if status != "MALFORMED" else None
        v.add("standard " + name, "STANDARD", secrets,
              [msg_id, ts, sig], body, status, secret,
              event_id=msg_id if status != "MALFORMED" else "",
              ts=ts_value, ref=r, **kw)

    good = sign()
    add("valid", [old], STD_ID, now, good, SMALL, "VERIFIED")
    add("large body", [old], STD_ID, now, sign(body=large()),
        (LINE, LARGE_REPEAT), "VERIFIED")
    add("empty body", [old], STD_ID, now, sign(body=b""), b"", "VERIFIED")

    # bodies the package cannot take (not UTF-8): Python's hmac signs
    raw = "v1," + b64(hmac256(standard_key(old),
                              STD_ID.encode() + b"." + now.encode() + b"."
                              + BINARY))
    add("binary body", [old], STD_ID, now, raw, BINARY, "VERIFIED",
        checked=False)
    add("binary body changed", [old], STD_ID, now, raw, changed(BINARY, 1),
        "BAD_SIGNATURE", checked=False)

    add("one body byte changed", [old], STD_ID, now, good, changed(SMALL),
        "BAD_SIGNATURE")
    add("last body byte dropped", [old], STD_ID, now, good, SMALL[:-1],
        "BAD_SIGNATURE")
    add("wrong secret", [old, new], STD_ID, now, sign(wrong), SMALL,
        "BAD_SIGNATURE")
    add("rotated, old secret", [old, new], STD_ID, now, sign(old), SMALL,
        "VERIFIED", 0)
    add("rotated, new secret", [old, new], STD_ID, now, sign(new), SMALL,
        "VERIFIED", 1)
    add("signed with both during a rotation", [new], STD_ID, now,
        sign(old) + " " + sign(new), SMALL, "VERIFIED", 0)
    add("signed with both, both held", [new, old], STD_ID, now,
        sign(old) + " " + sign(new), SMALL, "VERIFIED", 0)
    add("several signatures, the last valid", [old], STD_ID, now,
        sign(wrong) + " " + sign(new) + " " + good, SMALL, "VERIFIED")
    add("several signatures, the first valid", [old], STD_ID, now,
        good + " " + sign(wrong) + " " + sign(new), SMALL, "VERIFIED")
    add("an asymmetric v1a signature beside", [old], STD_ID, now,
        "v1a," + b64(det("ed25519", 64)) + " " + good, SMALL, "VERIFIED")
    add("only a v1a signature", [old], STD_ID, now,
        "v1a," + b64(det("ed25519", 64)), SMALL, "BAD_SIGNATURE")
    add("16 signatures", [old], STD_ID, now, " ".join([sign(wrong)] * 15
                                                       + [good]),
        SMALL, "VERIFIED")
    add("id changed", [old], "msg_other", now, good, SMALL,
        "BAD_SIGNATURE")
    add("timestamp changed", [old], STD_ID, str(NOW + 1), good, SMALL,
        "BAD_SIGNATURE")
    add("id of 255 characters", [old], "m" * 255, now,
        sign(msg_id="m" * 255), SMALL, "VERIFIED")

    for name, ts, status in (("timestamp too old", NOW - TOL - 1,
                              "BAD_TIMESTAMP"),
                             ("timestamp as old as tolerated", NOW - TOL,
                              "VERIFIED"),
                             ("timestamp too far in the future",
                              NOW + TOL + 1, "BAD_TIMESTAMP"),
                             ("timestamp as far ahead as tolerated",
                              NOW + TOL, "VERIFIED"),
                             ("timestamp a day old", NOW - 86400,
                              "BAD_TIMESTAMP")):
        add(name, [old], STD_ID, str(ts), sign(ts=ts), SMALL, status)

    add("no tolerance, now", [old], STD_ID, now, good, SMALL, "VERIFIED",
        checked=False, tolerance=0)
    add("no tolerance, a second old", [old], STD_ID, str(NOW - 1),
        sign(ts=NOW - 1), SMALL, "BAD_TIMESTAMP", checked=False,
        tolerance=0)
    add("timestamp of 18 digits", [old], STD_ID, "9" * 18, good, SMALL,
        "BAD_TIMESTAMP", checked=False)

    # malformed: refused before any MAC, whatever the package would do
    m = "MALFORMED"
    for name, msg_id, ts, sig in (
            ("id missing", None, now, good),
            ("timestamp missing", STD_ID, None, good),
            ("signature missing", STD_ID, now, None),
            ("id sent twice", (STD_ID, 2), now, good),
            ("timestamp sent twice", STD_ID, (now, 2), good),
            ("signature sent twice", STD_ID, now, (good, 2)),
            ("id empty", "", now, good),
            ("id with a space", "msg 1", now, good),
            ("id with braces", "msg_{1}", now, good),
            ("id with a control byte", "msg\x01", now, good),
            ("id of 256 characters", "m" * 256, now, good),
            ("timestamp empty", STD_ID, "", good),
            ("timestamp not digits", STD_ID, now[:-2] + "x0", good),
            ("timestamp negative", STD_ID, "-" + now, good),
            ("timestamp with a plus", STD_ID, "+" + now, good),
            ("timestamp with a leading zero", STD_ID, "0" + now, good),
            ("timestamp with a fraction", STD_ID, now + ".5", good),
            ("timestamp with a space", STD_ID, " " + now, good),
            ("timestamp in milliseconds overflowing", STD_ID,
             "9" * 20, good),
            ("timestamp of 19 digits", STD_ID, "1" + "0" * 18, good),
            ("signature empty", STD_ID, now, ""),
            ("signature bad base64", STD_ID, now, "v1," + "@" * 43 + "="),
            ("signature of 31 bytes", STD_ID, now, "v1," + b64(b"x" * 31)),
            ("signature of 33 bytes", STD_ID, now, "v1," + b64(b"x" * 33)),
            ("signature without padding", STD_ID, now, good[:-1]),
            ("signature padded twice", STD_ID, now, good + "="),
            ("signature not canonical", STD_ID, now, stray_bits(good)),
            ("signature without a comma", STD_ID, now, "v1" + good[3:]),
            ("signature without a version", STD_ID, now, good[2:]),
            ("signature version uppercase", STD_ID, now, "V" + good[1:]),
            ("signature v1 and nothing", STD_ID, now, "v1,"),
            ("signature entries with two spaces", STD_ID, now,
             sign(wrong) + "  " + good),
            ("signature with a trailing space", STD_ID, now, good + " "),
            ("signature with a leading space", STD_ID, now, " " + good),
            ("signature with a tab", STD_ID, now, good + "\t"),
            ("signature of 17 entries", STD_ID, now,
             " ".join([sign(wrong)] * 16 + [good])),
            ("signature longer than 4096 bytes", STD_ID, now,
             "v1a," + "A" * 4048 + " " + good),
            ("v1a signature not base64", STD_ID, now,
             "v1a,*** " + good)):
        add(name, [old], msg_id, ts, sig, SMALL, m, checked=False)

    # outbound: the package's own signatures for the same input
    for secrets, body, repeat in (([old], SMALL, 1), ([old, new], SMALL, 1),
                                  ([new], LINE, LARGE_REPEAT),
                                  ([old], b"", 1)):
        whole = body * repeat
        header = " ".join(sign(s, STD_ID, NOW, whole) for s in secrets)
        v.signs.append(dict(secrets=secrets, id=STD_ID, ts=NOW, body=body,
                            repeat=repeat, header=header))
        # and the package verifies it with each secret
        for s in secrets:
            verdict = o.standard_verify(s, {
                "webhook-id": STD_ID, "webhook-timestamp": now,
                "webhook-signature": header}, whole, NOW)
            if verdict != "ok" and not o.wanted:
                raise SystemExit("webhook_vectors: outbound signature not "
                                 "verified: " + verdict)


def stripe(v):
    o = v.o
    old, new, wrong = STRIPE["old"], STRIPE["new"], STRIPE["wrong"]

    def header(secret=old, ts=NOW, body=SMALL, scheme=None):
        return o.stripe_header(secret, ts, body, scheme)

    def v1(h):
        return h.split(",", 1)[1]

    def add(name, secrets, sig, body, status, secret=0, ts=NOW,
            checked=True, **kw):
        whole = body[0] * body[1] if isinstance(body, tuple) else body

        def ref(s):
            return o.stripe_verify(s, sig, whole, NOW, TOL)
        v.add("stripe " + name, "STRIPE", secrets, [None, None, sig], body,
              status, secret, ts=ts if status != "MALFORMED" else None,
              ref=ref if checked else None, **kw)

    good = header()
    t = "t=%d" % NOW
    add("valid", [old], good, SMALL, "VERIFIED")
    add("large body", [old], header(body=large()), (LINE, LARGE_REPEAT),
        "VERIFIED")
    add("one body byte changed", [old], good, changed(SMALL),
        "BAD_SIGNATURE")
    add("wrong secret", [old, new], header(wrong), SMALL, "BAD_SIGNATURE")
    add("rotated, old secret", [old, new], header(old), SMALL, "VERIFIED")
    add("rotated, new secret", [old, new], header(new), SMALL, "VERIFIED",
        1)
    add("several signatures, the last valid", [old],
        ",".join([t, v1(header(wrong)), v1(header(new)), v1(good)]), SMALL,
        "VERIFIED")
    add("several signatures, the first valid", [old],
        ",".join([t, v1(good), v1(header(wrong)), v1(header(new))]), SMALL,
        "VERIFIED")
    add("a v0 signature beside", [old],
        ",".join([t, v1(header(scheme="v0")), v1(good)]), SMALL,
        "VERIFIED")
    add("only a v0 signature", [old], header(scheme="v0"), SMALL,
        "BAD_SIGNATURE")
    add("t after v1", [old], v1(good) + "," + t, SMALL, "VERIFIED")
    add("an unknown key beside", [old], ",".join([t, "tx=1", v1(good)]),
        SMALL, "VERIFIED")
    add("timestamp changed", [old], "t=%d," % (NOW + 1) + v1(good), SMALL,
        "BAD_SIGNATURE", ts=NOW + 1)
    add("hex in uppercase", [old], t + ",v1=" + v1(good)[3:].upper(),
        SMALL, "VERIFIED", checked=False)

    for name, ts, status, checked in (
            ("timestamp too old", NOW - TOL - 1, "BAD_TIMESTAMP", True),
            ("timestamp as old as tolerated", NOW - TOL, "VERIFIED", True),
            # Stripe's libraries accept any future timestamp: govern
            # does not, so the package is not asked
            ("timestamp too far in the future", NOW + TOL + 1,
             "BAD_TIMESTAMP", False),
            ("timestamp as far ahead as tolerated", NOW + TOL, "VERIFIED",
             True)):
        add(name, [old], header(ts=ts), SMALL, status, ts=ts,
            checked=checked)

    m = "MALFORMED"
    hexsig = v1(good)[3:]
    for name, sig in (
            ("header missing", None),
            ("header sent twice", (good, 2)),
            ("header empty", ""),
            ("no t", v1(good)),
            ("t twice", t + "," + t + "," + v1(good)),
            ("t not digits", "t=17000x0000," + v1(good)),
            ("t with a leading zero", "t=0%d," % NOW + v1(good)),
            ("t negative", "t=-%d," % NOW + v1(good)),
            ("t overflowing", "t=" + "9" * 20 + "," + v1(good)),
            ("t empty", "t=," + v1(good)),
            ("v1 of 63 hex digits", t + ",v1=" + hexsig[:-1]),
            ("v1 of 65 hex digits", t + ",v1=" + hexsig + "0"),
            ("v1 not hex", t + ",v1=" + "g" + hexsig[1:]),
            ("v1 empty", t + ",v1="),
            ("item without =", t + ",v1"),
            ("item without a key", t + ",=" + hexsig),
            ("empty item", t + ",," + v1(good)),
            ("trailing comma", good + ","),
            ("space after a comma", t + ", " + v1(good)),
            ("key in uppercase", "T=%d," % NOW + v1(good)),
            ("v0 with a control byte", t + ",v0=ab\x01," + v1(good)),
            ("17 v1 signatures", ",".join([t] + [v1(header(wrong))] * 16
                                          + [v1(good)])),
            ("33 items", ",".join([t] + ["v0=" + "0" * 64] * 31
                                  + [v1(good)])),
            ("longer than 4096 bytes", ",".join([t, "v0=" + "0" * 4020,
                                                 v1(good)]))):
        add(name, [old], sig, SMALL, m, checked=False)

    add("no v1 signature at all", [old], t, SMALL, "BAD_SIGNATURE",
        checked=False)


def body_mac(scheme, key, body):
    mac = hmac256(key.encode(), body)
    if scheme == "SHOPIFY":
        return b64(mac)
    return "sha256=" + mac.hex()


def hmac_scheme(v, scheme, secrets, event_id):
    """Shopify and GitHub: the MAC of the body alone, by Python's hmac;
    neither signs a timestamp, so dedupe is their replay protection."""
    old, new, wrong = secrets["old"], secrets["new"], secrets["wrong"]
    prefix = scheme.lower() + " "

    def add(name, secs, sig, body, status, secret=0, eid=event_id):
        v.add(prefix + name, scheme, secs, [eid, None, sig], body, status,
              secret, event_id=eid if status != "MALFORMED" else "")

    whole = large()
    good = body_mac(scheme, old, SMALL)
    add("valid", [old], good, SMALL, "VERIFIED")
    add("binary body", [old], body_mac(scheme, old, BINARY), BINARY,
        "VERIFIED")
    add("large body", [old], body_mac(scheme, old, whole),
        (LINE, LARGE_REPEAT), "VERIFIED")
    add("empty body", [old], body_mac(scheme, old, b""), b"", "VERIFIED")
    add("one body byte changed", [old], good, changed(SMALL),
        "BAD_SIGNATURE")
    add("first body byte changed", [old], good, changed(SMALL, 0),
        "BAD_SIGNATURE")
    add("wrong secret", [old, new], body_mac(scheme, wrong, SMALL), SMALL,
        "BAD_SIGNATURE")
    add("rotated, old secret", [old, new], body_mac(scheme, old, SMALL),
        SMALL, "VERIFIED")
    add("rotated, new secret", [old, new], body_mac(scheme, new, SMALL),
        SMALL, "VERIFIED", 1)

    m = "MALFORMED"
    cases = [("signature missing", None, event_id),
             ("signature sent twice", (good, 2), event_id),
             ("signature empty", "", event_id),
             ("event id missing", good, None),
             ("event id sent twice", good, (event_id, 2)),
             ("event id with a space", good, "a b"),
             ("event id with braces", good, "{x}"),
             ("two signatures", good + " " + good, event_id),
             ("signature with a trailing space", good + " ", event_id)]
    if scheme == "SHOPIFY":
        mac = hmac256(old.encode(), SMALL)
        cases += [("signature in hex", mac.hex(), event_id),
                  ("signature without padding", good[:-1], event_id),
                  ("signature of 31 bytes", b64(mac[:31]), event_id),
                  ("signature bad base64", "!" + good[1:], event_id)]
    else:
        hexsig = good[len("sha256="):]
        cases += [("sha1 signature", "sha1=" + hexsig[:40], event_id),
                  ("prefix in uppercase", "SHA256=" + hexsig, event_id),
                  ("no prefix", hexsig, event_id),
                  ("63 hex digits", good[:-1], event_id),
                  ("not hex", good[:-1] + "z", event_id)]
    for name, sig, eid in cases:
        add(name, [old], sig, SMALL, m, eid=eid)

    if scheme == "GITHUB":
        add("hex in uppercase", [old], "sha256=" + good[7:].upper(), SMALL,
            "VERIFIED")
        # GitHub's documented example: the generator's own check
        example = hmac256(b"It's a Secret to Everybody", b"Hello, World!")
        assert example.hex() == ("757107ea0eb2509fc211221cce984b8a"
                                 "37570b6d7586c22c46f4379c8b043e17")
        add("documented example", ["It's a Secret to Everybody"],
            "sha256=" + example.hex(), b"Hello, World!", "VERIFIED")


def build(oracle):
    v = Vectors(oracle)
    standard(v)
    stripe(v)
    hmac_scheme(v, "SHOPIFY", SHOPIFY, SHOPIFY_ID)
    hmac_scheme(v, "GITHUB", GITHUB, GITHUB_ID)
    return v


def c_string(data):
    if isinstance(data, str):
        data = data.encode("latin-1" if all(ord(c) < 256 for c in data)
                           else "utf-8")
    out = []
    for byte in data:
        c = chr(byte)
        if c in '"\\?' or byte < 0x20 or byte > 0x7e:
            out.append("\\%03o" % byte)
        else:
            out.append(c)
    # long literals are split between escapes, so lines stay readable
    chunks = [""]
    for piece in out:
        if len(chunks[-1]) + len(piece) > 72:
            chunks.append("")
        chunks[-1] += piece
    return "\n        ".join('"%s"' % c for c in chunks), len(data)


def header_value(h):
    if h is None:
        return '{ NULL, 0, 0 }'
    value, count = h if isinstance(h, tuple) else (h, 1)
    literal, n = c_string(value)
    return "{ (const unsigned char *)\n        %s, %d, %d }" % (literal, n,
                                                              count)


def write(v, path):
    lines = ["/* generated by webhook_vectors.py from the npm packages "
             "standardwebhooks and",
             " * stripe and Python's hmac: not by govern; do not edit */",
             "", "static const webhook_vector_t  webhook_vectors[] = {"]
    for x in v.list:
        body, body_len = c_string(x["body"])
        secrets = ", ".join(c_string(s)[0] for s in x["secrets"])
        eid, _ = c_string(x["event_id"])
        lines.append("    { %s, GOVERN_WEBHOOK_%s,\n      { %s, NULL },\n"
                     "      { %s,\n        %s,\n        %s },\n"
                     "      %s, %d, %d,\n      %dLL, %dLL, "
                     "GOVERN_WEBHOOK_%s, %d, %s, %dLL, %d,\n      %s },"
                     % (c_string(x["name"])[0], x["scheme"], secrets,
                        header_value(x["headers"][0]),
                        header_value(x["headers"][1]),
                        header_value(x["headers"][2]),
                        body, body_len, x["repeat"], x["now"],
                        x["tolerance"], x["status"], x["secret"], eid,
                        x["ts"] or 0, x["ts"] is not None,
                        c_string(x["why"])[0]))
    lines += ["};", "", "static const webhook_sign_vector_t  "
              "webhook_sign_vectors[] = {"]
    for s in v.signs:
        body, body_len = c_string(s["body"])
        secrets = ", ".join(c_string(k)[0] for k in s["secrets"])
        lines.append("    { { %s, NULL }, %s, %dLL,\n      %s, %d, %d,\n"
                     "      %s },"
                     % (secrets, c_string(s["id"])[0], s["ts"], body,
                        body_len, s["repeat"], c_string(s["header"])[0]))
    lines += ["};", ""]
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(lines))
    os.replace(tmp, path)


def main():
    node_modules, out = sys.argv[1], sys.argv[2]
    oracle = Oracle()
    build(oracle)                   # the questions
    oracle.run(node_modules)
    v = build(oracle)               # the answers, checked
    if oracle.wanted:
        oracle.run(node_modules)    # verdicts on answered signatures
        v = build(oracle)
    assert not oracle.wanted
    missing = set(WHY) - set(x["name"] for x in v.list)
    assert not missing, missing
    write(v, out)
    print("webhook vectors: %d deliveries, %d outbound signatures"
          % (len(v.list), len(v.signs)))


if __name__ == "__main__":
    main()
