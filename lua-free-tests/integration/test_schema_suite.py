"""The official JSON Schema Test Suite through real nginx: every group of
the required 2020-12 and draft-07 tests becomes a schema file and a
location (nginx -t must take them all, checking each against its
metaschema), and every test instance is posted: 2xx when the suite says
valid, 422 when invalid.  Read in place from ../shared (skipped without
it).  Left out, with their count asserted: groups that reference the
suite's remotes on http://localhost:1234 (govern never fetches from the
network), and the tests that take "format" as an annotation (govern
asserts formats).  Instances holding U+0000 are refused by the gateway
before any schema (400 json_malformed), and that is asserted too."""

import json
import os
import urllib.parse

import pytest

import harness

SUITE = next((p for p in (
    os.environ.get("GOVERN_SUITE", ""),
    os.path.join(harness.ROOT, "..", "shared", "conformance",
                 "json-schema-test-suite"),
    "/work/shared/conformance/json-schema-test-suite") if p and
    os.path.isdir(p)), None)

REMOTE = "http://localhost:1234/"
DRAFT7 = "http://json-schema.org/draft-07/schema#"
ANNOTATION = "is only an annotation by default"


def remote_refs(schema, base):
    """Whether the schema reaches the suite's remotes: a $ref,
    $dynamicRef or $schema under localhost:1234 that none of its own
    $id's defines."""
    ids, refs = set(), []

    def walk(node, base):
        if isinstance(node, dict):
            if isinstance(node.get("$id"), str):
                base = urllib.parse.urljoin(base, node["$id"])
                ids.add(base.split("#")[0])
            for key in ("$ref", "$dynamicRef", "$schema"):
                if isinstance(node.get(key), str):
                    refs.append(urllib.parse.urljoin(base, node[key]))
            for value in node.values():
                walk(value, base)
        elif isinstance(node, list):
            for value in node:
                walk(value, base)

    walk(schema, base)
    return any(r.startswith(REMOTE) and r.split("#")[0] not in ids
               for r in refs)


def cases(tmp_path):
    """(location, schema file, [(body, expected status)]) per group, and
    the counts of what is left out."""
    out, skipped_groups, annotations = [], 0, 0
    for draft in ("draft2020-12", "draft7"):
        folder = os.path.join(SUITE, "tests", draft)
        for name in sorted(os.listdir(folder)):
            if not name.endswith(".json"):
                continue
            with open(os.path.join(folder, name)) as f:
                groups = json.load(f)
            for i, group in enumerate(groups):
                schema = group["schema"]
                if remote_refs(schema, "file://" + str(tmp_path) + "/"):
                    skipped_groups += 1
                    continue
                if (draft == "draft7" and isinstance(schema, dict)
                        and "$schema" not in schema):
                    schema = dict(schema, **{"$schema": DRAFT7})
                location = "/%s/%s/%d" % (draft, name[:-5], i)
                path = tmp_path / ("%s-%s-%d.json" % (draft, name[:-5], i))
                path.write_text(json.dumps(schema))
                posts = []
                for test in group["tests"]:
                    if ANNOTATION in test["description"]:
                        annotations += 1
                        continue
                    body = json.dumps(test["data"])
                    status = (400 if "\\u0000" in body
                              else 204 if test["valid"] else 422)
                    posts.append((body.encode(), status,
                                  test["description"]))
                out.append((location, path, posts, group["description"]))
    return out, skipped_groups, annotations


@pytest.mark.skipif(SUITE is None, reason="JSON Schema Test Suite not found")
def test_suite_through_nginx(nginx, api, tmp_path):
    groups, skipped, annotations = cases(tmp_path)

    # what is left out is known: the remotes' groups, the annotation tests
    assert skipped <= 40 and annotations == 19, (skipped, annotations)
    assert len(groups) > 600

    locations = "".join("""
        location = %s {
            govern on;
            govern_schema %s;
            proxy_pass http://127.0.0.1:@PORT@/ok;
        }""" % (location, path) for location, path, _, _ in groups)
    gw = nginx("""
    server {
        listen 127.0.0.1:@PORT@;
        client_max_body_size 1m;
        @JWT@
        %s
        location = /ok {
            return 204;
        }
    }
""" % locations)

    wrong, posted = [], 0
    for location, _, posts, description in groups:
        for body, status, test in posts:
            r = api.post(gw.url(location), data=body,
                         headers={"Content-Type": "application/json"})
            posted += 1
            if r.status_code != status:
                wrong.append("%s (%s / %s): %d, expected %d: %s" % (
                    location, description, test, r.status_code, status,
                    r.text[:200]))
    assert not wrong, "\n".join(wrong)
    assert posted > 2000
