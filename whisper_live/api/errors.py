"""OpenAI's error shape, ``{"error": {"message", "type", "param", "code"}}``, for every refusal of the API.

Handlers raise :class:`ApiError`; :func:`install` makes FastAPI answer it (and its own validation errors,
unknown routes, and anything unexpected) in that shape, never with a traceback.
"""

from __future__ import annotations

import logging
from typing import Optional

log = logging.getLogger(__name__)

INVALID_REQUEST = "invalid_request_error"
SERVER_ERROR = "server_error"


class ApiError(Exception):
    """A request the API refuses: HTTP ``status`` and the fields of OpenAI's error object."""

    def __init__(self, status: int, message: str, *, param: Optional[str] = None, code: Optional[str] = None,
                 type: str = INVALID_REQUEST):
        super().__init__(message)
        self.status = status
        self.message = message
        self.param = param
        self.code = code
        self.type = type

    def body(self) -> dict:
        return error_body(self.message, self.type, self.param, self.code)


def error_body(message: str, type: str = INVALID_REQUEST, param: Optional[str] = None,
               code: Optional[str] = None) -> dict:
    return {"error": {"message": message, "type": type, "param": param, "code": code}}


def install(app) -> None:
    """Answer every error of ``app`` in OpenAI's shape."""
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse
    from starlette.exceptions import HTTPException

    @app.exception_handler(ApiError)
    async def api_error(request, exc: ApiError):
        return JSONResponse(exc.body(), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request, exc: RequestValidationError):
        first = exc.errors()[0] if exc.errors() else {}
        param = ".".join(str(p) for p in first.get("loc", ())[1:]) or None
        return JSONResponse(error_body(f"invalid {param or 'request'}: {first.get('msg', 'bad value')}",
                                       param=param, code="invalid_value"), status_code=400)

    @app.exception_handler(HTTPException)
    async def http_error(request, exc: HTTPException):
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code)
        message = f"{request.method} {request.url.path}: {exc.detail}"
        return JSONResponse(error_body(message, code=code), status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def unexpected(request, exc: Exception):
        log.exception("%s %s failed", request.method, request.url.path)
        return JSONResponse(error_body(f"internal error: {type(exc).__name__}", type=SERVER_ERROR),
                            status_code=500)
