"""The REST API's request and response bodies, one module per resource: the handlers parse and
build with them, and /api/openapi.json is generated from them."""
