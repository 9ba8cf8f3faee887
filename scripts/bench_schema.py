#!/usr/bin/python3
"""make bench-schema: govern's validator against AJV (npm ajv, on the
machine's Node.js) on the same schema and payload: validate-only, and
parse + validate (jansson vs JSON.parse).  Bounded by ROUNDS."""

import json
import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BUILD = os.path.join(ROOT, "build", "bench-schema")
ROUNDS = int(os.environ.get("ROUNDS", "200000"))

sys.path.insert(0, os.path.join(ROOT, "scripts"))
import bench  # noqa: E402  (the same 1 KB order as make bench)


def main():
    os.makedirs(BUILD, exist_ok=True)
    if not shutil.which("node") or not shutil.which("npm"):
        raise SystemExit("bench-schema: needs node and npm")
    if not os.path.isdir(os.path.join(BUILD, "node_modules", "ajv")):
        subprocess.run(["npm", "install", "--silent", "--no-audit",
                        "--no-fund", "--prefix", BUILD, "ajv@8",
                        "ajv-formats@2"], check=True)
    # the library as make builds it for the module (build/lib), O2
    subprocess.run(["make", "-C", ROOT, "--no-print-directory",
                    os.path.join(ROOT, "build", "lib", "libgovern.a")],
                   check=True)
    lib = os.path.join(ROOT, "module", "lib")
    binary = os.path.join(BUILD, "schema_bench")
    subprocess.run(["gcc", "-O2", "-I" + lib, "-o", binary,
                    os.path.join(ROOT, "lua-free-tests", "bench",
                                 "schema_bench.c"),
                    os.path.join(ROOT, "build", "lib", "libgovern.a"),
                    "-ljansson", "-lcrypto", "-lpcre2-8", "-lm"], check=True)
    payload = os.path.join(BUILD, "order.json")
    with open(payload, "w") as f:
        json.dump(bench.bench_order(), f)
    schemas = os.path.join(ROOT, "config", "schemas")

    out = subprocess.run([binary, os.path.join(schemas, "order.json"),
                          payload, str(ROUNDS)], check=True,
                         capture_output=True, text=True).stdout
    env = dict(os.environ, NODE_PATH=os.path.join(BUILD, "node_modules"))
    out += subprocess.run(["node", os.path.join(ROOT, "lua-free-tests",
                                                "bench", "ajv_bench.js"),
                           schemas, payload, str(ROUNDS)], check=True,
                          capture_output=True, text=True, env=env).stdout
    r = {k: float(v) for k, v in re.findall(r"^(.*): (\d+)/s$", out, re.M)}
    size = os.path.getsize(payload)
    print("schema bench: config/schemas/order.json, a %d-byte order, "
          "%d rounds\n" % (size, ROUNDS))
    print("| measure | govern /s | AJV /s | govern / AJV |")
    print("|---|---:|---:|---:|")
    for name, g, a in (("validate only", "govern validate-only",
                        "ajv validate-only"),
                       ("parse + validate", "govern parse+validate",
                        "ajv JSON.parse+validate")):
        print("| %s | %.0f | %.0f | %.3f |" % (name, r[g], r[a],
                                               r[g] / r[a]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
