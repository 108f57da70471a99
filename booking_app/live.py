"""A stream of live events for a page's background task: Redis pub/sub across processes, or the
in-process fan-out in the embedded mode. Yields None after `quiet` seconds without events (so the
caller can do housekeeping) and the markers DISCONNECTED / CONNECTED around a lost Redis."""
from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator

from booking_app import events
from booking_app.settings import get_settings

DISCONNECTED = {"type": "_disconnected"}
CONNECTED = {"type": "_connected"}
log = logging.getLogger(__name__)


def changes(quiet: float = 5.0) -> AsyncIterator[dict | None]:
    url = get_settings().redis_url
    return _redis_changes(url, quiet) if url else _local_changes(quiet)


async def _redis_changes(url: str, quiet: float) -> AsyncIterator[dict | None]:
    import redis.asyncio as aioredis
    from redis.exceptions import RedisError

    connected = True
    while True:
        client = aioredis.from_url(url)
        try:
            pubsub = client.pubsub()
            await pubsub.subscribe(events.CHANNEL)
            if not connected:
                connected = True
                yield CONNECTED  # events may have been missed: the caller resyncs from the database
            while True:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=quiet)
                yield json.loads(message["data"]) if message else None
        except (RedisError, OSError) as exc:
            if connected:
                log.warning("live events: Redis connection lost (%s); retrying", exc)
                connected = False
                yield DISCONNECTED
            await asyncio.sleep(1)
        finally:
            await client.aclose()


async def _local_changes(quiet: float) -> AsyncIterator[dict | None]:
    queue: asyncio.Queue = asyncio.Queue()
    loop = asyncio.get_running_loop()
    unsubscribe = events.subscribe_local(lambda event: loop.call_soon_threadsafe(queue.put_nowait, event))
    try:
        while True:
            try:
                yield await asyncio.wait_for(queue.get(), quiet)
            except TimeoutError:
                yield None
    finally:
        unsubscribe()
