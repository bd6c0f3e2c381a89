"""A Prefect global concurrency limit around every open of the storage, for runs that share it (the fan-out).

A DuckDB file takes one process at a time, readers included: shards that prepare or load at once would queue on
the file lock and give up after --lock-timeout. Several shards instead take a slot of one Prefect limit before
they open the storage, so they queue in Prefect (visible in its UI, freed when a holder dies: the slot is a lease
its process keeps renewing) and load one after another, each still in its own all-or-nothing transaction. A
storage that takes several writers (DuckLake) can have a larger limit. Outside the fan-out nothing is acquired.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

ENV = "TALKWATCH_STORAGE_LIMIT"  # the limit's name; unset or empty: no limit (`talkwatch run`, the hourly flow)
DEFAULT_LIMIT = "talkwatch-storage"
LEASE_S = 60.0  # a slot whose holder died (SIGKILL, a lost machine) is free again this long after its last renewal


_BANNED = "/%&><"  # characters Prefect refuses in a name (prefect.types.Name)


def limit_name() -> str | None:
    """The limit this process's storage opens go through, from $TALKWATCH_STORAGE_LIMIT; None for none.

    ValueError naming the variable for a name Prefect would refuse: it used to surface as pydantic's raw
    validation error from inside the flow, after the crawl had been started.
    """
    name = os.environ.get(ENV, "").strip() or None
    if name is not None:
        check_limit_name(name, ENV)
    return name


def check_limit_name(name: str, where: str) -> None:
    """ValueError unless `name` can name a Prefect global concurrency limit."""
    banned = sorted({c for c in name if c in _BANNED})
    if not name.strip() or banned:
        why = f"has {' '.join(banned)}" if banned else "is empty"
        raise ValueError(f"{where}={name!r} {why}: a Prefect limit name cannot contain any of {' '.join(_BANNED)}")


def ensure_limit(name: str, slots: int | None = None) -> None:
    """Create the limit when it is missing (with `slots`, else 1); with `slots`, also set an existing one to it.

    Without `slots` an existing limit is left as its owner set it: a shard never shrinks or widens the queue the
    parent (or an operator, `prefect gcl update`) chose.
    """
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

    with get_client(sync_client=True) as client:
        if slots is not None:
            client.upsert_global_concurrency_limit_by_name(name, slots)
            return
        try:
            client.read_global_concurrency_limit_by_name(name)
            return
        except ObjectNotFound:
            pass
        try:
            client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=name, limit=1))
        except ObjectAlreadyExists:  # another shard created it in between
            pass


@contextmanager
def storage_slot(name: str | None = None) -> Iterator[None]:
    """Hold one slot of the limit `name` (default: this process's, see limit_name) while the block opens the
    storage; without a limit, nothing is acquired.

    Waits as long as it takes: the queue is other shards' loads, each bounded; a dead holder's slot comes back
    after LEASE_S.
    """
    name = name or limit_name()
    if name is None:
        yield
        return
    from prefect.concurrency.sync import concurrency

    ensure_limit(name)
    with concurrency(name, occupy=1, strict=True, lease_duration=LEASE_S):
        yield
