"""An identity provider's JWKS endpoint under the test's control: it adds,
removes and rotates keys (made by cryptography, tokens signed by PyJWT),
answers 500, garbage or nothing at all (hang), sets Cache-Control, and
counts the fetches and what they carried."""

import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa

import tokens


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _int(n, size=None):
    return b64(n.to_bytes(size or (n.bit_length() + 7) // 8, "big"))


class JwksServer:
    def __init__(self):
        self.lock = threading.Lock()
        self.keys = {}              # kid -> (alg, private key, public JWK)
        self.extra = []             # JWKs published as they are
        self.mode = "ok"            # ok | error | garbage | hang | empty
        self.max_age = None
        self.fetches = []           # (time, request headers) of each fetch
        self.release = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                with server.lock:
                    server.fetches.append((time.monotonic(),
                                           dict(self.headers)))
                    mode = server.mode
                    body = json.dumps(server.jwks()).encode()
                    max_age = server.max_age
                if mode == "hang":
                    # released: answers as the provider is now, late
                    server.release.wait(30)
                    with server.lock:
                        mode = server.mode
                        body = json.dumps(server.jwks()).encode()
                status, ctype = 200, "application/json"
                if mode == "error":
                    status, body = 500, b'{"error": "down"}'
                elif mode == "garbage":
                    ctype, body = "text/html", b"<html>maintenance</html>"
                elif mode == "empty":
                    body = b'{"keys": []}'
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(body)))
                    if max_age is not None:
                        self.send_header("Cache-Control",
                                         "public, max-age=%d" % max_age)
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass        # nginx gave up on a late answer

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever,
                         daemon=True).start()

    def stop(self):
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def set(self, mode=None, max_age=False):
        with self.lock:
            if mode is not None:
                if self.mode == "hang" and mode != "hang":
                    self.release.set()
                if mode == "hang":
                    self.release.clear()
                self.mode = mode
            if max_age is not False:
                self.max_age = max_age

    def add(self, kid, alg="ES256", publish_alg=True):
        if alg.startswith("ES"):
            key = ec.generate_private_key(ec.SECP256R1())
            pub = key.public_key().public_numbers()
            jwk = {"kty": "EC", "crv": "P-256", "x": _int(pub.x, 32),
                   "y": _int(pub.y, 32)}
        else:
            key = rsa.generate_private_key(public_exponent=65537,
                                           key_size=2048)
            pub = key.public_key().public_numbers()
            jwk = {"kty": "RSA", "n": _int(pub.n), "e": _int(pub.e)}
        jwk["kid"] = kid
        jwk["use"] = "sig"
        if publish_alg:
            jwk["alg"] = alg
        with self.lock:
            self.keys[kid] = (alg, key, jwk)
        return kid

    def remove(self, kid):
        with self.lock:
            self.keys.pop(kid)

    def jwks(self):
        return {"keys": [k[2] for k in self.keys.values()] + self.extra}

    def token(self, kid, **claims):
        alg, key, _ = self.keys[kid]
        return jwt.encode(tokens.Keys.claims(None, **claims), key,
                          algorithm=alg, headers={"kid": kid})

    def count(self):
        with self.lock:
            return len(self.fetches)

    def wait_count(self, n, timeout=10.0):
        deadline = time.monotonic() + timeout
        while self.count() < n:
            if time.monotonic() > deadline:
                raise AssertionError("%d fetches, not %d" % (self.count(), n))
            time.sleep(0.01)
