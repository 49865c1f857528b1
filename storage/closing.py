"""What every store shares about its end: ``async with`` closes it."""

from __future__ import annotations

from types import TracebackType
from typing import Self


class Closing:
    """``async with store:`` gives the store and closes it when the block ends, however it ends."""

    async def close(self) -> None:
        """Release what the store holds; safe to call twice."""
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
