"""Partner identity and scopes: every algorithm, every known token attack,
claim rules, scopes, token sources, the verified-token cache and nginx -t.
Every refusal also checks that the upstream never saw the request."""

import base64
import hashlib
import hmac
import json
import os
import time

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

import harness
import tokens


CONF = """
    server {
        listen 127.0.0.1:@PORT@;
        govern_audit @PREFIX@/audit.log buffer=0;
        @JWT@

        location /web/ {
            govern on;
            proxy_pass http://odoo;
        }

        location /scoped/ {
            govern on;
            govern_scopes orders:write;
            govern_scopes admin;
            govern_scopes stock:read stock:write;
            proxy_pass http://odoo/web/;
        }

        location /forward/ {
            govern on;
            govern_jwt_forward on;
            proxy_pass http://odoo/web/;
        }

        location /header/ {
            govern on;
            govern_jwt_token $http_x_partner_token;
            proxy_pass http://odoo/web/;
        }

        location /header-forward/ {
            govern on;
            govern_jwt_token $http_X_Partner_Token;
            govern_jwt_forward on;
            proxy_pass http://odoo/web/;
        }

        location /header-mixed/ {
            govern on;
            govern_jwt_token "$http_x_partner_token";
            proxy_pass http://odoo/web/;
        }

        location /claim/ {
            govern on;
            govern_partner_claim partner_id;
            proxy_pass http://odoo/web/;
        }
    }
"""


@pytest.fixture
def gw(nginx, odoo):
    return nginx(CONF, odoo=odoo)


def call(gw, token=None, path="/web/version", auth=None, headers=None):
    h = dict(headers or {})
    if auth is not None:
        h["Authorization"] = auth
    elif token is not None:
        h["Authorization"] = "Bearer " + token
    return requests.get(gw.url(path), headers=h)


def assert_refused(r, odoo, status, reason):
    assert r.status_code == status, r.text
    assert r.headers["Content-Type"] == "application/problem+json"
    body = r.json()
    assert body["reason"] == reason, body
    assert body["status"] == status
    assert body["request_id"] == r.headers["X-Request-Id"]
    assert r.headers["Cache-Control"] == "no-store"
    assert odoo.requests() == [], "a refused request reached the upstream"
    return body


def assert_401(r, odoo, reason):
    body = assert_refused(r, odoo, 401, reason)
    challenge = r.headers["WWW-Authenticate"]
    if reason == "token_missing":
        assert challenge == 'Bearer realm="govern"'
    else:
        assert challenge.startswith(
            'Bearer realm="govern", error="invalid_token", '
            'error_description="')
    return body


@pytest.mark.parametrize("alg", tokens.ALGS)
def test_every_algorithm_verifies(gw, odoo, keys, alg):
    r = call(gw, keys.token(alg))
    assert r.status_code == 200, r.text
    (rec,) = gw.wait_audit(1)
    assert rec["decision"] == "allow" and rec["kid"] == alg.lower()
    assert rec["partner"] == "acme"


@pytest.mark.parametrize("alg", ["RS256", "ES256", "HS256", "EdDSA"])
def test_token_without_kid_tries_keys_of_its_alg(gw, odoo, keys, alg):
    assert call(gw, keys.token(alg, kid=None)).status_code == 200


def test_alg_none_is_refused(gw, odoo, keys):
    claims = keys.claims()
    for header in ({"alg": "none"}, {"alg": "none", "kid": "rs256"},
                   {"alg": "None"}, {"alg": "NONE", "kid": "hs256"}):
        token = tokens.forge(header, claims, b"")
        assert_401(call(gw, token), odoo, "token_alg")


def test_hs256_signed_with_the_rsa_public_key_is_refused(nginx, odoo, keys):
    """The algorithm-confusion attack that both peer modules accept."""
    claims = keys.claims()

    def confused(kid):
        header = {"alg": "HS256", "typ": "JWT"}
        if kid:
            header["kid"] = kid
        signing = ".".join(
            tokens.b64(json.dumps(x).encode()) for x in (header, claims))
        sig = hmac.new(keys.rsa_pem, signing.encode(), hashlib.sha256)
        return signing + "." + tokens.b64(sig.digest())

    gw = nginx(CONF, odoo=odoo)
    assert_401(call(gw, confused("rs256")), odoo, "token_alg")
    assert_401(call(gw, confused(None)), odoo, "token_signature")

    # with the RSA key alone, pinned by alg= to RS256
    pem_only = nginx(CONF, odoo=odoo, extra={"JWT": keys.conf(
        "%s alg=RS256" % keys.rsa_pem_path)})
    assert_401(call(pem_only, confused(None)), odoo, "token_alg")
    assert call(pem_only, keys.token("RS256", kid=None)).status_code == 200


def test_tampered_payload_is_refused(gw, odoo, keys):
    head, _, sig = keys.token("RS256").split(".")
    evil = tokens.b64(json.dumps(keys.claims(sub="victim")).encode())
    assert_401(call(gw, "%s.%s.%s" % (head, evil, sig)), odoo,
               "token_signature")


def test_token_signed_by_another_key_with_same_kid(gw, odoo, keys):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = keys.token("RS256", key=other)
    assert_401(call(gw, token), odoo, "token_signature")


def test_unknown_kid(gw, odoo, keys):
    token = keys.token("RS256", kid="no-such-key")
    assert_401(call(gw, token), odoo, "token_signature")


def test_kid_of_a_key_pinned_to_another_alg(gw, odoo, keys):
    # signed by the RSA key with PS256, but naming the RS256 key's kid
    token = keys.token("PS256", kid="rs256")
    assert_401(call(gw, token), odoo, "token_alg")


@pytest.mark.parametrize("claims,reason", [
    ({"exp": -100}, "token_expired"),
    ({"exp": None}, "token_malformed"),
    ({"exp": "soon"}, "token_malformed"),
    ({"nbf": 100}, "token_not_yet_valid"),
    ({"iat": 100}, "token_not_yet_valid"),
    ({"iss": "https://evil.example"}, "token_issuer"),
    ({"iss": None}, "token_issuer"),
    ({"aud": "someone-else"}, "token_audience"),
    ({"aud": ["a", "b"]}, "token_audience"),
    ({"aud": None}, "token_audience"),
    ({"sub": None}, "token_partner"),
    ({"sub": ""}, "token_partner"),
    ({"sub": 42}, "token_partner"),
])
def test_claim_refusals(gw, odoo, keys, claims, reason):
    now = int(time.time())
    for k in ("exp", "nbf", "iat"):
        if isinstance(claims.get(k), int):
            claims[k] += now
    assert_401(call(gw, keys.token("ES256", **claims)), odoo, reason)


@pytest.mark.parametrize("claims", [
    {"exp": -10},                   # expired, but within the 30 s leeway
    {"nbf": 10},
    {"iat": 10},
    {"aud": ["other", "govern"]},
    {"exp": 300.5},                 # NumericDate may be fractional
])
def test_claims_within_rules(gw, odoo, keys, claims):
    now = int(time.time())
    for k in ("exp", "nbf", "iat"):
        if k in claims:
            claims[k] += now
    assert call(gw, keys.token("ES256", **claims)).status_code == 200


@pytest.mark.parametrize("claims", [
    {"scope": "orders:write"},
    {"scope": "orders:read   admin"},
    {"scp": "admin"},
    {"scp": ["x", "orders:write"]},
    {"scope": "stock:read", "scp": ["stock:write"]},
])
def test_scopes_satisfied(gw, odoo, keys, claims):
    claims.setdefault("scope", None)
    r = call(gw, keys.token("RS256", **claims), path="/scoped/version")
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("claims,named", [
    ({"scope": "orders:read"}, "orders:write"),
    ({"scope": "stock:read"}, "orders:write"),
    ({"scope": None}, "orders:write"),
    ({"scope": "orders:writer admin:x ORDERS:WRITE"}, "orders:write"),
    ({"scp": [["orders:write"]], "scope": None}, "orders:write"),
])
def test_scope_missing(gw, odoo, keys, claims, named):
    r = call(gw, keys.token("RS256", **claims), path="/scoped/version")
    body = assert_refused(r, odoo, 403, "scope_missing")
    assert r.headers["WWW-Authenticate"] == (
        'Bearer realm="govern", error="insufficient_scope", scope="%s"'
        % named)
    assert named in body["detail"]
    (rec,) = gw.wait_audit(1)
    assert rec["scopes_required"] == ["orders:write", "admin",
                                      "stock:read stock:write"]
    assert rec["reason"] == "scope_missing"


@pytest.mark.parametrize("auth,reason", [
    (None, "token_missing"),
    ("X", "token_missing"),
    ("Basic YWNtZTpzZWNyZXQ=", "token_missing"),
    ("Bearerx abc", "token_missing"),
    ("Bearer", "token_malformed"),
    ("Bearer    ", "token_malformed"),
    ("Bearer abc", "token_malformed"),
    ("Bearer a.b", "token_malformed"),
    ("Bearer a.b.c.d", "token_malformed"),
    ("Bearer !!!.???.***", "token_malformed"),
])
def test_bad_authorization_headers(gw, odoo, auth, reason):
    headers = {} if auth is None else {"Authorization": auth}
    r = requests.get(gw.url("/web/version"), headers=headers)
    assert_401(r, odoo, reason)


def test_segments_that_are_not_json(gw, odoo, keys):
    good = keys.token("RS256").split(".")
    for token in (
        tokens.b64(b"not json") + "." + good[1] + "." + good[2],
        tokens.b64(b"[1,2]") + "." + good[1] + "." + good[2],
        tokens.b64(b'{"alg":"RS256","alg":"HS256"}') + "." + good[1] + "."
        + good[2],
        good[0] + "." + good[1] + "." + good[2] + "=",
        good[0] + "=." + good[1] + "." + good[2],
    ):
        assert_401(call(gw, token), odoo, "token_malformed")


def test_crit_header_is_refused(gw, odoo, keys):
    token = keys.token("RS256", headers={"crit": ["exp"], "exp": 1})
    assert_401(call(gw, token), odoo, "token_malformed")


def test_scheme_is_case_insensitive(gw, odoo, keys):
    token = keys.token("RS256")
    for scheme in ("bearer", "BEARER", "BeArEr"):
        r = call(gw, auth="%s %s" % (scheme, token))
        assert r.status_code == 200


def test_huge_authorization_header(gw, odoo, keys):
    r = call(gw, auth="Bearer " + "a" * 16384)
    assert r.status_code in (400, 494)      # nginx's own header limit
    assert odoo.requests() == []


def test_token_over_8k_is_refused(nginx, odoo, keys):
    gw = nginx(CONF.replace("@JWT@", "@JWT@\n"
                            "        large_client_header_buffers 4 32k;"),
               odoo=odoo)
    token = keys.token("RS256", pad="x" * 9000)
    assert_401(call(gw, token), odoo, "token_malformed")


def test_authorization_not_forwarded_unless_asked(gw, odoo, keys):
    token = keys.token("RS256")
    assert call(gw, token).status_code == 200
    assert call(gw, token, path="/forward/version").status_code == 200
    first, second = odoo.requests()
    assert "authorization" not in first["headers"]
    assert second["headers"]["authorization"] == "Bearer " + token


def test_token_from_a_variable(gw, odoo, keys):
    token = keys.token("EdDSA")
    r = call(gw, path="/header/version",
             headers={"X-Partner-Token": token})
    assert r.status_code == 200
    odoo.reset()
    r = call(gw, token, path="/header/version")     # Authorization ignored
    assert_401(r, odoo, "token_missing")


def test_token_header_not_forwarded_unless_asked(gw, odoo, keys):
    """Like Authorization, the header a $http_NAME token came in stays at
    the gateway (every copy of it, whatever its case)."""
    import http.client
    import urllib.parse
    token = keys.token("RS256")
    for path in ("/header/version", "/header-mixed/version"):
        u = urllib.parse.urlsplit(gw.url(path))
        c = http.client.HTTPConnection(u.hostname, u.port, timeout=5)
        c.putrequest("GET", u.path)
        c.putheader("X-Partner-Token", token)
        c.putheader("x-partner-TOKEN", "a second copy")
        c.putheader("X-Other", "kept")
        c.endheaders()
        r = c.getresponse()
        assert r.status == 200, r.read()
        c.close()
    assert len(odoo.requests()) == 2
    for req in odoo.requests():
        assert "x-partner-token" not in req["headers"], req["headers"]
        assert req["headers"]["x-other"] == "kept"
    odoo.reset()
    r = call(gw, path="/header-forward/version",
             headers={"X-Partner-Token": token})
    assert r.status_code == 200
    (req,) = odoo.requests()
    assert req["headers"]["x-partner-token"] == token


def test_partner_claim(gw, odoo, keys):
    r = call(gw, keys.token("RS256", partner_id="globex"),
             path="/claim/version")
    assert r.status_code == 200
    assert gw.wait_audit(1)[0]["partner"] == "globex"
    odoo.reset()
    r = call(gw, keys.token("RS256"), path="/claim/version")
    assert_401(r, odoo, "token_partner")


def test_refusal_audit_never_holds_the_token(gw, odoo, keys):
    token = keys.token("RS256", iss="https://evil.example")
    assert_401(call(gw, token), odoo, "token_issuer")
    (rec,) = gw.wait_audit(1)
    assert rec["decision"] == "deny" and rec["reason"] == "token_issuer"
    assert rec["partner"] is None and rec["scopes_granted"] is None
    with open(os.path.join(gw.prefix, "audit.log")) as f:
        assert token.split(".")[2] not in f.read()
    log = gw.error_log()
    assert "token_issuer" in log and token.split(".")[2] not in log


def test_cached_token_stops_at_exp(nginx, odoo, keys):
    gw = nginx(CONF.replace("@JWT@", "@JWT@\n        govern_jwt_leeway 0;"),
               odoo=odoo)
    token = keys.token("RS256", exp=int(time.time()) + 2)
    assert call(gw, token).status_code == 200
    assert call(gw, token).status_code == 200       # from the cache
    time.sleep(3)
    odoo.reset()
    assert_401(call(gw, token), odoo, "token_expired")


def test_cached_token_refused_after_its_key_is_removed(nginx, odoo, keys,
                                                       tmp_path):
    gw = nginx(CONF, odoo=odoo)
    token = keys.token("RS256", kid=None)
    assert call(gw, token).status_code == 200
    assert call(gw, token).status_code == 200       # cached now

    others = [k for k in keys.jwks if k["kid"] != "rs256"]
    path = tmp_path / "rotated.json"
    path.write_text(json.dumps({"keys": others}))
    gw.write(CONF.replace("@JWT@", keys.conf(str(path))))
    old = gw.worker_pids()
    gw.reload()
    deadline = time.monotonic() + 10
    while gw.worker_pids() & old and time.monotonic() < deadline:
        time.sleep(0.05)
    odoo.reset()
    r = call(gw, token)
    assert r.status_code == 401 and r.json()["reason"] in (
        "token_signature", "token_alg")
    assert odoo.requests() == []


def test_cache_off_still_verifies(nginx, odoo, keys):
    gw = nginx("govern_jwt_cache off;\n" + CONF, odoo=odoo)
    token = keys.token("ES384")
    assert call(gw, token).status_code == 200
    assert call(gw, token).status_code == 200


def jwks_file(tmp_path, name, data):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return str(path)


def nginx_t_message(nginx, directives):
    gw = nginx("""
    server {
        listen 127.0.0.1:@PORT@;
        %s
        location / { govern on; return 204; }
    }
""" % directives, start=False)
    rc, out = gw.test_config()
    assert rc != 0, out
    gw.expect_bad_log = True
    (line,) = [l for l in out.splitlines() if "[emerg]" in l]
    return line, gw.conf


def conf_line(gw_conf, needle):
    """file:line of the first configuration line holding needle."""
    with open(gw_conf) as f:
        for n, text in enumerate(f, 1):
            if needle in text:
                return "%s:%d" % (gw_conf, n)
    raise AssertionError(needle)


def test_nginx_t_key_errors(nginx, keys, tmp_path):
    iss_aud = ("govern_jwt_issuer %s; govern_jwt_audience %s;"
               % (tokens.ISSUER, tokens.AUDIENCE))
    rs = [k for k in keys.jwks if k["kid"] == "rs256"][0]
    cases = [
        (str(tmp_path / "missing.json"),
         'cannot open key file "%s": No such file or directory'
         % (tmp_path / "missing.json")),
        (jwks_file(tmp_path, "bad.json", '{"keys": [}'),
         "malformed JWKS: "),
        (jwks_file(tmp_path, "nokeys.json", {"keys": []}),
         'malformed JWKS: no "keys" array'),
        (jwks_file(tmp_path, "noalg.json",
                   {"keys": [dict(rs, alg=None, kid="k1")]}
                   ).replace("null", "null"),
         None),
        (jwks_file(tmp_path, "unknown.json",
                   {"keys": [dict(rs, alg="RS1024")]}),
         'JWKS key #0 (kid "rs256"): unknown algorithm "RS1024"'),
        (jwks_file(tmp_path, "dup.json",
                   {"keys": [rs, dict(rs, alg="PS256")]}),
         'duplicate kid "rs256"'),
        (jwks_file(tmp_path, "none.json", {"keys": [dict(rs, alg="none")]}),
         'JWKS key #0 (kid "rs256"): unknown algorithm "none"'),
        (jwks_file(tmp_path, "rsa-hs.json",
                   {"keys": [dict(rs, alg="HS256")]}),
         'cannot be used with HS256: an HMAC algorithm needs a secret'),
        (keys.rsa_pem_path, "a PEM key or a secret needs alg="),
        (keys.rsa_pem_path + " alg=HS256",
         "key cannot be used with HS256: an HMAC algorithm needs a secret"),
        (keys.rsa_pem_path + " alg=ES256",
         "key cannot be used with ES256: not an EC key"),
        (keys.rsa_pem_path + " alg=XS256", 'unknown algorithm "XS256"'),
        (jwks_file(tmp_path, "short.secret", "tooshort") + " alg=HS256",
         "the secret is shorter than the hash"),
    ]
    for spec, message in cases:
        if message is None:
            # a JWK without alg, and no alg= to pin it
            data = {"keys": [{k: v for k, v in rs.items() if k != "alg"}]}
            spec = jwks_file(tmp_path, "noalg.json", data)
            message = ('JWKS key #0 (kid "rs256") has no "alg": pin it in '
                       'the JWK or with alg=')
        line, conf = nginx_t_message(
            nginx, "govern_jwt_keys %s; %s" % (spec, iss_aud))
        assert message in line, (spec, line)
        assert line.endswith(" in " + conf_line(conf, "govern_jwt_keys")), \
            line


def test_nginx_t_missing_issuer_audience_keys(nginx, keys):
    for directives, missing in [
        ("govern_jwt_keys %s; govern_jwt_audience a;" % keys.jwks_path,
         "govern_jwt_issuer"),
        ("govern_jwt_keys %s; govern_jwt_issuer a;" % keys.jwks_path,
         "govern_jwt_audience"),
        ("govern_jwt_issuer a; govern_jwt_audience a;", "govern_jwt_keys"),
    ]:
        line, conf = nginx_t_message(nginx, directives)
        assert line.endswith('"%s" is required where "govern" is on in %s'
                             % (missing, conf_line(conf, "govern on"))), line


def test_nginx_t_other_jwt_directives(nginx, keys):
    for directives, message in [
        ("govern_jwt_cache 1k;", 'invalid govern_jwt_cache size "1k"'),
        ("govern_jwt_leeway soon;", 'invalid value'),
        ("govern_jwt_keys %s sideways;" % keys.jwks_path,
         'invalid parameter "sideways"'),
    ]:
        gw = nginx("""
    %s
    server {
        listen 127.0.0.1:@PORT@;
        location / { return 204; }
    }
""" % directives if "cache" in directives else """
    server {
        listen 127.0.0.1:@PORT@;
        %s
        location / { return 204; }
    }
""" % directives, start=False)
        rc, out = gw.test_config()
        gw.expect_bad_log = True
        assert rc != 0 and message in out, out
