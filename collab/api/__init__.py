"""HTTP and WebSocket endpoints: the only Starlette code besides app.py."""
