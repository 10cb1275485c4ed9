"""GET /openapi.json: a valid OpenAPI 3 document of every route, built from the rules the routes enforce."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import jsonschema
import pytest
from openapi_spec_validator import validate

from functions import app as app_module


@pytest.fixture(scope="module")
def document(client) -> dict:
    response = client.http.get("/openapi.json")
    assert response.status_code == 200
    return json.loads(response.body)


def test_the_document_is_valid_openapi_3(document):
    validate(document)  # raises on any violation of the OpenAPI 3.0 schema
    assert document["openapi"].startswith("3.")


def test_every_route_is_documented_and_nothing_else(document):
    served = {(path, method.lower()) for path, entry in app_module.app.routes.items() for method in entry}
    documented = {(path, method) for path, ops in document["paths"].items() for method in ops}
    assert served == documented
    ids = [op["operationId"] for ops in document["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids))


def _valid_value(schema: dict) -> object:
    """A value the schema says is allowed: its example, first enum value or lower bound."""
    for key in ("example", "default"):
        if key in schema:
            return schema[key]
    if "enum" in schema:
        return schema["enum"][0]
    if "minimum" in schema:
        return schema["minimum"]
    return "x"


def _query(op: dict, **override: object) -> str:
    values = {p["name"]: _valid_value(p["schema"]) for p in op["parameters"] if p["in"] == "query" and p["required"]}
    values.update(override)
    return "?" + urlencode({k: v for k, v in values.items() if v is not None}) if values else ""


def _path(path: str, op: dict) -> str:
    for p in op["parameters"]:
        if p["in"] == "path":
            path = path.replace("{" + p["name"] + "}", "1" if p["schema"]["type"] == "integer" else "ns1")
    return path


def _gets(document: dict):
    for path, ops in document["paths"].items():
        if "get" in ops:
            yield path, ops["get"]


def test_documented_values_are_accepted_and_documented_bounds_enforced(client, document):
    """The document and the parsers agree: every enum value and both bounds of every number pass; one past a bound
    and a value outside an enum are a 400 naming the parameter; a required parameter left out is a 400."""
    checked = 0
    for path, op in _gets(document):
        url = _path(path, op)
        for p in (p for p in op["parameters"] if p["in"] == "query"):
            name, schema = p["name"], p["schema"]
            good = list(schema.get("enum", []))
            bad: list[object] = ["not-one-of-them"] if "enum" in schema else []
            if schema["type"] in ("integer", "number"):
                good += [schema["minimum"], schema["maximum"]]
                bad += [schema["minimum"] - 1, schema["maximum"] + 1]
            for value in good:
                response = client.http.get(url + _query(op, **{name: value}))
                refused = response.status_code == 400 and json.loads(response.body)["parameter"] == name
                assert not refused, (path, name, value, response.body)
                checked += 1
            for value in bad:
                response = client.http.get(url + _query(op, **{name: value}))
                body = json.loads(response.body)
                assert response.status_code == 400 and body["parameter"] == name, (path, name, value, body)
                checked += 1
            if p["required"]:
                response = client.http.get(url + _query(op, **{name: None}))
                assert response.status_code == 400 and json.loads(response.body)["parameter"] == name
        for p in (p for p in op["parameters"] if p["in"] == "path" and "maxLength" in p["schema"]):
            too_long = path.replace("{" + p["name"] + "}", "x" * (p["schema"]["maxLength"] + 1))
            response = client.http.get(_path(too_long, op) + _query(op))
            assert response.status_code == 400 and json.loads(response.body)["parameter"] == p["name"]
    assert checked > 50


def test_the_new_viewer_body_schema_matches_the_body_rules(client, document):
    schema = document["paths"]["/recommendations"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    example = {"ratings": {"ns1": 4.5}, "k": 3, "platforms": ["netflix", "hulu"], "type": "movie", "audience": "kids"}
    jsonschema.validate(example, schema)
    response = client.http.post("/recommendations", body=json.dumps(example),
                                headers={"Content-Type": "application/json"})
    assert response.status_code == 200, response.body
    for bad in ({"ratings": {}}, {"ratings": {"ns1": 6}}, {"ratings": {"ns1": 4}, "k": 0},
                {"ratings": {"ns1": 4}, "colour": "red"}, {"ratings": {"ns1": 4}, "audience": "toddlers"}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, schema)
        response = client.http.post("/recommendations", body=json.dumps(bad), headers={"Content-Type": "application/json"})
        assert response.status_code == 400, (bad, response.body)


def test_every_parser_a_route_uses_has_a_schema():
    from chalicelib import params

    routes = [v for v in vars(params).values() if isinstance(v, params.Route)]
    for route in routes:
        for parser in route.parsers.values():
            assert parser in params.SCHEMAS, parser.__name__
