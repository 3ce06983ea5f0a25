"""The sessions a client may resume: uid -> sessions, each with its token; detached ones expire.

A session is registered when it starts and forgotten when it ends. A reconnecting client names its
``uid`` and presents its ``resume_token``; tokens are compared in constant time, and a wrong token or an
unknown uid finds nothing (never another client's session). A session whose connection dropped is kept for
``timeout`` seconds (its own timer: whisper_live/server/session/lifecycle.py); not resumed by then, it ends
(its slot too: until then it counts against the server's capacity).
"""

from __future__ import annotations

import hmac
import threading
from typing import Optional


class ResumeRegistry:
    def __init__(self, timeout: float):
        self.timeout = timeout
        self._sessions: dict = {}  # uid -> list of sessions (ServeClient-like: uid, resume_token)
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.timeout > 0

    def add(self, session) -> None:
        with self._lock:
            self._sessions.setdefault(session.uid, []).append(session)

    def remove(self, session) -> None:
        with self._lock:
            sessions = self._sessions.get(session.uid, [])
            if session in sessions:
                sessions.remove(session)
            if not sessions:
                self._sessions.pop(session.uid, None)

    def holds(self, uid: str) -> bool:
        """Whether a session of ``uid`` is here (connected, or waiting for its resume)."""
        with self._lock:
            return bool(self._sessions.get(uid))

    def find(self, uid: str, token: Optional[str]) -> tuple[Optional[object], str]:
        """(session, "") for a matching uid and token; else (None, why not, for the client)."""
        given = (token or "").encode()
        with self._lock:
            candidates = list(self._sessions.get(uid, []))
        match = None
        for session in candidates:  # every candidate is compared, a match or not
            if hmac.compare_digest(session.resume_token.encode(), given) and match is None:
                match = session
        if match is None:
            return None, (f"no session {uid!r} to resume with this token (unknown, or it expired after "
                          f"{self.timeout:g} s)")
        return match, ""
