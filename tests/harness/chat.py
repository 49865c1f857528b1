"""A loopback stand-in for a chat-completions server (aiohttp test server).

``ChatStandIn`` answers ``POST /v1/chat/completions`` from a script: each request takes the next
:class:`Reply` (the last one repeats), after an optional delay. It records every request's body
and headers, and how many were in flight at once.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

GOOD_ANSWER = (
    "- **What's New**: 새로운 방법을 제안합니다.\n"
    "- **Technical Details**: 기술적인 세부 사항입니다.\n"
    "- **Performance Highlights**: 성능이 좋아졌습니다."
)


@dataclass
class Reply:
    """One answer: ``content`` as the model's message, or ``status`` with ``headers``/``body``."""

    content: str | None = GOOD_ANSWER
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None  # raw body instead of the JSON envelope
    delay: float = 0.0


@dataclass
class ChatStandIn:
    replies: list[Reply] = field(default_factory=lambda: [Reply()])
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    in_flight: int = 0
    most_in_flight: int = 0
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append(await request.json())
        self.headers.append(dict(request.headers))
        reply = self.replies[min(len(self.requests) - 1, len(self.replies) - 1)]
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if reply.delay:
                await asyncio.sleep(reply.delay)
        finally:
            self.in_flight -= 1
        if reply.body is not None or reply.status != 200:
            return web.Response(status=reply.status, text=reply.body or "", headers=reply.headers)
        envelope = {
            "choices": [{"index": 0, "message": {"role": "assistant", "content": reply.content}}]
        }
        return web.Response(text=json.dumps(envelope), content_type="application/json")


@asynccontextmanager
async def chat_server(*replies: Reply) -> AsyncIterator[ChatStandIn]:
    """A running stand-in; ``.url`` is the base URL to configure (``…/v1``)."""
    stand_in = ChatStandIn(list(replies) or [Reply()])
    app = web.Application()
    app.router.add_post("/v1/chat/completions", stand_in.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    stand_in.url = str(server.make_url("/v1"))
    try:
        yield stand_in
    finally:
        await server.close()
