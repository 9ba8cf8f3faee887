#!/usr/bin/python3
"""Writes fuzzing seeds (schema NUL instance) into a directory: from the
official suite read in place (never copied into the repository) and from
the repository's own schemas."""

import glob
import json
import os
import sys

out, suite, root = sys.argv[1], sys.argv[2], sys.argv[3]
os.makedirs(out, exist_ok=True)
n = 0
for f in sorted(glob.glob(os.path.join(suite, "tests", "*", "*.json"))):
    for group in json.load(open(f)):
        for test in group["tests"][:2]:
            with open(os.path.join(out, "suite%05d" % n), "wb") as w:
                w.write(json.dumps(group["schema"]).encode() + b"\0"
                        + json.dumps(test["data"]).encode())
            n += 1
for f in sorted(glob.glob(os.path.join(root, "config", "schemas", "*.json"))):
    with open(os.path.join(out, os.path.basename(f)), "wb") as w:
        w.write(open(f, "rb").read() + b"\0{}")
print("fuzz: %d seeds" % (n + 1))
