"""A first run's stumbles: the start log and the login page say how to add the first person (and
stop once one exists); a sign-in over plain http with a Secure-only cookie is named as such."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from builders import add_user, write_config

from bridge.web.keys import SERVICE

HOST = {"Host": "lab-host.example:8080"}  # not loopback: browsers drop Secure cookies over http


def secure_config(tmp_path: Path) -> Path:
    return write_config(tmp_path, extra={"auth": {"session": {"cookie_secure": True}}})


async def test_with_nobody_the_log_and_login_page_say_how_to_add_a_person(
    client_for: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """With no people, start logs the `bridge users add` command and the login page shows it."""
    caplog.set_level(logging.INFO, logger="bridge")
    client = await client_for(write_config(tmp_path))
    [hint] = [r for r in caplog.records if "no people yet" in r.getMessage()]
    assert hint.levelno == logging.INFO
    assert "bridge users add NAME --role approver -c " in hint.getMessage()
    page = await (await client.get("/login")).text()
    assert 'id="login-nobody"' in page and "bridge users add NAME --role approver" in page


async def test_once_someone_exists_nothing_about_people_is_said(
    client_for: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """With one person in the store, neither the login page nor the start log mention adding."""
    client = await client_for(write_config(tmp_path))
    app: Any = client.server.app
    assert "bridge users add" in await (await client.get("/login")).text()
    await add_user(app[SERVICE].store, "ada", ["admin"])
    page = await (await client.get("/login")).text()
    assert "login-nobody" not in page and "users add" not in page
    await client.close()
    caplog.clear()
    caplog.set_level(logging.INFO, logger="bridge")
    await client_for(write_config(tmp_path))  # the same store, started again
    assert not [r for r in caplog.records if "no people yet" in r.getMessage()]


async def test_plain_http_with_a_secure_cookie_is_named_on_the_login_page_and_logged_once(
    client_for: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Over plain http to a non-loopback host with cookie_secure on, the login page names the
    setting, the log warns once, and the refused sign-in says the same instead of only CSRF."""
    caplog.set_level(logging.WARNING, logger="bridge")
    client = await client_for(secure_config(tmp_path))
    for _ in range(2):
        page = await (await client.get("/login", headers=HOST)).text()
        assert 'id="login-plain-http"' in page and "auth.session.cookie_secure" in page
    warned = [r for r in caplog.records if "cookie_secure" in r.getMessage()]
    assert len(warned) == 1 and warned[0].levelno == logging.WARNING
    r = await client.post(
        "/login", data={"username": "ada", "password": "x", "csrf_token": "t"}, headers=HOST
    )
    assert r.status == 403 and "auth.session.cookie_secure" in await r.text()


async def test_no_plain_http_note_on_loopback_behind_https_or_with_the_setting_off(
    client_for: Any, tmp_path: Path
) -> None:
    """Loopback, a proxy saying https, or cookie_secure off: no note (the cookie sticks there)."""
    client = await client_for(secure_config(tmp_path))
    assert "login-plain-http" not in await (await client.get("/login")).text()
    proxied = {**HOST, "X-Forwarded-Proto": "https"}
    assert "login-plain-http" not in await (await client.get("/login", headers=proxied)).text()
    await client.close()
    (tmp_path / "lab").mkdir()
    lab = await client_for(write_config(tmp_path / "lab"))  # cookie_secure: false
    assert "login-plain-http" not in await (await lab.get("/login", headers=HOST)).text()
