"""The plain-text editor in real Chromium pages against a real collab server: two people
typing, carets with names, reload and restart, offline edits, the saved indicator, undo,
history, and access by link (scenarios in `editor_e2e.mjs`; see scenarios.py). Screenshots go
to test-output/browser/."""

from typing import Any

import pytest

from tests.browser.scenarios import SCENARIO_TIMEOUT, run_scenario

pytestmark = pytest.mark.timeout(SCENARIO_TIMEOUT + 30)


async def test_two_people_typing_at_once_converge(collab_server: Any) -> None:
    await run_scenario(collab_server, "concurrent")


async def test_remote_cursor_shows_chosen_name(collab_server: Any) -> None:
    await run_scenario(collab_server, "cursor")


async def test_text_survives_reload_and_server_restart(collab_server: Any) -> None:
    await run_scenario(collab_server, "reload")


async def test_offline_edits_merge_on_reconnect(collab_server: Any) -> None:
    await run_scenario(collab_server, "offline")


async def test_status_follows_server_down_and_up(collab_server: Any) -> None:
    await run_scenario(collab_server, "server-down")


async def test_saved_indicator_follows_server_acks(collab_server: Any) -> None:
    await run_scenario(collab_server, "saved")


async def test_saved_indicator_says_when_saving_is_delayed(collab_server: Any) -> None:
    await run_scenario(collab_server, "delayed")


async def test_undo_only_undoes_own_changes(collab_server: Any) -> None:
    await run_scenario(collab_server, "undo")


async def test_history_save_preview_restore(collab_server: Any) -> None:
    await run_scenario(collab_server, "history")


# ---------- auth (COLLAB_SECRET set): tokens from share links, roles, close codes ----------

SECRET = "test-secret-for-the-browser-tests-0123456789"  # >= 32 bytes for HS256


def _token(user: str, grants: dict[str, str], *, name: str | None = None, ttl: float = 3600) -> str:
    from collab.auth import issue_token

    return issue_token(SECRET, user=user, name=name, grants=grants, ttl_seconds=ttl)


async def _auth_server(make_server: Any, sqlite_url: str) -> Any:
    server = make_server(sqlite_url, COLLAB_SECRET=SECRET)
    await server.start()
    return server


def _assert_tokens_not_logged(server: Any, tokens: dict[str, str]) -> None:
    log = server.log_text()
    for key, token in tokens.items():
        signature = token.rsplit(".", 1)[-1]
        assert token not in log and signature not in log, f"token {key} appears in the server log"


async def test_auth_share_link_editor(make_server: Any, sqlite_url: str) -> None:
    server = await _auth_server(make_server, sqlite_url)
    tokens = {
        "alice": _token("u-alice", {"auth-room": "editor"}, name="Alice Link"),
        "bob": _token("u-bob", {"auth-*": "editor"}, name="Bob Link"),
    }
    await run_scenario(server, "auth-link", tokens)
    _assert_tokens_not_logged(server, tokens)


async def test_auth_viewer_is_read_only(make_server: Any, sqlite_url: str) -> None:
    server = await _auth_server(make_server, sqlite_url)
    tokens = {
        "viewer": _token("u-vera", {"view-room": "viewer"}, name="Vera Viewer"),
        "editor": _token("u-eddie", {"view-room": "editor"}, name="Eddie Editor"),
        "admin": _token("u-ada", {"*": "admin"}, name="Ada Admin"),
    }
    await run_scenario(server, "auth-viewer", tokens)
    _assert_tokens_not_logged(server, tokens)


async def test_auth_final_close_codes_do_not_retry(make_server: Any, sqlite_url: str) -> None:
    server = await _auth_server(make_server, sqlite_url)
    tokens = {
        "editor": _token("u-erin", {"final-room": "editor"}, name="Erin"),
        "expired": _token("u-erin", {"final-room": "editor"}, name="Erin", ttl=-60),
        "wrongRoom": _token("u-walt", {"some-other-room": "admin"}, name="Walt"),
        "badSignature": _token("u-mallory", {"final-room": "admin"}, name="Mallory")[:-4] + "AAAA",
    }
    await run_scenario(server, "auth-final", tokens)
    _assert_tokens_not_logged(server, tokens)


async def test_auth_reconnects_with_backoff_after_restart(
    make_server: Any, sqlite_url: str
) -> None:
    server = await _auth_server(make_server, sqlite_url)
    tokens = {"editor": _token("u-rita", {"retry-room": "editor"}, name="Rita")}
    await run_scenario(server, "auth-retry", tokens)
    _assert_tokens_not_logged(server, tokens)
