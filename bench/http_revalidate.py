"""What a 304 revalidation costs against a full 200 for the same feed, on 127.0.0.1.

.venv/bin/python bench/http_revalidate.py
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from newsletter.gather.fetch import Fetcher
from tests.servers import FeedServer, Route

BODY = b"<rss>" + b"<item><title>A post</title></item>" * 20_000 + b"</rss>"  # ~700 KB
ROUNDS = 50


async def timings(workspace: Path, url: str, cache: bool) -> list[float]:
    seconds = []
    cache_dir = workspace / "cache" if cache else None
    async with Fetcher(workspace, cache_dir=cache_dir) as fetcher:
        await fetcher.fetch(url)  # warm: connection pool, and the cache entry
        for _ in range(ROUNDS):
            started = time.perf_counter()
            fetched = await fetcher.fetch(url)
            seconds.append(time.perf_counter() - started)
            assert fetched.from_cache is cache
    return seconds


def main() -> None:
    server = FeedServer().start()
    try:
        url = server.add("/feed", Route(BODY, etag='"v1"'))
        with tempfile.TemporaryDirectory() as tmp:
            full = statistics.median(asyncio.run(timings(Path(tmp), url, cache=False)))
            revalidated = statistics.median(asyncio.run(timings(Path(tmp), url, cache=True)))
    finally:
        server.stop()
    print(f"feed of {len(BODY) / 1024:.0f} KiB, median of {ROUNDS} fetches")
    print(f"  200 full body:        {full * 1000:7.2f} ms")
    print(f"  304 + cached body:    {revalidated * 1000:7.2f} ms")
    print(f"  ratio:                {full / revalidated:7.1f}x")
    print(f"  body bytes sent on a 304: 0 of {len(BODY)}")


if __name__ == "__main__":
    main()
