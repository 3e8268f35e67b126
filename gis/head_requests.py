"""HEAD on every GET resource: the GET's status and headers without its body (RFC 9110 §9.3.2).

FastAPI routes a GET for GET only, so HEAD was a 405 everywhere. Answering it as the GET keeps the
two from drifting apart: the same status, Content-Type, Content-Length (of the compressed body where
GZipMiddleware, inside this one, compresses), ETag and Vary. For the same reason a 405's `Allow` that lists
GET lists HEAD too.
"""

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class AnswerHeadAsGet:
    """Runs a HEAD request as GET and sends only the response start.

    The response is complete once its headers are sent, so a server reports the client gone to an
    endless GET (an event stream), which then stops.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] != "HEAD":
            await self.app(scope, receive, _head_allowed_with_get(send))
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.start":
                await send(message)
                await send({"type": "http.response.body", "body": b"", "more_body": False})

        await self.app({**scope, "method": "GET"}, receive, headers_only)


def _head_allowed_with_get(send: Send) -> Send:
    """`send`, with HEAD added to the `Allow` of a 405 that allows GET."""

    async def send_with_head(message: Message) -> None:
        if message["type"] == "http.response.start" and message["status"] == 405:
            message = {**message, "headers": [
                (name, _with_head(value) if name.lower() == b"allow" else value)
                for name, value in message.get("headers", [])]}
        await send(message)

    return send_with_head


def _with_head(allow: bytes) -> bytes:
    methods = [m.strip() for m in allow.decode("latin-1").split(",") if m.strip()]
    if "GET" in methods and "HEAD" not in methods:
        methods.insert(methods.index("GET") + 1, "HEAD")
    return ", ".join(methods).encode("latin-1")
