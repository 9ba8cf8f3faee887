"""API versions: Deprecation (RFC 9745), Sunset (RFC 8594), 410 after the
sunset with nothing reaching Odoo, and nginx -t date checks."""

import calendar
import datetime
import email.utils

import pytest
import requests


def day(offset):
    d = datetime.datetime.now(datetime.timezone.utc).date() \
        + datetime.timedelta(days=offset)
    return d.isoformat()


def epoch(date):
    return calendar.timegm(datetime.date.fromisoformat(date).timetuple())


CONF = """
    server {
        listen 127.0.0.1:@PORT@;
        govern_audit @PREFIX@/audit.log buffer=0;
        @JWT@

        location /v1/ {
            govern on;
            govern_api_version v1 deprecated=@PAST@ sunset=@FUTURE@
                               link=https://developer.retail.example/v1;
            proxy_pass http://odoo/web/;
        }

        location /v0/ {
            govern on;
            govern_api_version v0 deprecated=2020-01-01 sunset=@PAST@
                               link=https://developer.retail.example/v0;
            proxy_pass http://odoo/web/;
        }

        location /v2/ {
            govern on;
            govern_api_version v2 deprecated=@FUTURE@;
            proxy_pass http://odoo/web/;
        }

        location /v3/ {
            govern on;
            govern_api_version v3;
            proxy_pass http://odoo/web/;
        }
    }
"""


@pytest.fixture
def gw(nginx, odoo):
    return nginx(CONF, odoo=odoo,
                 extra={"PAST": day(-2), "FUTURE": day(30)})


def test_deprecated_version_headers(gw, odoo, api):
    r = api.get(gw.url("/v1/version"))
    assert r.status_code == 200
    assert r.headers["Deprecation"] == "@%d" % epoch(day(-2))
    assert r.headers["Sunset"] == email.utils.formatdate(epoch(day(30)),
                                                         usegmt=True)
    assert r.headers["Link"] == ('<https://developer.retail.example/v1>; '
                                 'rel="deprecation"; type="text/html"')
    (rec,) = gw.wait_audit(1)
    assert rec["api_version"] == "v1" and rec["deprecated"] is True


def test_sunset_version_is_gone(gw, odoo, api):
    r = api.get(gw.url("/v0/version"))
    assert r.status_code == 410
    body = r.json()
    assert body["reason"] == "version_sunset"
    assert r.headers["Sunset"] == email.utils.formatdate(epoch(day(-2)),
                                                         usegmt=True)
    assert r.headers["Link"].startswith(
        '<https://developer.retail.example/v0>; rel="sunset"')
    assert r.headers.get("Deprecation") is None
    assert odoo.requests() == []
    (rec,) = gw.wait_audit(1)
    assert rec["reason"] == "version_sunset" and rec["api_version"] == "v0"


def test_not_yet_deprecated_and_plain_versions(gw, odoo, api):
    r = api.get(gw.url("/v2/version"))
    assert r.status_code == 200
    for h in ("Deprecation", "Sunset", "Link"):
        assert h not in r.headers
    r = api.get(gw.url("/v3/version"))
    assert r.status_code == 200 and "Deprecation" not in r.headers
    recs = gw.wait_audit(2)
    assert [(x["api_version"], x["deprecated"]) for x in recs] == \
        [("v2", False), ("v3", False)]


def test_rfc3339_dates(nginx, odoo, api):
    gw = nginx(CONF.replace("deprecated=@PAST@",
                            "deprecated=2020-01-01T12:30:00+02:00"),
               odoo=odoo, extra={"PAST": day(-2), "FUTURE": day(30)})
    r = api.get(gw.url("/v1/version"))
    assert r.headers["Deprecation"] == "@%d" % (
        calendar.timegm((2020, 1, 1, 10, 30, 0)))


@pytest.mark.parametrize("params,message", [
    ("deprecated=2026-02-30", 'invalid date "deprecated=2026-02-30"'),
    ("sunset=tomorrow", 'invalid date "sunset=tomorrow"'),
    ("sunset=2026-01-01T25:00:00Z", 'invalid date'),
    ("deprecated=2026-01-01T10:00:00", 'invalid date'),
    ("deprecated=2027-01-01 sunset=2026-01-01",
     '"govern_api_version" directive has a sunset before its deprecation'),
    ("until=2026-01-01", 'invalid parameter "until=2026-01-01"'),
])
def test_nginx_t_version_errors(nginx, params, message):
    gw = nginx("""
    server {
        listen 127.0.0.1:@PORT@;
        @JWT@
        location / {
            govern on;
            govern_api_version v9 %s;
            return 204;
        }
    }
""" % params, start=False)
    rc, out = gw.test_config()
    gw.expect_bad_log = True
    assert rc != 0 and message in out, out
