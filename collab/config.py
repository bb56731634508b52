"""Frozen settings, read from COLLAB_* environment variables and overridden by CLI flags."""

from __future__ import annotations

import dataclasses
import importlib.util
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./collab.db"


def package_version() -> str:
    """The installed collab's version."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("collab")
    except PackageNotFoundError:
        return "unknown"


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything configurable about one collab server; env var COLLAB_<FIELD IN UPPERCASE>."""

    host: str = "127.0.0.1"
    port: int = 8000
    database_url: str = DEFAULT_DATABASE_URL
    log_level: str = "info"
    # Create and migrate the schema on start (`collab db upgrade` does it explicitly).
    auto_migrate: bool = True
    # Seconds a room stays in memory after its last client leaves.
    unload_grace: float = 10.0
    # Compact a room's update log once it holds this many updates or bytes.
    compact_max_updates: int = 500
    compact_max_bytes: int = 1_048_576
    # Largest WebSocket message accepted, after decompression.
    max_message_bytes: int = 4_194_304
    # Largest REST request body.
    max_request_bytes: int = 8_388_608
    # Messages queued for one peer before it counts as a slow consumer and is dropped.
    send_queue_size: int = 2048
    # Bytes queued for one peer before it counts as a slow consumer (one larger frame, such as
    # the first sync of a big document, is let through when nothing else is queued).
    send_queue_bytes: int = 33_554_432
    # Most updates committed in one transaction (group commit).
    write_batch_max: int = 512
    # SQLite `synchronous` in WAL mode: NORMAL survives process crashes, FULL power loss too.
    sqlite_synchronous: str = "NORMAL"
    # Auto versions: seconds after the last edit, and at most this far apart while editing goes on.
    version_settle: float = 120.0
    version_max_interval: float = 600.0
    # Retention: keep every version this many hours, then one auto version per hour up to this
    # many days, then one per day. Named and restore versions are kept forever.
    version_keep_all_hours: float = 24.0
    version_hourly_days: float = 7.0
    # Auth: HS256 secret, or a PEM public key (RS256/ES256) from a host app. Neither: development
    # mode, where everyone is an anonymous admin (logged loudly, shown on the home page).
    secret: str | None = None
    public_key: str | None = None
    # Origins allowed to open WebSockets, comma-separated ("*" for any). Empty: the server's own
    # origin only. Connections without an Origin header (non-browser clients) are allowed.
    allowed_origins: str = ""
    # Limits.
    max_document_bytes: int = 33_554_432
    # Per-connection rates. A connection over them is not read until its allowance refills (TCP
    # holds the client back); only one throttled without a break for `rate_close_after` seconds
    # is closed (1013, which clients retry). The message rate is set above what one connection
    # can make the server process (about 4,500 small updates/s on 2 cores), so it never caps an
    # honest fast client below the server's capacity; the byte rate bounds what floods cost.
    rate_messages_per_second: float = 5000.0
    rate_message_burst: int = 5000
    rate_bytes_per_second: float = 2_097_152.0
    rate_byte_burst: int = 8_388_608
    rate_close_after: float = 60.0
    # Full-state work per connection, in bytes: each SyncStep1 answer costs its size (encoded
    # once per change, but copied and buffered for every asker), and encoding the delete set to
    # check a viewer's update costs its size; every connection of one user shares twice this,
    # of one address four times. Over it, the connection's next such request waits (its edits
    # and presence do not).
    state_bytes_per_second: float = 4_194_304.0
    state_byte_burst: int = 33_554_432
    # Bytes queued for sending by all connections together; past it, the connections holding
    # the most are dropped (1013) until it fits.
    send_budget_bytes: int = 134_217_728
    # Deepest nesting of values (JSON-like Any, embeds, attributes) and of shared types (a Y.Map
    # in a Y.Map ...) an update may hold; deeper ones are refused before yrs decodes them.
    max_nesting_depth: int = 64
    max_awareness_bytes: int = 16_384
    awareness_per_second: float = 30.0
    # Awareness client ids, and bytes of their states, one connection and one room may hold;
    # entries past them are dropped (and counted in /healthz).
    awareness_ids_per_connection: int = 8
    awareness_bytes_per_connection: int = 65_536
    awareness_ids_per_room: int = 1_000
    awareness_bytes_per_room: int = 4_194_304
    max_connections: int = 10_000
    max_connections_per_room: int = 500
    max_rooms: int = 5_000
    # Seconds a REST request waits for the database (a commit, a flush) before answering 503
    # with Retry-After: while it is down or full, writes pause, nothing is lost.
    commit_wait: float = 10.0
    # Seconds a new connection (or one between requests) may take to send a whole request head.
    header_timeout: float = 10.0
    # permessage-deflate on WebSockets. Off by default: compressing is done on the event loop,
    # and one large frame (a 14 MB document's first sync) stalls every room for ~50 ms; stock
    # Node servers do not compress either.
    ws_compression: bool = False
    # Seconds a host's hook (create_app(hooks=...)) may take before it counts as failed.
    hook_timeout: float = 5.0
    # Seconds between re-checks of each open connection's access with the host's on_authorize
    # hook (only when it is overridden); 0: only at connect and when asked (recheck_access).
    authorize_recheck: float = 30.0
    # Seconds between WebSocket pings and before an unanswered ping closes the connection.
    ping_interval: float = 20.0
    ping_timeout: float = 20.0
    # /metrics: with a secret set it needs an admin token on every room ("*"), or this token as
    # `Authorization: Bearer` (for a Prometheus scraper). Development mode: open.
    metrics_token: str | None = None
    # Logs: "text" (default) or "json" (one object per line, with connection, room and request
    # ids when known).
    log_format: str = "text"
    # SIGTERM: /readyz answers 503 for this many seconds before sockets close with 1012, so a
    # load balancer stops sending new clients first (Kubernetes: about 5). /readyz also needs a
    # `SELECT 1` answered within `ready_timeout` seconds.
    drain_delay: float = 0.0
    ready_timeout: float = 2.0
    # Clustering: several processes (on several hosts) over one PostgreSQL database, with
    # committed updates and presence carried between them by Redis pub/sub. Unset: one process.
    redis_url: str | None = None
    # Prefix of the Redis channels and keys: clusters sharing one Redis use different ones.
    bus_prefix: str = "collab"
    # Seconds between checks of every live room against the database (repairs lost messages).
    cluster_check_interval: float = 1.0
    # Once-per-room work (compaction, automatic versions, thinning) runs on the one process
    # holding the room's lease: for this many seconds by the database's clock, renewed every
    # `lease_renew_seconds` while the room is live there. A process paused or dead for longer
    # loses the lease, and the work moves to another process holding the room.
    lease_seconds: float = 30.0
    lease_renew_seconds: float = 10.0
    # Presence across processes: each process renews a liveness key in Redis that lives this many
    # seconds (renewed every third of it); the others check the processes holding presence in
    # their rooms every `presence_check_interval` seconds, and drop the presence of one whose
    # key was missing twice running (its process died). Another process's presence entries not
    # renewed for `presence_timeout` seconds expire (y-protocols clients renew every 15 s).
    presence_node_ttl: float = 15.0
    presence_check_interval: float = 5.0
    presence_timeout: float = 30.0
    # Seconds SIGTERM waits for sockets to close before ending them (a client that stopped
    # reading never lets its socket close); the final flush of writes runs after.
    shutdown_timeout: float = 10.0
    # Webhooks (README "Webhooks"): URLs to POST events to, comma-separated (empty: none), and
    # the HMAC-SHA256 secret signing them (required with URLs). A room's commits within
    # `webhook_debounce` seconds of the first become one document.changed. A delivery is tried
    # `webhook_attempts` times, waiting `webhook_backoff` seconds before the first retry and
    # doubling (up to 60 s, with jitter), each request given `webhook_timeout` seconds; then it
    # is logged and dropped. At most `webhook_queue_max` events wait per room and URL.
    webhook_urls: str = ""
    webhook_secret: str | None = None
    webhook_debounce: float = 2.0
    webhook_attempts: int = 8
    webhook_backoff: float = 1.0
    webhook_timeout: float = 10.0
    webhook_queue_max: int = 100

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Settings from COLLAB_* variables, then `overrides` (None values are ignored)."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for field in fields(cls):
            raw = env.get(f"COLLAB_{field.name.upper()}")
            if raw is not None:
                values[field.name] = _parse(field.type, raw, field.name)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def check(self) -> None:
        """Raise ValueError for settings that cannot work together."""
        if self.redis_url and not self.database_url.startswith("postgresql"):
            raise ValueError(
                "clustering (--redis-url / COLLAB_REDIS_URL) needs PostgreSQL as the database: "
                "every process must read and write one database, and a SQLite file cannot be "
                "shared between hosts; set --database-url postgresql+asyncpg://..."
            )
        if not 0 < self.lease_renew_seconds < self.lease_seconds:
            raise ValueError(
                "lease_renew_seconds must be above 0 and below lease_seconds: a lease renewed "
                "no sooner than it expires is lost between renewals"
            )
        if self.redis_url and importlib.util.find_spec("redis") is None:
            raise ValueError(
                "clustering (--redis-url / COLLAB_REDIS_URL) needs the redis package: "
                "pip install 'collab[cluster]'"
            )
        if self.log_format not in ("text", "json"):
            raise ValueError(f"log format {self.log_format!r}: use text or json")
        self._check_webhooks()

    def webhook_url_list(self) -> list[str]:
        """The webhook URLs, in order."""
        return [url.strip() for url in self.webhook_urls.split(",") if url.strip()]

    def _check_webhooks(self) -> None:
        urls = self.webhook_url_list()
        if urls and not self.webhook_secret:
            raise ValueError(
                "webhooks (COLLAB_WEBHOOK_URLS) need a signing secret: set COLLAB_WEBHOOK_SECRET, "
                "so receivers can tell the server's requests from forged ones"
            )
        for url in urls:
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"COLLAB_WEBHOOK_URLS: {url!r} is not an http(s) URL")
        if self.webhook_attempts < 1 or self.webhook_queue_max < 1:
            raise ValueError("webhook_attempts and webhook_queue_max must be at least 1")
        if self.webhook_debounce < 0 or self.webhook_backoff < 0 or self.webhook_timeout <= 0:
            raise ValueError(
                "webhook_debounce and webhook_backoff must not be negative, "
                "and webhook_timeout must be above 0"
            )

    def replace(self, **changes: Any) -> Settings:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)


def _parse(kind: Any, raw: str, name: str) -> Any:
    kind_name = kind if isinstance(kind, str) else kind.__name__
    try:
        if kind_name == "bool":
            if raw.lower() in {"1", "true", "yes", "on"}:
                return True
            if raw.lower() in {"0", "false", "no", "off"}:
                return False
            raise ValueError(raw)
        if kind_name == "int":
            return int(raw)
        if kind_name == "float":
            return float(raw)
    except ValueError:
        raise ValueError(f"COLLAB_{name.upper()}={raw!r} is not a valid {kind_name}") from None
    return raw
