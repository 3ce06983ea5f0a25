"""Which models the API serves, and the scheduler that serves a request for one.

The same rules as for WebSocket clients (README, "Models"): with one model (the default) every request is
served by the model loaded at start-up, and a request must name it, name ``whisper-1`` (what OpenAI's
clients send by default) or name none; with ``--no_single_model`` a request may name any bundled model,
local model directory or loaded model, loaded on first use and shared with every other client.
"""

from __future__ import annotations

import asyncio

from whisper_live.api.errors import ApiError
from whisper_live.models import BUNDLED_MODELS, ModelNotFound
from whisper_live.runner import Runner

ALIASES = ("whisper-1",)  # names that mean "the server's default model"
OWNER = "whisper-live"


def model_names(server) -> list[str]:
    """The models a request may name: the served ones (bundled and loaded), then the aliases."""
    served = server.default_runner.transcriber.model_name
    names = [served]
    if not server.config.single_model and server.config.backend == "faster_whisper":
        names += [n for n in BUNDLED_MODELS if n not in names]
        names += [n for n in server.models.loaded() if n not in names]
    return names + [a for a in ALIASES if a not in names]


def model_object(name: str, created: int = 0) -> dict:
    return {"id": name, "object": "model", "created": created, "owned_by": OWNER}


def _unknown(name: str, server) -> ApiError:
    return ApiError(400, f"model {name!r} is not served here; choose one of: {', '.join(model_names(server))}",
                    param="model", code="model_not_found")


async def runner_for(server, name: str | None) -> Runner:
    """The scheduler for model ``name`` (loaded on first use, off the event loop); ApiError when unknown."""
    name = (name or "").strip()
    served = server.default_runner.transcriber.model_name
    if not name or name in ALIASES or name == served:
        return server.default_runner
    if server.config.single_model:
        raise _unknown(name, server)
    try:
        return await asyncio.to_thread(server.models.get, name)
    except (ModelNotFound, ValueError, RuntimeError) as exc:
        raise ApiError(400, f"model {name!r} cannot be loaded: {exc}", param="model",
                       code="model_not_found") from None
