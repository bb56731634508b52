"""Everything that knows the ASGI server: `collab serve` on uvicorn (server), the HTTP
protocol's header timeout (http), collab's WebSocket protocol (protocol, handshake) with its
fast paths (frames, inbox, transport) and their counts (counters).

Nothing else in collab imports uvicorn or websockets' server side; the app below sees only the
ASGI interface and, under `collab serve`, a TransportControl in the scope."""
