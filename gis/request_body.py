"""Request bodies read within a size limit: refused with 413 before more than the limit is read."""

from starlette.requests import Request
from starlette.types import Message

from gis.errors import PayloadTooLarge


async def read_body(request: Request, limit: int, *, advice: str) -> bytes:
    """The request body; PayloadTooLarge (413) as soon as it exceeds `limit` bytes, declared or streamed.

    A Content-Length over the limit is refused before any of the body is read; a body streamed without
    one is refused at the first chunk that crosses the limit. `advice` tells the client what to send instead.
    """
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"the body has {declared} bytes, more than the {limit} accepted: {advice}")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"the body exceeds the {limit} bytes accepted: {advice}")
        chunks.append(chunk)
    return b"".join(chunks)


def with_body(request: Request, body: bytes) -> Request:
    """The request again, its body (already read by read_body) replayed for code that reads it itself."""
    replayed = False

    async def receive() -> Message:
        nonlocal replayed
        if replayed:
            return await request.receive()  # after the body: the client's disconnect
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    return Request(request.scope, receive)
