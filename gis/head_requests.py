"""HEAD on every GET resource: the GET's status and headers without its body (RFC 9110 §9.3.2).

FastAPI routes a GET for GET only, so HEAD was a 405 everywhere. Answering it as the GET keeps the
two from drifting apart: the same status, Content-Type, Content-Length (of the compressed body where
GZipMiddleware, inside this one, compresses), ETag and Vary. For the same reason a 405 that allows
GET (Starlette's, of a route without the method asked) allows HEAD too (`allowing_head`).
"""

from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class AnswerHeadAsGet:
    """Runs a HEAD request as GET and sends only the response start.

    The response is complete once its headers are sent, so a server reports the client gone to an
    endless GET (an event stream), which then stops.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.start":
                await send(message)
                await send({"type": "http.response.body", "body": b"", "more_body": False})

        await self.app({**scope, "method": "GET"}, receive, headers_only)


def allowing_head(headers: Mapping[str, str] | None) -> Mapping[str, str] | None:
    """An error's headers, HEAD added to an `Allow` that lists GET."""
    allow = (headers or {}).get("Allow")
    if allow is None:
        return headers
    methods = [m.strip() for m in allow.split(",") if m.strip()]
    if "GET" in methods and "HEAD" not in methods:
        methods.insert(methods.index("GET") + 1, "HEAD")
    return {**(headers or {}), "Allow": ", ".join(methods)}
