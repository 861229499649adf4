"""The one way tests wait: for a state, never for a length of time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def eventually(
    probe: Callable[[], Awaitable[T]], timeout: float = 30, interval: float = 0.1
) -> T:
    """Asks `probe` until it answers something truthy, and returns that answer.

    The deadline is generous on purpose: it only bounds a test that would otherwise
    hang, and says nothing about how fast things should be.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        answer = await probe()
        if answer:
            return answer
        if loop.time() > deadline:
            name = getattr(probe, "__name__", "the condition")
            raise AssertionError(f"{name} did not hold within {timeout} s (last: {answer!r})")
        await asyncio.sleep(interval)


def eventually_blocking(probe: Callable[[], T], timeout: float = 60, interval: float = 0.2) -> T:
    """`eventually` for synchronous tests that drive whole processes."""
    deadline = time.monotonic() + timeout
    while True:
        answer = probe()
        if answer:
            return answer
        if time.monotonic() > deadline:
            name = getattr(probe, "__name__", "the condition")
            raise AssertionError(f"{name} did not hold within {timeout} s (last: {answer!r})")
        time.sleep(interval)
