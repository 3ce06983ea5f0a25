"""Liveness and readiness, as pure functions of the server's state (the same answer on every port).

* ``/health`` (:func:`liveness`): 200 while the process serves and its model is loaded, else 503.
* ``/ready`` (:func:`readiness`): 200 while a new client would be admitted; 503 while the model loads,
  while the server drains (it stops admitting before it stops), or when a new client would get WAIT.
  Both codes carry the same JSON body, so a load balancer and an operator read the same figures.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Optional


@dataclass(frozen=True)
class ServerState:
    """What health and readiness are judged from."""

    loaded: bool  # the default model (and the VAD) are loaded
    draining: bool  # the server has stopped admitting new clients before it stops
    clients: int  # connected now
    max_clients: int
    headroom: float  # share of capacity still free, 0..1 (Admission.headroom)
    refusal: Optional[str] = None  # why a new client would get WAIT now; None: it would be admitted


def liveness(state: ServerState) -> tuple[int, bytes]:
    """(HTTP status, JSON body) for ``/health``."""
    status = 200 if state.loaded else 503
    return status, _json({"status": "ok" if state.loaded else "loading"})


def readiness(state: ServerState) -> tuple[int, bytes]:
    """(HTTP status, JSON body) for ``/ready``."""
    if not state.loaded:
        status, reason = "loading", "the model is loading"
    elif state.draining:
        status, reason = "draining", "the server is draining: it admits no new clients"
    elif state.refusal is not None:
        status, reason = "full", state.refusal
    else:
        status, reason = "ready", None
    body = {"status": status, "ready": status == "ready", **asdict(state)}
    body.pop("refusal")
    body.pop("loaded")
    body["headroom"] = round(state.headroom, 4)
    if reason is not None:
        body["reason"] = reason
    return (200 if status == "ready" else 503), _json(body)


def _json(body: dict) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode() + b"\n"
