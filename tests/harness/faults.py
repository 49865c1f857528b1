"""Fault injection for the fake Discord: rate limits (429) and server errors (5xx) by route.

Discord answers some requests with ``429 Too Many Requests`` (per route, or ``global``) and a
``retry_after``, and sometimes with 500/502/503 bursts. :class:`Faults` scripts such answers for
chosen routes; the fake Discord then hands the request to discord.py's *real* request code
(``AsyncWebhookAdapter.request`` for interaction replies, ``HTTPClient.request`` for the bot's
own messages) over a :class:`FaultSession`, so discord.py's own waiting and retrying is what the
tests exercise. Once a route's faults are used up it answers normally.

    harness.discord.faults.add("POST", r"/callback$", Fault(429, retry_after=0.05))
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from multidict import CIMultiDict


@dataclass(slots=True)
class Fault:
    """``times`` answers with ``status`` (429: with ``retry_after`` seconds, ``is_global``)."""

    status: int
    retry_after: float = 0.0
    is_global: bool = False
    times: int = 1


@dataclass(slots=True)
class Faults:
    """Scripted faults by method and path pattern (a regular expression searched in the path)."""

    _script: list[tuple[str, re.Pattern[str], Fault]] = field(default_factory=list)
    #: Every fault answered, as (method, path, status), in order.
    answered: list[tuple[str, str, int]] = field(default_factory=list)

    def add(self, method: str, path: str, fault: Fault) -> None:
        self._script.append((method, re.compile(path), fault))

    def pending(self, method: str, path: str) -> bool:
        """True when the next request to ``path`` is to fail."""
        return self._find(method, path) is not None

    def take(self, method: str, path: str) -> Fault | None:
        """The fault the next request to ``path`` gets (used up), or ``None``."""
        fault = self._find(method, path)
        if fault is not None:
            fault.times -= 1
            self.answered.append((method, path, fault.status))
        return fault

    def _find(self, method: str, path: str) -> Fault | None:
        for m, pattern, fault in self._script:
            if m == method and fault.times > 0 and pattern.search(path):
                return fault
        return None


class Response:
    """What discord.py reads of an aiohttp response: status, reason, headers, text."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.reason = {429: "Too Many Requests", 500: "Internal Server Error"}.get(status, "Error")
        self.headers: CIMultiDict[str] = CIMultiDict(headers or {})
        self.headers.setdefault("Content-Type", "application/json")
        self._text = json.dumps(body)

    async def text(self, encoding: str = "utf-8") -> str:
        return self._text

    async def __aenter__(self) -> Response:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None


class FaultSession:
    """Stands in for the aiohttp session of one request: the scripted faults for ``path``
    first, then the fake Discord's normal answer (``answer()``)."""

    def __init__(self, faults: Faults, path: str, answer: Callable[[], Any]) -> None:
        self.faults = faults
        self.path = path
        self.answer = answer

    def request(self, method: str, url: str, **_: Any) -> Response:
        fault = self.faults.take(method, self.path)
        if fault is None:
            return Response(200, self.answer())
        if fault.status == 429:
            body = {
                "message": "You are being rate limited.",
                "retry_after": fault.retry_after,
                "global": fault.is_global,
            }
            headers = {
                "Via": "1.1 google",
                "X-RateLimit-Scope": "global" if fault.is_global else "user",
            }
            return Response(429, body, headers)
        return Response(fault.status, {"message": "Server error", "code": 0})
