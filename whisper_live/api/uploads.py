"""Reading an upload as it streams in, refused as soon as it is too large (never buffered whole first).

The body is parsed by Starlette's multipart parser (python-multipart) from a byte stream that counts what
arrives: past the cap the parse stops and the request is answered 413 at once. A body that announces its
size (Content-Length) over the cap is refused before a byte of it is read. The file part is spooled to a
temporary file (in memory up to 1 MiB), as Starlette does.
"""

from __future__ import annotations

from whisper_live.api.errors import ApiError

MIB = 1024 * 1024
# One text field's largest size: room for a voice reference (known_speaker_references[], a base64 data URL
# of up to 30 s of audio; 30 s of 16 kHz 16-bit mono WAV is 1.3 MB as base64).
FIELD_BYTES = 2 * MIB
# Room for the form's other fields (model, language, prompt, four references, ...) and the multipart framing,
# over the file: a body larger than the file's limit and this is refused as it streams in.
FIELDS_ROOM = 8 * MIB
MAX_FIELDS = 32


class _TooLarge(Exception):
    pass


def too_large(max_bytes: int) -> ApiError:
    return ApiError(413, f"the upload is larger than this server's limit of {max_bytes / MIB:g} MB "
                         f"(--max_upload_mb)", param="file", code="file_too_large")


async def read_form(request, max_bytes: int):
    """The request's multipart form (Starlette FormData); ApiError for a body that is not one or too large."""
    from starlette.formparsers import MultiPartException, MultiPartParser

    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        raise ApiError(400, "send the audio as multipart/form-data with the file in a field named 'file'",
                       code="invalid_content_type")
    limit = max_bytes + FIELDS_ROOM
    try:
        announced = int(request.headers.get("content-length", "-1"))
    except ValueError:
        raise ApiError(400, "Content-Length is not a number") from None
    if announced > limit:
        raise too_large(max_bytes)

    async def capped():
        seen = 0
        async for chunk in request.stream():
            seen += len(chunk)
            if seen > limit:
                raise _TooLarge()
            yield chunk

    parser = MultiPartParser(request.headers, capped(), max_files=1, max_fields=MAX_FIELDS,
                             max_part_size=FIELD_BYTES)
    try:
        form = await parser.parse()
    except _TooLarge:
        raise too_large(max_bytes) from None
    except MultiPartException as exc:
        raise ApiError(400, f"the multipart form cannot be read: {exc}", code="invalid_form") from None
    upload = form.get("file")
    if upload is not None and not isinstance(upload, str) and (upload.size or 0) > max_bytes:
        await form.close()
        raise too_large(max_bytes)
    return form
