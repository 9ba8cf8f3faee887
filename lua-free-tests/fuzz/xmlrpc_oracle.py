#!/usr/bin/python3
"""The XML-RPC reader against the reader Odoo uses: every methodCall
govern accepts must be read by Python's xmlrpc.client.loads(data,
use_datetime=True) (what Odoo's XML-RPC controllers call) as the same
method and the same parameters.  Bodies: the fuzz corpus directories
given, and methodCalls generated here in the layouts clients write
(xmlrpc.client's, npm xmlrpc's CDATA strings, untyped values, spaces
around numbers, entities, empty elements).

Usage: xmlrpc_oracle.py DUMP_TOOL WORKDIR [CORPUS_DIR...]"""

import base64
import datetime
import json
import os
import random
import re
import subprocess
import sys
import xmlrpc.client

dump, work = sys.argv[1], sys.argv[2]
corpora = sys.argv[3:]
rng = random.Random(14)

WORDS = ["res.partner", "search_read", "a&b", "<x>", "caf\u00e9", "",
         " spaced ", "line\nbreak", "\u00e9\u00e8\U0001f600", "]]>", "'\""]


def rand_value(depth):
    kind = rng.randrange(9 if depth < 4 else 6)
    if kind == 0:
        n = rng.choice([0, 1, -1, 7, 2**31 - 1, -2**31, 2**40, -2**63,
                        2**63 - 1])
        # beyond 32 bits, which xmlrpc.client will not write: see wide()
        return n if -2**31 <= n < 2**31 else "@@%s:%d@@" % (
            rng.choice(["int", "i8"]), n)
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice(WORDS)
    if kind == 3:
        return rng.choice([0.5, -1.25e3, 1e-7, 100.0, 3.141592653589793])
    if kind == 4:
        return datetime.datetime(rng.randrange(1, 9999), rng.randrange(1, 13),
                                 rng.randrange(1, 29), rng.randrange(24),
                                 rng.randrange(60), rng.randrange(60))
    if kind == 5:
        return rng.choice([None, xmlrpc.client.Binary(
            bytes(rng.randrange(256) for _ in range(rng.randrange(9))))])
    if kind in (6, 7):
        return [rand_value(depth + 1) for _ in range(rng.randrange(4))]
    keys = rng.sample(WORDS + ["limit", "context", "k"], rng.randrange(4))
    return {k: rand_value(depth + 1) for k in keys}


def map_strings(body, fn):
    """body with the text of each <string> element passed through fn
    (text as written, its value as read)."""
    out, rest = [], body
    while "<string>" in rest:
        head, _, tail = rest.partition("<string>")
        text, _, rest = tail.partition("</string>")
        value = xmlrpc.client.loads(
            "<methodResponse><params><param><value><string>%s</string>"
            "</value></param></params></methodResponse>" % text)[0][0]
        out.append(head + "<string>" + fn(text, value) + "</string>")
    return "".join(out) + rest


def relayout(body):
    """The same call as other clients write it."""
    style = rng.randrange(5)
    if style == 0:
        return body
    if style == 1:      # no line breaks, untyped strings
        body = body.replace("\n", "")
        return body.replace("<string>", "").replace("</string>", "")
    if style == 2:      # spaces around numbers, i4 and i8
        return (body.replace("<int>", "<i4> ").replace("</int>", "\n</i4>")
                .replace("<double>", "<double>\t"))
    if style == 3:      # npm xmlrpc: strings in CDATA when they need it
        return map_strings(body, lambda text, value: "<![CDATA[%s]]>" % value
                           if value and "]]>" not in value
                           and "\r" not in value else text)
    # character references
    return map_strings(body, lambda text, value: text if "&" in text
                       else text.replace("a", "&#97;").replace("e", "&#x65;"))


def wide(body):
    """64-bit integers, as JavaScript clients write them."""
    return re.sub(r"<string>@@(int|i8):(-?\d+)@@</string>",
                  r"<\1>\2</\1>", body)


def generated():
    for i in range(3000):
        params = tuple(rand_value(0) for _ in range(rng.randrange(8)))
        method = rng.choice(["execute_kw", "execute", "search", "x.y:z/w"])
        body = wide(xmlrpc.client.dumps(params, method, allow_none=True))
        yield "gen%05d" % i, b"\0" + relayout(body).encode()


def as_python(x):
    """A parameter as Python's Unmarshaller holds it, comparably."""
    if isinstance(x, bool) or x is None or isinstance(x, str):
        return x
    if isinstance(x, int):
        return {"i": x}
    if isinstance(x, float):
        return {"r": x}
    if isinstance(x, datetime.datetime):
        return ("dateTime", x)
    if isinstance(x, xmlrpc.client.Binary):
        return ("base64", x.data)
    if isinstance(x, dict):
        return {"o": {k: as_python(v) for k, v in x.items()}}
    return [as_python(v) for v in x]


def as_govern(x, p):
    """govern's reading, with its base64 and date strings decoded where
    Python's has bytes and datetimes."""
    if isinstance(p, tuple) and isinstance(x, str):
        if p[0] == "base64":
            return ("base64", base64.decodebytes(x.encode()))
        return ("dateTime", datetime.datetime.strptime(x,
                                                       "%Y%m%dT%H:%M:%S"))
    if isinstance(x, list) and isinstance(p, list) and len(x) == len(p):
        return [as_govern(a, b) for a, b in zip(x, p)]
    if isinstance(x, dict) and isinstance(p, dict) and "o" in x and "o" in p:
        return {"o": {k: as_govern(v, p["o"].get(k))
                      for k, v in x["o"].items()}}
    return x


os.makedirs(work, exist_ok=True)
files = []
for name, data in generated():
    path = os.path.join(work, name)
    with open(path, "wb") as f:
        f.write(data)
    files.append(path)
for corpus in corpora:
    files += sorted(os.path.join(corpus, n) for n in os.listdir(corpus))

lines = []
for i in range(0, len(files), 500):
    out = subprocess.run([dump] + files[i:i + 500], check=True,
                         capture_output=True).stdout.decode()
    lines += out.splitlines()
assert len(lines) == len(files)

accepted = differ = 0
for path, line in zip(files, lines):
    ours = json.loads(line)
    if ours is None:
        continue
    accepted += 1
    body = open(path, "rb").read()[1:]
    try:
        params, method = xmlrpc.client.loads(body, use_datetime=True)
    except Exception as e:
        print("%s: accepted by govern, refused by Python: %r" % (path, e))
        differ += 1
        continue
    theirs = as_python(list(params))
    mine = as_govern(ours["params"], theirs)
    if method != ours["method"] or mine != theirs:
        print("%s: read differently:\n  govern %r %r\n  Python %r %r"
              % (path, ours["method"], mine, method, theirs))
        differ += 1

print("xmlrpc oracle: %d bodies, %d accepted, %d read differently"
      % (len(files), accepted, differ))
sys.exit(1 if differ else 0)
