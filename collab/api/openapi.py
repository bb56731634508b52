"""The OpenAPI 3.1 description of the JSON API, and a self-contained page that renders it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route

_ROOM = {
    "name": "room",
    "in": "path",
    "required": True,
    "schema": {"$ref": "#/components/schemas/RoomName"},
}


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }


def _json(schema: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


_NOT_FOUND = _problem("No such room or version")
_VERSION = {
    "name": "version",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1},
}
_UNPROCESSABLE = _problem("Invalid parameters or body")
_STATE_VECTOR = _json("StateVector", "Applied and committed; the room's new state vector")

_SCHEMAS: dict[str, Any] = {
    "Base64Url": {"type": "string", "pattern": "^[A-Za-z0-9_-]+$", "description": "unpadded"},
    "RoomName": {
        "type": "string",
        "pattern": "^[A-Za-z0-9][A-Za-z0-9._~:@+-]{0,127}$",
        "description": "1-128 URL-safe characters starting with a letter or digit",
    },
    "DocumentKind": {
        "type": "string",
        "enum": ["text", "rich"],
        "description": "text: a Y.Text at content (the CodeMirror editor); rich: an XmlFragment "
        "at content (Tiptap, ProseMirror). A room holding an XmlFragment is rich whoever "
        "created it; otherwise it has the kind it was created with (text when none was asked)",
    },
    "NewRoom": {
        "type": "object",
        "additionalProperties": False,
        "properties": {"kind": {"$ref": "#/components/schemas/DocumentKind"}},
    },
    "Room": {
        "type": "object",
        "required": ["name", "kind", "created_at", "updated_at", "size_bytes", "clients"],
        "properties": {
            "name": {"$ref": "#/components/schemas/RoomName"},
            "kind": {"$ref": "#/components/schemas/DocumentKind"},
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time", "description": "last edit"},
            "size_bytes": {"type": "integer", "description": "stored state plus update log"},
            "clients": {"type": "integer", "description": "connected WebSocket clients"},
        },
    },
    "RoomPage": {
        "type": "object",
        "required": ["items", "next_cursor"],
        "properties": {
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/Room"}},
            "next_cursor": {"type": ["string", "null"], "description": "pass as ?cursor="},
        },
    },
    "StateVector": {
        "type": "object",
        "required": ["state_vector"],
        "properties": {"state_vector": {"type": "string", "description": "base64url, unpadded"}},
    },
    "Copy": {
        "type": "object",
        "required": ["to"],
        "properties": {"to": {"$ref": "#/components/schemas/RoomName"}},
    },
    "TextOp": {
        "oneOf": [
            {
                "type": "object",
                "required": ["op", "index", "text"],
                "additionalProperties": False,
                "properties": {
                    "op": {"const": "insert"},
                    "index": {"type": "integer", "minimum": 0},
                    "text": {"type": "string"},
                },
            },
            {
                "type": "object",
                "required": ["op", "index", "length"],
                "additionalProperties": False,
                "properties": {
                    "op": {"const": "delete"},
                    "index": {"type": "integer", "minimum": 0},
                    "length": {"type": "integer", "minimum": 0},
                },
            },
        ],
        "description": "Indexes count Unicode code points of `content`, applied in order.",
    },
    "TextEdit": {
        "oneOf": [
            {
                "type": "object",
                "required": ["ops"],
                "additionalProperties": False,
                "properties": {
                    "ops": {"type": "array", "items": {"$ref": "#/components/schemas/TextOp"}}
                },
            },
            {
                "type": "object",
                "required": ["text"],
                "additionalProperties": False,
                "properties": {
                    "text": {
                        "type": "string",
                        "description": "new full text, applied as a minimal diff",
                    }
                },
            },
        ]
    },
    "Version": {
        "type": "object",
        "required": [
            "id",
            "room",
            "created_at",
            "kind",
            "label",
            "author",
            "authors",
            "size_bytes",
        ],
        "properties": {
            "id": {"type": "integer"},
            "room": {"$ref": "#/components/schemas/RoomName"},
            "created_at": {"type": "string", "format": "date-time"},
            "kind": {"enum": ["auto", "named", "restore"]},
            "label": {"type": ["string", "null"]},
            "author": {"type": ["string", "null"], "description": "who saved or restored it"},
            "authors": {
                "type": "array",
                "items": {"type": "string"},
                "description": "people whose edits it holds since the previous version",
            },
            "size_bytes": {"type": "integer", "description": "stored (compressed) state"},
        },
    },
    "VersionPage": {
        "type": "object",
        "required": ["items", "next_cursor"],
        "properties": {
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/Version"}},
            "next_cursor": {"type": ["string", "null"]},
        },
    },
    "VersionWithText": {
        "allOf": [
            {"$ref": "#/components/schemas/Version"},
            {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}},
        ]
    },
    "NewVersion": {
        "type": "object",
        "required": ["label"],
        "properties": {
            "label": {"type": "string", "minLength": 1, "maxLength": 256},
            "author": {"type": "string", "maxLength": 256},
        },
    },
    "DiffOp": {
        "type": "object",
        "required": ["op", "text"],
        "properties": {"op": {"enum": ["equal", "insert", "delete"]}, "text": {"type": "string"}},
    },
    "Diff": {
        "type": "object",
        "required": ["from", "to", "lines", "chars", "stats"],
        "properties": {
            "from": {"type": "integer"},
            "to": {"type": ["integer", "null"], "description": "null: the current document"},
            "lines": {"type": "array", "items": {"$ref": "#/components/schemas/DiffOp"}},
            "chars": {"type": "array", "items": {"$ref": "#/components/schemas/DiffOp"}},
            "stats": {
                "type": "object",
                "properties": {
                    "inserted_chars": {"type": "integer"},
                    "deleted_chars": {"type": "integer"},
                },
            },
        },
    },
    "Restore": {
        "type": "object",
        "required": ["changed", "safety", "restored", "state_vector"],
        "properties": {
            "changed": {"type": "boolean"},
            "safety": {"$ref": "#/components/schemas/Version"},
            "restored": {"$ref": "#/components/schemas/Version"},
            "state_vector": {"type": "string"},
        },
    },
    "Problem": {
        "type": "object",
        "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "instance": {"type": "string"},
        },
    },
    "Health": {
        "type": "object",
        "required": ["status", "rooms", "room_loads", "connections", "pending_writes"],
        "properties": {
            "status": {"const": "ok"},
            "rooms": {"type": "integer"},
            "room_loads": {"type": "integer"},
            "connections": {"type": "integer"},
            "pending_writes": {"type": "integer"},
            "awareness_dropped": {
                "type": "integer",
                "description": "awareness messages over the rate limit, in loaded rooms",
            },
        },
    },
}

_SNAPSHOT_CONTENT = {
    "application/json": {"schema": {"type": "object", "description": "every root type as JSON"}},
    "text/plain": {
        "schema": {"type": "string", "description": "`content` as text (rich: a line per block)"}
    },
    "text/markdown": {
        "schema": {"type": "string", "description": "`content` as Markdown (rich text rendered)"}
    },
    "text/html": {
        "schema": {"type": "string", "description": "`content` as HTML (plain text: a <pre>)"}
    },
    "application/octet-stream": {
        "schema": {"type": "string", "contentEncoding": "binary", "description": "Yjs update (v1)"}
    },
}

_PATHS: dict[str, Any] = {
    "/api/rooms": {
        "get": {
            "operationId": "listRooms",
            "summary": "List rooms, most recently edited first",
            "parameters": [
                {
                    "name": "limit",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50},
                },
                {
                    "name": "cursor",
                    "in": "query",
                    "schema": {"$ref": "#/components/schemas/Base64Url"},
                },
                {"name": "prefix", "in": "query", "schema": {"type": "string"}},
            ],
            "responses": {"200": _json("RoomPage", "A page of rooms"), "422": _UNPROCESSABLE},
        }
    },
    "/api/rooms/{room}": {
        "parameters": [_ROOM],
        "get": {
            "operationId": "getRoom",
            "summary": "A room's metadata",
            "responses": {"200": _json("Room", "The room"), "404": _NOT_FOUND},
        },
        "put": {
            "operationId": "createRoom",
            "summary": "Create a room (idempotent), optionally of a kind",
            "requestBody": {
                "required": False,
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/NewRoom"}}
                },
            },
            "responses": {
                "201": _json("Room", "Created"),
                "200": _json("Room", "Already existed: returned as it is, its kind unchanged"),
                "404": _NOT_FOUND,
                "422": _UNPROCESSABLE,
            },
        },
        "delete": {
            "operationId": "deleteRoom",
            "summary": "Delete a room and all it stores; its clients are closed with 4410",
            "responses": {"204": {"description": "Deleted"}, "404": _NOT_FOUND},
        },
    },
    "/api/rooms/{room}/copy": {
        "parameters": [_ROOM],
        "post": {
            "operationId": "copyRoom",
            "summary": "Copy the committed state into a new room",
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Copy"}}},
            },
            "responses": {
                "201": _json("Room", "The new room"),
                "404": _NOT_FOUND,
                "409": _problem("The target room exists"),
                "413": _problem("Body too large"),
                "422": _UNPROCESSABLE,
            },
        },
    },
    "/api/rooms/{room}/snapshot": {
        "parameters": [_ROOM],
        "get": {
            "operationId": "getSnapshot",
            "summary": "The committed document as text, Markdown, HTML, JSON or a Yjs update",
            "parameters": [
                {
                    "name": "format",
                    "in": "query",
                    "schema": {"enum": ["text", "markdown", "html", "json", "yjs"]},
                    "description": "overrides Accept",
                },
                {
                    "name": "since",
                    "in": "query",
                    "schema": {"type": "string"},
                    "description": "base64url state vector: return only the missing update",
                },
                {"name": "If-None-Match", "in": "header", "schema": {"type": "string"}},
                {
                    "name": "version",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 1},
                    "description": "serve this past version instead of the current document",
                },
            ],
            "responses": {
                "200": {
                    "description": "The snapshot; a strong ETag over the whole encoded state",
                    "headers": {
                        "ETag": {"schema": {"type": "string"}},
                        "X-State-Vector": {"schema": {"type": "string"}},
                    },
                    "content": _SNAPSHOT_CONTENT,
                },
                "304": {"description": "Not modified since the given ETag"},
                "400": _problem("Invalid state vector"),
                "404": _NOT_FOUND,
                "406": _problem("No acceptable format"),
                "422": _UNPROCESSABLE,
            },
        },
    },
    "/api/rooms/{room}/updates": {
        "parameters": [_ROOM],
        "post": {
            "operationId": "postUpdate",
            "summary": "Apply a binary Yjs update live, broadcast to connected editors",
            "parameters": [
                {"name": "X-Collab-Author", "in": "header", "schema": {"type": "string"}}
            ],
            "requestBody": {
                "required": True,
                "content": {
                    "application/octet-stream": {
                        "schema": {"type": "string", "contentEncoding": "binary"}
                    }
                },
            },
            "responses": {
                "200": _STATE_VECTOR,
                "404": _NOT_FOUND,
                "413": _problem("Body too large"),
                "415": _problem("Not sent as application/octet-stream"),
                "422": _problem(
                    "Not a valid Yjs update, or nested deeper than the server accepts; "
                    "nothing changed"
                ),
            },
        },
    },
    "/api/rooms/{room}/text": {
        "parameters": [_ROOM],
        "patch": {
            "operationId": "patchText",
            "summary": "Edit the text: operations, or a full replacement applied as a minimal diff",
            "parameters": [
                {"name": "X-Collab-Author", "in": "header", "schema": {"type": "string"}}
            ],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/TextEdit"}}
                },
            },
            "responses": {
                "200": _STATE_VECTOR,
                "404": _NOT_FOUND,
                "409": _problem("The document is rich text (an XmlFragment at content)"),
                "413": _problem("Body too large"),
                "422": _UNPROCESSABLE,
            },
        },
    },
    "/api/rooms/{room}/versions": {
        "parameters": [_ROOM],
        "get": {
            "operationId": "listVersions",
            "summary": "Versions, newest first",
            "parameters": [
                {
                    "name": "limit",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 1, "maximum": 200},
                },
                {
                    "name": "cursor",
                    "in": "query",
                    "schema": {"type": "string", "pattern": "^[1-9][0-9]*$"},
                },
            ],
            "responses": {
                "200": _json("VersionPage", "A page of versions"),
                "404": _NOT_FOUND,
                "422": _UNPROCESSABLE,
            },
        },
        "post": {
            "operationId": "createVersion",
            "summary": "Save a named version of the current document",
            "parameters": [
                {"name": "X-Collab-Author", "in": "header", "schema": {"type": "string"}}
            ],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/NewVersion"}}
                },
            },
            "responses": {
                "201": _json("Version", "Recorded"),
                "200": _json("Version", "This state was already recorded; that version, now named"),
                "404": _NOT_FOUND,
                "413": _problem("Body too large"),
                "422": _UNPROCESSABLE,
            },
        },
    },
    "/api/rooms/{room}/versions/{version}": {
        "parameters": [_ROOM, _VERSION],
        "get": {
            "operationId": "getVersion",
            "summary": "A version: metadata and text (JSON) or its Yjs state (octet-stream)",
            "responses": {
                "200": {
                    "description": "The version",
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/VersionWithText"}
                        },
                        "application/octet-stream": {
                            "schema": {"type": "string", "contentEncoding": "binary"}
                        },
                    },
                },
                "404": _NOT_FOUND,
                "406": _problem("No acceptable format"),
                "422": _UNPROCESSABLE,
            },
        },
    },
    "/api/rooms/{room}/versions/{version}/diff": {
        "parameters": [_ROOM, _VERSION],
        "get": {
            "operationId": "diffVersion",
            "summary": "Line and character diff from this version to another (default: now)",
            "parameters": [
                {"name": "against", "in": "query", "schema": {"type": "integer", "minimum": 1}}
            ],
            "responses": {
                "200": _json("Diff", "The diff"),
                "404": _NOT_FOUND,
                "422": _UNPROCESSABLE,
            },
        },
    },
    "/api/rooms/{room}/versions/{version}/restore": {
        "parameters": [_ROOM, _VERSION],
        "post": {
            "operationId": "restoreVersion",
            "summary": "Save the current state, then edit the live document to equal the version",
            "parameters": [
                {"name": "X-Collab-Author", "in": "header", "schema": {"type": "string"}}
            ],
            "responses": {
                "200": _json("Restore", "Restored (live)"),
                "404": _NOT_FOUND,
                "422": _UNPROCESSABLE,
            },
        },
    },
    "/healthz": {
        "get": {
            "operationId": "health",
            "summary": "Liveness and gauges",
            "responses": {"200": _json("Health", "Server is up")},
        }
    },
}

SCHEMA: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "collab",
        "version": "0.1.0",
        "description": "Real-time collaborative documents. The WebSocket protocol at /ws/{room} is "
        "described in docs/protocol.md. Errors are RFC 9457 problem documents.",
    },
    "paths": _PATHS,
    "components": {"schemas": _SCHEMAS},
}


async def openapi_json(request: Request) -> JSONResponse:
    """GET /api/openapi.json."""
    return JSONResponse(SCHEMA)


async def docs_page(request: Request) -> HTMLResponse:
    """GET /api/docs: the schema rendered without any third-party script."""
    return HTMLResponse(_DOCS_HTML)


_DOCS_HTML = (Path(__file__).parent / "api_docs.html").read_text()

routes = [Route("/api/openapi.json", openapi_json), Route("/api/docs", docs_page)]
