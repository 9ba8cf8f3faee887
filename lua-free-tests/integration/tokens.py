"""Keys and tokens for the tests, made by PyJWT and cryptography only:
never by the module's own code."""

import base64
import json
import os
import secrets
import time

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

ISSUER = "https://idp.retail.example"
AUDIENCE = "govern"

ALGS = ["HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256",
        "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _int(n):
    return b64(n.to_bytes((n.bit_length() + 7) // 8, "big"))


class Keys:
    """One private key per algorithm, a JWKS of their public halves (each
    pinned to its alg, kid = alg name), and PEM files."""

    def __init__(self, directory):
        self.dir = directory
        os.makedirs(directory, exist_ok=True)
        self.private = {}
        jwks = []
        rsa_key = rsa.generate_private_key(public_exponent=65537,
                                           key_size=2048)
        curves = {"ES256": (ec.SECP256R1(), "P-256", 32),
                  "ES384": (ec.SECP384R1(), "P-384", 48),
                  "ES512": (ec.SECP521R1(), "P-521", 66)}
        for alg in ALGS:
            kid = alg.lower()
            if alg.startswith("HS"):
                size = {"HS256": 32, "HS384": 48, "HS512": 64}[alg]
                secret = secrets.token_bytes(size)
                self.private[alg] = secret
                jwks.append({"kty": "oct", "kid": kid, "alg": alg,
                             "k": b64(secret)})
            elif alg[:2] in ("RS", "PS"):
                self.private[alg] = rsa_key
                pub = rsa_key.public_key().public_numbers()
                jwks.append({"kty": "RSA", "kid": kid, "alg": alg,
                             "use": "sig", "n": _int(pub.n),
                             "e": _int(pub.e)})
            elif alg.startswith("ES"):
                curve, crv, size = curves[alg]
                key = ec.generate_private_key(curve)
                self.private[alg] = key
                pub = key.public_key().public_numbers()
                jwks.append({"kty": "EC", "kid": kid, "alg": alg,
                             "crv": crv,
                             "x": b64(pub.x.to_bytes(size, "big")),
                             "y": b64(pub.y.to_bytes(size, "big"))})
            else:
                key = ed25519.Ed25519PrivateKey.generate()
                self.private[alg] = key
                raw = key.public_key().public_bytes(
                    serialization.Encoding.Raw,
                    serialization.PublicFormat.Raw)
                jwks.append({"kty": "OKP", "kid": kid, "alg": alg,
                             "crv": "Ed25519", "x": b64(raw)})
        self.jwks = jwks
        self.jwks_path = self.write("jwks.json", json.dumps({"keys": jwks}))
        self.rsa_pem = rsa_key.public_key().public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo)
        self.rsa_pem_path = self.write("rsa.pem", self.rsa_pem)
        self.hs_secret = secrets.token_hex(32).encode()
        self.hs_secret_path = self.write("hs256.secret", self.hs_secret + b"\n")

    def write(self, name, data):
        path = os.path.join(self.dir, name)
        mode = "wb" if isinstance(data, bytes) else "w"
        with open(path, mode) as f:
            f.write(data)
        return path

    def claims(self, **over):
        now = int(time.time())
        c = {"iss": ISSUER, "aud": AUDIENCE, "sub": "acme",
             "exp": now + 300, "iat": now, "jti": secrets.token_hex(8),
             "scope": "orders:read"}
        for k, v in over.items():
            if v is None:
                c.pop(k, None)
            else:
                c[k] = v
        return c

    def token(self, alg="RS256", kid=True, key=None, headers=None, **claims):
        """A token for alg, by default with kid = alg name."""
        h = dict(headers or {})
        if kid is True:
            h["kid"] = alg.lower()
        elif kid:
            h["kid"] = kid
        return jwt.encode(self.claims(**claims),
                          key if key is not None else self.private[alg],
                          algorithm=alg, headers=h)

    def conf(self, keys=None):
        """The JWT directives for a server or location block."""
        return ("govern_jwt_keys %s;\n"
                "        govern_jwt_issuer %s;\n"
                "        govern_jwt_audience %s;\n"
                % (keys or self.jwks_path, ISSUER, AUDIENCE))


def forge(header, payload, signature=b"x"):
    """A token with any header and payload, signed by nobody."""
    return ".".join([b64(json.dumps(header).encode()),
                     b64(json.dumps(payload).encode()), b64(signature)])
