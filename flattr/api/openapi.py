"""The OpenAPI 3 description of /rest/v2, written by hand from Flattr's documentation.

tests/flattr/api/test_openapi.py validates it and runs schemathesis against it, so a response
off this description fails the suite.
"""

from __future__ import annotations


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str = "OK") -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERROR = _json(_ref("Error"), "Error")
PAGING = [
    {"name": "count", "in": "query", "schema": {"type": "string"}},
    {"name": "page", "in": "query", "schema": {"type": "string"}},
    {"name": "full", "in": "query", "schema": {"type": "string"}},
]
ID = {"name": "thing_id", "in": "path", "required": True, "schema": {"type": "integer"}}
USERNAME = {"name": "username", "in": "path", "required": True, "schema": {"type": "string"}}
NULLABLE_USER_MINI = {"anyOf": [_ref("UserMini"), {"type": "null"}]}
NULLABLE_USER = {"anyOf": [_ref("User"), _ref("UserMini"), {"type": "null"}]}

SCHEMAS = {
    "Error": {
        "type": "object",
        "required": ["error", "error_description"],
        "properties": {
            "error": {"type": "string"},
            "error_description": {"type": "string"},
            "error_uri": {"type": "string"},
        },
    },
    "UserMini": {
        "type": "object",
        "required": ["type", "resource", "link", "username"],
        "properties": {
            "type": {"const": "user"},
            "resource": {"type": "string"},
            "link": {"type": "string"},
            "username": {"type": "string"},
        },
    },
    "User": {
        "allOf": [_ref("UserMini")],
        "type": "object",
        "required": ["firstname", "lastname", "avatar", "about", "city", "country", "url"],
        "properties": {
            "firstname": {"type": "string"},
            "lastname": {"type": "string"},
            "avatar": {"type": "string"},
            "about": {"type": "string"},
            "city": {"type": "string"},
            "country": {"type": "string"},
            "url": {"type": "string"},
            "email": {"type": "string"},
            "registered_at": {"type": "integer"},
        },
    },
    "ThingMini": {
        "type": "object",
        "required": ["type", "resource", "link", "id", "url", "title", "image", "flattrs"],
        "properties": {
            "type": {"const": "thing"},
            "resource": {"type": "string"},
            "link": {"type": "string"},
            "id": {"type": "integer"},
            "url": {"type": "string"},
            "title": {"type": "string"},
            "image": {"type": "string"},
            "flattrs": {"type": "integer"},
            "owner": NULLABLE_USER_MINI,
        },
    },
    "Thing": {
        "allOf": [_ref("ThingMini")],
        "type": "object",
        "required": [
            "flattrs_user_count",
            "description",
            "tags",
            "language",
            "category",
            "created_at",
            "owner",
            "hidden",
        ],
        "properties": {
            "flattrs_user_count": {"type": "integer"},
            "description": {"type": "string"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "language": {"type": "string"},
            "category": {"type": "string"},
            "created_at": {"type": "integer"},
            "owner": NULLABLE_USER,
            "hidden": {"type": "boolean"},
            "flattred": {"type": "boolean"},
            "subscribed": {"type": "boolean"},
            "last_flattr_at": {"type": "integer"},
            "updated_at": {"type": "integer"},
        },
    },
    "Flattr": {
        "type": "object",
        "required": ["type", "thing", "owner", "created_at"],
        "properties": {
            "type": {"const": "flattr"},
            "thing": _ref("ThingMini"),
            "owner": {"anyOf": [_ref("User"), _ref("UserMini")]},
            "created_at": {"type": "integer"},
        },
    },
    "Subscription": {
        "type": "object",
        "required": ["type", "active", "created_at", "started_at", "thing"],
        "properties": {
            "type": {"const": "subscription"},
            "active": {"type": "boolean"},
            "created_at": {"type": "integer"},
            "started_at": {"type": "integer"},
            "thing": _ref("Thing"),
        },
    },
    "Activities": {
        "type": "object",
        "required": ["items"],
        "properties": {
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["published", "title", "actor", "verb", "object", "id"],
                },
            }
        },
    },
    "Message": {
        "type": "object",
        "required": ["message", "description"],
        "properties": {"message": {"type": "string"}, "description": {"type": "string"}},
    },
    "IdText": {
        "type": "array",
        "items": {
            "type": "object",
            "required": ["id", "text"],
            "properties": {"id": {"type": "string"}, "text": {"type": "string"}},
        },
    },
}


def _op(summary: str, ok: dict, *, errors=(400, 401, 403, 404), parameters=(), body=False,
        secured: bool = False, ok_status: str = "200") -> dict:  # fmt: skip
    operation = {
        "summary": summary,
        "parameters": list(parameters),
        "responses": {ok_status: ok, **{str(code): ERROR for code in errors}},
    }
    if secured:
        operation["security"] = [{"oauth2": []}]
    if body:
        schema = {"type": "object", "additionalProperties": True}
        operation["requestBody"] = {
            "required": False,
            "content": {
                "application/json": {"schema": schema},
                "application/x-www-form-urlencoded": {"schema": schema},
            },
        }
    return operation


def _list(name: str) -> dict:
    return _json({"type": "array", "items": _ref(name)})


def openapi_document(*, server: str) -> dict:
    """Return the OpenAPI 3.1 document with `server` as its base URL."""
    paths = {
        "/things/{thing_id}": {
            "get": _op("A thing", _json(_ref("Thing")), parameters=[ID, *PAGING]),
            "patch": _op(
                "Change a thing (scope thing)",
                _json(_ref("Message")),
                parameters=[ID],
                body=True,
                secured=True,
            ),
            "delete": _op(
                "Delete a thing (scope thing)",
                {"description": "Deleted"},
                parameters=[ID],
                secured=True,
                ok_status="204",
            ),
        },
        "/things": {
            "post": _op(
                "Create a thing (scope thing)",
                _json(
                    {"type": "object", "required": ["id", "link", "message", "description"]},
                    "Created",
                ),
                body=True,
                secured=True,
                ok_status="201",
            ),
        },
        "/things/lookup": {
            "get": _op(
                "Find the thing of a URL",
                {"description": "Found (Location)"},
                parameters=[{"name": "url", "in": "query", "schema": {"type": "string"}}],
                ok_status="302",
            ),
        },
        "/things/search": {
            "get": _op(
                "Search things",
                _json(
                    {
                        "type": "object",
                        "required": ["total_items", "items", "page", "things"],
                        "properties": {"things": {"type": "array", "items": _ref("Thing")}},
                    }
                ),
                parameters=[
                    *PAGING,
                    *(
                        {"name": n, "in": "query", "schema": {"type": "string"}}
                        for n in ("query", "url", "tags", "language", "category", "user", "sort")
                    ),
                ],
            ),
        },
        "/things/{thing_id}/flattr": {
            "post": _op(
                "Flattr a thing (scope flattr)",
                _json(_ref("Message")),
                parameters=[ID],
                secured=True,
            ),
        },
        "/things/{thing_id}/flattrs": {
            "get": _op("Flattrs of a thing", _list("Flattr"), parameters=[ID, *PAGING]),
        },
        "/things/{thing_id}/subscriptions": {
            "post": _op("Subscribe", _json(_ref("Message")), parameters=[ID], secured=True),
            "put": _op("Pause or restart", _json(_ref("Message")), parameters=[ID], secured=True),
            "delete": _op(
                "Unsubscribe",
                {"description": "Ended"},
                parameters=[ID],
                secured=True,
                ok_status="204",
            ),
        },
        "/flattr": {
            "post": _op(
                "Flattr a URL (scope flattr)", _json(_ref("Message")), body=True, secured=True
            ),
        },
        "/users/{username}": {"get": _op("A user", _json(_ref("User")), parameters=[USERNAME])},
        "/users/{username}/things": {
            "get": _op("A user's things", _list("Thing"), parameters=[USERNAME, *PAGING])
        },
        "/users/{username}/flattrs": {
            "get": _op("A user's flattrs", _list("Flattr"), parameters=[USERNAME, *PAGING])
        },
        "/users/{username}/activities": {
            "get": _op(
                "A user's activities", _json(_ref("Activities")), parameters=[USERNAME, *PAGING]
            ),
        },
        "/user": {"get": _op("You", _json(_ref("User")), secured=True)},
        "/user/things": {
            "get": _op("Your things", _list("Thing"), parameters=PAGING, secured=True)
        },
        "/user/flattrs": {
            "get": _op("Your flattrs", _list("Flattr"), parameters=PAGING, secured=True)
        },
        "/user/subscriptions": {
            "get": _op("Your subscriptions", _list("Subscription"), parameters=PAGING, secured=True)
        },
        "/user/activities": {
            "get": _op(
                "Your activities", _json(_ref("Activities")), parameters=PAGING, secured=True
            )
        },
        "/categories": {"get": _op("Categories", _json(_ref("IdText")))},
        "/languages": {"get": _op("Languages", _json(_ref("IdText")))},
        "/rate_limit": {
            "get": _op(
                "Your rate limit",
                _json(
                    {
                        "type": "object",
                        "required": [
                            "hourly_limit",
                            "remaining_hits",
                            "current_hits",
                            "reset_time_in_seconds",
                            "reset_time",
                        ],
                    }
                ),
            ),
        },
    }
    for item in paths.values():
        for operation in item.values():
            operation["responses"].setdefault("405", ERROR)
            operation["responses"].setdefault("406", ERROR)
    site = server.rsplit("/rest/v2", 1)[0]
    return {
        "openapi": "3.1.0",
        "info": {"title": "Flattr REST API", "version": "2"},
        "servers": [{"url": server}],
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "oauth2": {
                    "type": "oauth2",
                    "flows": {
                        "authorizationCode": {
                            "authorizationUrl": server.rsplit("/rest/v2", 1)[0]
                            + "/oauth/authorize",
                            "tokenUrl": site + "/oauth/token",
                            "scopes": {
                                "flattr": "flattr and subscribe",
                                "thing": "create, change and delete things",
                                "email": "your email address",
                                "extendedread": "private fields and hidden things",
                            },
                        }
                    },
                }
            },
        },
    }
