"""Stable shards of the source list: a source always lands in the same shard of N, whatever else is configured."""

from __future__ import annotations

import hashlib


def shard_of(name: str, shards: int) -> int:
    """The shard (0 .. shards-1) of a source, from a hash of its name alone.

    Why a hash and not the position in sources.toml: adding, removing or reordering other outlets must not move
    this one, so its crawl history (and a retried shard's work) stays with the same shard from run to run.
    """
    if shards < 1:
        raise ValueError(f"the number of shards must be 1 or more, not {shards}")
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % shards


def split(names: list[str], shards: int) -> list[list[str]]:
    """The names in `shards` lists (some may be empty when there are few sources), each in configuration order."""
    out: list[list[str]] = [[] for _ in range(shards)]
    for name in names:
        out[shard_of(name, shards)].append(name)
    return out
