"""Who may use a studio that has an API key: the key itself (API clients) or a signed-in browser session.

A browser signs in once with the key and gets a random session token in an HttpOnly cookie; the
database keeps only the token's SHA-256, so a leaked database holds no usable cookie and the key
never sits in the browser. Signing out deletes the session everywhere (every server process reads
the same table). Failed sign-ins are throttled per client address.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from datetime import datetime, timedelta

from sqlalchemy import DateTime, String, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from muselab.db import Base, transaction
from muselab.ids import as_utc, utcnow

SESSION_DAYS = 14
COOKIE = "muselab_session"


class WebSession(Base):
    __tablename__ = "web_sessions"

    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def key_matches(given: str | None, key: str) -> bool:
    return hmac.compare_digest((given or "").encode(), key.encode())


class WebSessions:
    """Browser sessions of a keyed studio, kept in the library database."""

    def __init__(self, sessions: sessionmaker[Session]):
        self.sessions = sessions

    def create(self) -> str:
        token = secrets.token_urlsafe(32)
        now = utcnow()
        with transaction(self.sessions) as s:
            s.execute(delete(WebSession).where(WebSession.expires_at < now))  # tidy as we go
            s.add(WebSession(token_sha256=_digest(token), created_at=now,
                             expires_at=now + timedelta(days=SESSION_DAYS)))
        return token

    def valid(self, token: str | None) -> bool:
        if not token or len(token) > 100:
            return False
        with self.sessions() as s:
            expires = s.scalar(select(WebSession.expires_at).where(WebSession.token_sha256 == _digest(token)))
        return expires is not None and as_utc(expires) > utcnow()

    def revoke(self, token: str | None) -> None:
        if token:
            with transaction(self.sessions) as s:
                s.execute(delete(WebSession).where(WebSession.token_sha256 == _digest(token)))


class LoginThrottle:
    """At most `attempts` failed sign-ins per client address per `window` seconds (in this process)."""

    def __init__(self, attempts: int = 5, window: float = 60.0):
        self.attempts = attempts
        self.window = window
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, client: str) -> int:
        """Seconds until this client may try again (0: now)."""
        now = time.monotonic()
        with self._lock:
            recent = [t for t in self._failures.get(client, []) if now - t < self.window]
            self._failures[client] = recent
            if len(recent) < self.attempts:
                return 0
            return int(self.window - (now - recent[0])) + 1

    def failed(self, client: str) -> None:
        with self._lock:
            self._failures.setdefault(client, []).append(time.monotonic())
            if len(self._failures) > 10_000:  # bounded memory under a flood of addresses
                self._failures.pop(next(iter(self._failures)))

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._failures.pop(client, None)
