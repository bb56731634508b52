"""Everything that knows the ASGI server, in one place: `collab serve` on uvicorn (server), the
HTTP protocol's header timeout (http), and collab's WebSocket protocol (protocol) on websockets'
sans-I/O layer: the opening handshake (handshake), frames read (reader, frames) and written
(transport) with their fast paths and counts (counters), keepalive pings (keepalive) and the
queue of messages for the app (inbox).

Nothing else in collab imports uvicorn or websockets' server side: the app sees the ASGI
interface and, under `collab serve`, a TransportControl in the scope."""
