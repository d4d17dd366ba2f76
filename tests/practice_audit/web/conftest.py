"""Fixtures for the web app: a real uvicorn server on 127.0.0.1, a settable clock, clinics.

One server (and one SQLite store) serves the whole session; each test invites its own
clinics, so tests stay independent without paying for a server per test.
"""

from __future__ import annotations

import itertools
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from sectool.practice_audit.models import Clinic, ClinicSize, Question
from sectool.practice_audit.store import Store
from sectool.practice_audit.web.app import create_app

ADMIN_SECRET = "test-admin-secret-0123456789abcdef"
BASE_TIME = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
_provider_numbers = itertools.count(100001)
_CSRF_RE = re.compile(r'name="csrf_token" value="([^"]*)"')


class Clock:
    """A clock the tests set; the app reads it on every request."""

    def __init__(self, start: datetime) -> None:
        self.start = start
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta

    def reset(self) -> None:
        self.now = self.start


class LiveServer:
    """uvicorn serving ``app`` on a free port of 127.0.0.1 in a background thread."""

    def __init__(self, app: FastAPI) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", access_log=False, lifespan="off"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name=f"uvicorn-{self.port}", daemon=True)
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@dataclass
class Web:
    """The running app: its URL, store and clock."""

    url: str
    store: Store
    clock: Clock

    def invite(
        self,
        name: str = "Lægehuset Testby",
        size: ClinicSize | str = ClinicSize.PARTNERSHIP,
        *,
        expires_in: timedelta = timedelta(days=30),
    ) -> tuple[Clinic, str]:
        now = self.clock()
        return self.store.create_invitation(
            clinic_name=name,
            provider_number=str(next(_provider_numbers)),
            size=size,
            expires_at=now + expires_in,
            now=now,
        )

    admin_secret: str = ADMIN_SECRET

    def questions(self, size: ClinicSize | str = ClinicSize.PARTNERSHIP) -> tuple[Question, ...]:
        return self.store.bank.questions_for(ClinicSize(size))

    @staticmethod
    def csrf_from(html: str) -> str:
        """The CSRF field of the first form on a page."""
        match = _CSRF_RE.search(html)
        assert match, "page has no CSRF field"
        return match.group(1)

    def yes_to_all(self, size: ClinicSize | str = ClinicSize.PARTNERSHIP) -> dict[str, str]:
        return {f"a:{q.id}": "yes" for q in self.questions(size)}

    def admin_login(self, client: httpx.Client) -> None:
        page = client.get("/admin/login")
        r = client.post(
            "/admin/login", data={"csrf_token": self.csrf_from(page.text), "secret": ADMIN_SECRET}
        )
        assert r.status_code == 303, r.text

    def open_form(self, client: httpx.Client, token: str) -> str:
        """GET the clinic form and return its CSRF token."""
        page = client.get(f"/c/{token}")
        assert page.status_code == 200, page.text
        return self.csrf_from(page.text)


def make_app(store: Store, clock: Clock) -> FastAPI:
    return create_app(store, admin_secret=ADMIN_SECRET, now=clock, timezone="Europe/Copenhagen")


@pytest.fixture(scope="session")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Web]:
    db = tmp_path_factory.mktemp("web") / "audit.sqlite"
    store = Store(f"sqlite:///{db}")
    clock = Clock(BASE_TIME)
    with LiveServer(make_app(store, clock)) as server:
        yield Web(server.url, store, clock)
    store.close()


@pytest.fixture(autouse=True)
def _reset_clock(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "web" in request.fixturenames:
        request.getfixturevalue("web").clock.reset()


@pytest.fixture
def http(web: Web) -> Iterator[httpx.Client]:
    """A fresh HTTP client (own cookie jar) against the live server."""
    with httpx.Client(base_url=web.url, timeout=30, follow_redirects=False) as client:
        yield client


@pytest.fixture
def fresh_db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'audit.sqlite'}"


@pytest.fixture
def start_server() -> Iterator[Callable[[FastAPI], LiveServer]]:
    """Start extra servers (for tests that need an app of their own); stopped after the test."""
    started: list[LiveServer] = []

    def start(app: FastAPI) -> LiveServer:
        server = LiveServer(app).__enter__()
        started.append(server)
        return server

    yield start
    for server in started:
        server.__exit__(None, None, None)


@pytest.fixture
def make_web_app() -> Callable[[Store, Clock], FastAPI]:
    return make_app
