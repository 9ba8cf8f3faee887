#!/usr/bin/python3
"""Mints a partner JWT with PyJWT, for the demo and for trying a gateway.

  scripts/mint_token.py --key build/demo/keys/private.pem --kid demo-rs256 \\
      --iss https://idp.demo.govern --aud govern-demo --sub acme \\
      --scope "orders:read orders:write" --ttl 3600

--init DIR creates DIR/private.pem and DIR/jwks.json (RS256, that kid)
when they do not exist yet.
"""

import argparse
import base64
import json
import os
import secrets
import sys
import time

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def b64(n):
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def init(directory, kid):
    private = os.path.join(directory, "private.pem")
    if os.path.exists(private):
        return
    os.makedirs(directory, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    fd = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    pub = key.public_key().public_numbers()
    with open(os.path.join(directory, "jwks.json"), "w") as f:
        json.dump({"keys": [{"kty": "RSA", "kid": kid, "alg": "RS256",
                             "use": "sig", "n": b64(pub.n),
                             "e": b64(pub.e)}]}, f, indent=1)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--init", metavar="DIR")
    ap.add_argument("--key", help="PEM private key")
    ap.add_argument("--kid", default="demo-rs256")
    ap.add_argument("--alg", default="RS256")
    ap.add_argument("--iss", default="https://idp.demo.govern")
    ap.add_argument("--aud", default="govern-demo")
    ap.add_argument("--sub", default="acme")
    ap.add_argument("--scope", default="")
    ap.add_argument("--ttl", type=int, default=3600)
    opts = ap.parse_args()

    if opts.init:
        init(opts.init, opts.kid)
        if not opts.key:
            return 0

    if not opts.key:
        ap.error("--key is required")

    with open(opts.key, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), None)
    now = int(time.time())
    claims = {"iss": opts.iss, "aud": opts.aud, "sub": opts.sub,
              "iat": now, "exp": now + opts.ttl,
              "jti": secrets.token_hex(8)}
    if opts.scope:
        claims["scope"] = opts.scope
    print(jwt.encode(claims, key, algorithm=opts.alg,
                     headers={"kid": opts.kid}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
