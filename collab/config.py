"""Frozen settings, read from COLLAB_* environment variables and overridden by CLI options.

Each field's metadata (`_setting`) is the one description of a setting: `collab serve --help`,
the environment reading and the README's settings table (`collab settings`) all come from
`describe_settings()`. A new setting is a new field with its `_setting(...)`, nothing else.

A component that takes a few settings (a connection's limits, a room's) declares them as a view:
a frozen dataclass whose fields are `from_setting("name")`, so their defaults are the settings'
and `view_of(View, settings)` fills them; no type, default or list of fields is copied.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, TypeVar

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./collab.db"
_T = TypeVar("_T")
_V = TypeVar("_V")
_META = "collab_setting"
_VIEW = "collab_setting_view"


def package_version() -> str:
    """The installed collab's version."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("collab")
    except PackageNotFoundError:
        return "unknown"


@dataclass(frozen=True, slots=True)
class SettingHelp:
    """What a setting means (markdown: `code` allowed), the values it takes if only a few, whether
    its value must never be printed, and how its default reads when not as its value."""

    text: str
    choices: tuple[str, ...] = ()
    secret: bool = False
    shown_default: str | None = None


def _setting(
    default: _T,
    text: str,
    *,
    choices: tuple[str, ...] = (),
    secret: bool = False,
    shown_default: str | None = None,
) -> _T:
    meta = SettingHelp(text, choices, secret, shown_default)
    made: _T = field(default=default, metadata={_META: meta})
    return made


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything configurable about one collab server; env var COLLAB_<FIELD IN UPPERCASE>."""

    host: str = _setting("127.0.0.1", "interface to bind (`0.0.0.0`: every interface)")
    port: int = _setting(8000, "port to bind")
    database_url: str = _setting(
        DEFAULT_DATABASE_URL,
        "SQLAlchemy async URL; `postgresql+asyncpg://user@host/db` for PostgreSQL "
        "(`pip install 'collab[postgres]'`)",
    )
    public_url: str = _setting(
        "",
        "the URL people reach this server at (`https://docs.example`), for the links "
        "`collab token --link` prints",
        shown_default="`http://{host}:{port}`",
    )
    log_level: str = _setting(
        "info", "logging level", choices=("critical", "error", "warning", "info", "debug")
    )
    auto_migrate: bool = _setting(
        True, "create and migrate the schema on start (`collab db upgrade` does it explicitly)"
    )
    unload_grace: float = _setting(10.0, "seconds a room stays loaded after its last client leaves")
    compact_max_updates: int = _setting(
        500,
        "compact a room's update log once it holds this many rows (a commit stores each "
        "author's run of updates to a room as one row)",
    )
    compact_max_bytes: int = _setting(
        1_048_576, "compact a room's update log once it holds this many bytes"
    )
    stop_compact_seconds: float = _setting(
        5.0,
        "at a graceful stop, seconds spent at most compacting the logs of loaded rooms that "
        "hold 64 KiB or 100 rows since their last compaction (largest first), so that they open "
        "quickly at the next start (0: none)",
    )
    content_root: str = _setting(
        "",
        "the root type documents keep their content in, when an application names its own "
        "(comma-separated, tried first); after it: content, default (stock Tiptap), "
        "document-store (BlockNote), prosemirror, codemirror, monaco, quill, then any other "
        "root holding text or XML nodes (first by name; `__` names left out)",
        shown_default="none",
    )
    max_message_bytes: int = _setting(
        4_194_304, "largest WebSocket message, after decompression (close 1009 above)"
    )
    max_request_bytes: int = _setting(8_388_608, "largest REST request body (413 above)")
    comment_max_chars: int = _setting(10_000, "longest comment, in characters (422 above)")
    comments_per_thread: int = _setting(500, "most comments a thread holds (422 above)")
    threads_per_document: int = _setting(2_000, "most comment threads a document holds (422 above)")
    image_max_bytes: int = _setting(
        10_485_760, "largest image uploaded into a rich document, in bytes (413 above)"
    )
    images_per_document: int = _setting(500, "most images a document holds (413 above)")
    images_max_bytes_per_document: int = _setting(
        104_857_600, "most bytes of images a document holds, all together (413 above)"
    )
    comments_per_minute: int = _setting(
        60, "comments, edits and resolutions one identity may make per minute on a process (429)"
    )
    send_queue_size: int = _setting(
        2048, "frames waiting for one client before it is dropped as too slow (close 1013)"
    )
    # One larger frame (the first sync of a big document) is let through when nothing is queued.
    send_queue_bytes: int = _setting(
        33_554_432, "bytes waiting for one client before it is dropped as too slow (close 1013)"
    )
    write_batch_max: int = _setting(512, "most updates committed in one transaction (group commit)")
    sqlite_synchronous: str = _setting(
        "NORMAL",
        "SQLite runs in WAL mode; `NORMAL` survives process crashes, `FULL` power loss too",
        choices=("NORMAL", "FULL", "EXTRA"),
    )
    version_settle: float = _setting(
        120.0, "seconds after the last edit before an automatic version is recorded"
    )
    version_max_interval: float = _setting(
        600.0, "most seconds between automatic versions while editing goes on"
    )
    version_keep_all_hours: float = _setting(
        24.0, "retention: every version of the last this many hours is kept"
    )
    version_hourly_days: float = _setting(
        7.0,
        "retention: after that, one automatic version per hour up to this many days, then "
        "one per day (named and restore versions are kept forever)",
    )
    trash_days: float = _setting(
        30.0,
        "days a deleted document stays in the trash, restorable by its owner or an admin, "
        "before it is purged (0: deleting erases it at once)",
    )
    trash_purge_interval: float = _setting(
        3600.0, "seconds between two looks for documents whose time in the trash is up"
    )
    secret: str | None = _setting(
        None,
        "HS256 token secret (at least 32 bytes); none: development mode, where everyone is "
        "an anonymous admin (logged loudly, shown on the home page)",
        secret=True,
    )
    public_key: str | None = _setting(
        None, "PEM (or a path to one) verifying RS256/ES256 tokens from a host app"
    )
    oidc_issuer: str = _setting(
        "",
        "issuer URL of the OpenID Connect provider people sign in with "
        "(`https://id.example/realms/staff`; its metadata is read from "
        "`/.well-known/openid-configuration` under it); none: no OpenID Connect sign-in",
        shown_default="none",
    )
    oidc_client_id: str = _setting(
        "",
        "this server's client id at the OpenID Connect provider; required with an issuer",
        shown_default="none",
    )
    oidc_client_secret: str | None = _setting(
        None,
        "this server's client secret at the OpenID Connect provider; none: a public client "
        "(PKCE only)",
        secret=True,
    )
    oidc_allowed_domains: str = _setting(
        "",
        "comma-separated email domains whose people may sign in with OpenID Connect (the "
        "provider must say the address is verified)",
        shown_default="any",
    )
    oidc_allowed_groups: str = _setting(
        "",
        "comma-separated groups (the `groups` claim) of which people signing in with OpenID "
        "Connect must be in one",
        shown_default="any",
    )
    oidc_provider_name: str = _setting(
        "",
        "what the sign-in button calls the OpenID Connect provider (`Keycloak`)",
        shown_default="the issuer's host name",
    )
    oidc_trust_email: bool = _setting(
        False,
        "take the provider's `email` as the person's even when it does not say it verified it "
        "(`email_verified`): for providers whose addresses the organisation manages but that "
        "never send the claim (Microsoft Entra ID); otherwise such a sign-in is refused",
    )
    allowed_origins: str = _setting(
        "",
        "comma-separated browser origins allowed to open WebSockets (`*` for any); "
        "connections without an Origin header (non-browser clients) are allowed",
        shown_default="own origin",
    )
    allowed_hosts: str = _setting(
        "",
        "comma-separated host names this server answers to (requests naming another in `Host` "
        "get 421, against DNS rebinding); `.example.com` also allows its subdomains, `*` any",
        shown_default="`localhost`, IP addresses, the public URL's host",
    )
    max_document_bytes: int = _setting(33_554_432, "largest document (1009 above)")
    # The message rate is set above what one connection can make the server process (about
    # 4,500 small updates/s on 2 cores), so it never caps an honest fast client below the
    # server's capacity; the byte rate bounds what floods cost.
    rate_messages_per_second: float = _setting(
        5000.0,
        "per-connection message rate: over it, the connection is not read until its allowance "
        "refills (flow control)",
    )
    rate_message_burst: int = _setting(5000, "messages one connection may send at once")
    rate_bytes_per_second: float = _setting(2_097_152.0, "per-connection byte rate, the same way")
    rate_byte_burst: int = _setting(8_388_608, "bytes one connection may send at once")
    rate_close_after: float = _setting(
        60.0,
        "seconds a connection may stay throttled without a break before it is closed (1013, "
        "which clients retry)",
    )
    # Each SyncStep1 answer costs its size (encoded once per change, but copied and buffered
    # for every asker), and encoding the delete set to check a viewer's update costs its size.
    state_bytes_per_second: float = _setting(
        4_194_304.0,
        "full-state answers (bytes) per connection (x2 per user, x4 per address): past it, "
        "the connection's next SyncStep1 (or viewer update) waits; edits never do",
    )
    state_byte_burst: int = _setting(33_554_432, "full-state bytes one connection may take at once")
    send_budget_bytes: int = _setting(
        134_217_728,
        "bytes queued for sending by all connections together; past it, the connections "
        "holding the most are dropped (1013) until it fits",
    )
    # Deeper updates are refused before yrs decodes them (it recurses): editors nest a handful
    # of levels; yrs' JSON reader stops at 128; its stack ends near 20,000.
    max_nesting_depth: int = _setting(
        64, "deepest nesting of values and of shared types in an update (1007 / 422 above)"
    )
    max_awareness_bytes: int = _setting(16_384, "largest awareness state (1009 above)")
    awareness_per_second: float = _setting(
        30.0, "awareness updates per second per connection (excess dropped)"
    )
    awareness_ids_per_connection: int = _setting(
        8, "awareness client ids one connection may hold (excess dropped, counted in /healthz)"
    )
    awareness_bytes_per_connection: int = _setting(
        65_536, "awareness state bytes one connection may hold (excess dropped)"
    )
    awareness_ids_per_room: int = _setting(1_000, "awareness client ids one room may hold")
    awareness_bytes_per_room: int = _setting(4_194_304, "awareness state bytes one room may hold")
    max_connections: int = _setting(10_000, "connections per process (1013 above)")
    max_connections_per_room: int = _setting(500, "connections per room (1013 above)")
    max_rooms: int = _setting(
        5_000, "rooms loaded per process (idle ones unloaded first, then 1013)"
    )
    commit_wait: float = _setting(
        10.0,
        "seconds a REST request waits for the database (a commit, a flush) before 503 with "
        "Retry-After; while it is down or full, writes pause and nothing is lost",
    )
    header_timeout: float = _setting(
        10.0, "seconds a connection may take to send a whole request head"
    )
    ws_compression: bool = _setting(
        False,
        "permessage-deflate on WebSockets (compression runs on the event loop: one 14 MB frame "
        "stalls every room for about 50 ms)",
    )
    hook_timeout: float = _setting(
        5.0, "seconds a host's hook (`create_app(hooks=...)`) may take before it counts as failed"
    )
    authorize_recheck: float = _setting(
        30.0,
        "seconds between re-checks of each open connection's access with the host's "
        "`on_authorize` hook (when overridden); 0: only at connect and when asked",
    )
    link_recheck: float = _setting(
        5.0,
        "seconds between checks that the share links of open connections are still live "
        "(one revoked on another process of a cluster closes its connections here by then); "
        "0: only at connect and when revoked on this process",
    )
    session_ttl: float = _setting(
        1_209_600.0,
        "seconds a person stays signed in (a password or the OpenID Connect provider); "
        "their open editors close when it ends",
    )
    ping_interval: float = _setting(20.0, "seconds between WebSocket pings")
    ping_timeout: float = _setting(
        20.0, "seconds before an unanswered WebSocket ping closes the connection"
    )
    metrics_token: str | None = _setting(
        None,
        "bearer token that may read `/metrics` (for a scraper); admins on `*` always may; "
        "open in development mode",
        secret=True,
    )
    log_format: str = _setting(
        "text",
        "`json`: one JSON object per line, uvicorn's lines included, with connection, room and "
        "request ids when known",
        choices=("text", "json"),
    )
    drain_delay: float = _setting(
        0.0,
        "seconds SIGTERM fails `/readyz` before sockets close with 1012, so a load balancer "
        "stops sending new clients first (Kubernetes: about 5)",
    )
    ready_timeout: float = _setting(2.0, "seconds `/readyz` waits for `SELECT 1` on the database")
    redis_url: str | None = _setting(
        None,
        "run as one process of a cluster, with the others on this Redis (needs PostgreSQL; "
        "see Running a cluster); none: one process",
        secret=True,
    )
    bus_prefix: str = _setting(
        "collab",
        "prefix of the cluster's Redis channels and keys (clusters sharing one Redis need "
        "different ones)",
    )
    cluster_check_interval: float = _setting(
        1.0,
        "seconds between checks of every live room against the database (repairs lost "
        "messages; a quarter of it while Redis is down)",
    )
    # A process paused or dead for longer than a lease loses it, and the work moves on.
    lease_seconds: float = _setting(
        30.0,
        "the lease on a room's once-per-room work (compaction, automatic versions, thinning) "
        "lasts this many seconds by the database's clock",
    )
    lease_renew_seconds: float = _setting(
        10.0, "seconds between renewals of a room's lease while the room is live on its holder"
    )
    presence_node_ttl: float = _setting(
        15.0,
        "seconds a process's liveness mark in Redis lasts (renewed every third of it); the "
        "presence of a process whose mark lapsed is dropped",
    )
    presence_check_interval: float = _setting(
        5.0,
        "seconds between checks of the other processes' liveness marks (dead after two "
        "missed checks)",
    )
    presence_timeout: float = _setting(
        30.0,
        "another process's awareness entry not renewed for this many seconds expires "
        "(y-protocols clients renew every 15 s)",
    )
    shutdown_timeout: float = _setting(
        10.0,
        "seconds SIGTERM waits for sockets to close (a client that stopped reading never lets "
        "its socket close) before ending them; the final flush runs after",
    )
    agent_revert_hours: float = _setting(
        24.0,
        "hours after an agent session's last edit during which compaction keeps its edits (and "
        "the log after its first), so that it can still be reverted; at most 20 times "
        "COMPACT_MAX_UPDATES rows are kept for it (0: compaction keeps nothing for it)",
    )
    agent_idle_timeout: float = _setting(
        900.0,
        "seconds an agent session may go without an edit or a presence update in a room "
        "before it ends there (webhook `agent.session.ended`, reason `idle`)",
    )
    webhook_urls: str = _setting(
        "",
        "comma-separated `http(s)` URLs every webhook event is POSTed to",
        shown_default="none",
    )
    webhook_secret: str | None = _setting(
        None,
        "HMAC-SHA256 key signing webhook requests; required when URLs are set",
        secret=True,
    )
    webhook_debounce: float = _setting(
        2.0,
        "seconds from a room's first unannounced commit until its `document.changed` is sent; "
        "the commits in between coalesce into it",
    )
    webhook_attempts: int = _setting(8, "tries per delivery, then the event is logged and dropped")
    webhook_backoff: float = _setting(
        1.0,
        "seconds before the first retry, doubled after each (at most 60 s, each wait drawn "
        "between half and all of it)",
    )
    webhook_timeout: float = _setting(
        10.0,
        "seconds one webhook request may take (connect, send, answer) before it counts as failed",
    )
    webhook_queue_max: int = _setting(
        100, "events queued per room and URL; past it the oldest not yet tried is dropped (logged)"
    )
    webhook_sweep_interval: float = _setting(
        30.0,
        "seconds between the delivering process's checks for committed changes no webhook "
        "event announces yet (their process crashed before it could)",
    )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Settings from COLLAB_* variables, then `overrides` (None values are ignored)."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for setting in describe_settings():
            raw = env.get(setting.env)
            if raw is not None:
                values[setting.name] = setting.parse(raw, where=f"{setting.env}={raw!r}")
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def public_base_url(self) -> str:
        """Where people reach this server: `public_url`, else http://host:port (a wildcard
        host read as 127.0.0.1), without a trailing slash; ValueError for a URL not http(s)."""
        if self.public_url.startswith(("http://", "https://")):
            return self.public_url.rstrip("/")
        if self.public_url:
            raise ValueError(
                f"COLLAB_PUBLIC_URL={self.public_url!r}: use http://... or https://..."
            )
        host = "127.0.0.1" if self.host in ("", "0.0.0.0", "::") else self.host
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    def allowed_host_list(self) -> list[str]:
        """The allowed host names, lowercased, in order."""
        return [name.strip().lower() for name in self.allowed_hosts.split(",") if name.strip()]

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
        self.public_base_url()
        self._check_allowed_hosts()
        self._check_webhooks()
        self._check_oidc()

    def _check_allowed_hosts(self) -> None:
        for name in self.allowed_host_list():
            if "/" in name or name.count(":") == 1:
                raise ValueError(
                    f"COLLAB_ALLOWED_HOSTS: {name!r} is not a host name (no scheme, port or path)"
                )

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
        if self.webhook_debounce < 0 or self.webhook_backoff < 0:
            raise ValueError("webhook_debounce and webhook_backoff must not be negative")
        if self.agent_idle_timeout <= 0:
            raise ValueError("agent_idle_timeout must be above 0")
        if self.webhook_timeout <= 0 or self.webhook_sweep_interval <= 0:
            raise ValueError("webhook_timeout and webhook_sweep_interval must be above 0")

    def _check_oidc(self) -> None:
        if self.oidc_issuer and not self.oidc_client_id:
            raise ValueError(
                "OpenID Connect sign-in (COLLAB_OIDC_ISSUER) needs this server's client id at "
                "the provider: set COLLAB_OIDC_CLIENT_ID"
            )
        if self.oidc_issuer and not self.oidc_issuer.startswith(("http://", "https://")):
            raise ValueError(f"COLLAB_OIDC_ISSUER: {self.oidc_issuer!r} is not an http(s) URL")
        if self.oidc_issuer and not self.secret:
            raise ValueError(
                "OpenID Connect sign-in (COLLAB_OIDC_ISSUER) needs COLLAB_SECRET: sessions and "
                "the sign-in flow are signed with it"
            )

    def replace(self, **changes: Any) -> Settings:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True, slots=True)
class SettingInfo:
    """One setting as the CLI, the environment and the docs see it."""

    name: str
    kind: str  # "bool", "int", "float" or "str"
    default: Any
    help: SettingHelp

    @property
    def env(self) -> str:
        """Its environment variable."""
        return f"COLLAB_{self.name.upper()}"

    @property
    def flag(self) -> str:
        """Its `collab serve` option."""
        return "--" + self.name.replace("_", "-")

    def default_text(self) -> str:
        """The default as the docs show it; a secret's never."""
        if self.help.shown_default is not None:
            return self.help.shown_default
        if self.default is None or self.help.secret:
            return "none"
        if isinstance(self.default, bool):
            return f"`{str(self.default).lower()}`"
        if isinstance(self.default, float) and self.default.is_integer():
            return f"`{int(self.default)}`"
        return f"`{self.default}`"

    def parse(self, raw: str, *, where: str) -> Any:
        """`raw` as this setting's type; ValueError naming `where` when it is not one."""
        try:
            return _convert(self.kind, self.help.choices, raw)
        except ValueError:
            wanted = ", ".join(self.help.choices) or f"valid {self.kind}"
            prefix = "one of " if self.help.choices else "a "
            raise ValueError(f"{where} is not {prefix}{wanted}") from None


def describe_settings() -> list[SettingInfo]:
    """Every setting, in the order of `Settings`."""
    return [SettingInfo(f.name, _kind(f.type), f.default, _help_of(f)) for f in fields(Settings)]


def _help_of(item: dataclasses.Field[Any]) -> SettingHelp:
    if _META not in item.metadata:
        raise TypeError(f"Settings.{item.name} needs a description: declare it with _setting()")
    meta: SettingHelp = item.metadata[_META]
    return meta


def _kind(annotation: Any) -> str:
    name = annotation if isinstance(annotation, str) else annotation.__name__
    return name.split(" | ")[0]


def _convert(kind: str, choices: tuple[str, ...], raw: str) -> Any:
    if kind == "bool":
        if raw.lower() in {"1", "true", "yes", "on"}:
            return True
        if raw.lower() in {"0", "false", "no", "off"}:
            return False
        raise ValueError(raw)
    if kind == "int":
        return int(raw)
    if kind == "float":
        return float(raw)
    if choices:
        for choice in choices:  # case-insensitively, as the values were always taken
            if raw.lower() == choice.lower():
                return choice
        raise ValueError(raw)
    return raw


def from_setting(name: str) -> Any:
    """A field of a view of the settings that holds `Settings.<name>`: its default is that
    setting's, and `view_of` fills it from that setting."""
    setting = Settings.__dataclass_fields__.get(name)
    if setting is None:
        raise TypeError(f"there is no setting {name!r} for a view to take")
    return field(default=setting.default, metadata={_VIEW: name})


def view_of(view: type[_V], settings: Settings, **others: Any) -> _V:
    """`view` (a dataclass) with each `from_setting` field taken from `settings`; `others` fill
    fields that are not settings."""
    taken = {name: getattr(settings, setting) for name, setting in view_settings(view).items()}
    return view(**taken, **others)


def view_settings(view: type[Any]) -> dict[str, str]:
    """The fields of `view` declared with `from_setting`, each with the setting it holds."""
    return {item.name: item.metadata[_VIEW] for item in fields(view) if _VIEW in item.metadata}
