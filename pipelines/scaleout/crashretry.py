"""Prefect automations that notice a shard run whose machine died and schedule it again: Prefect retries the crash.

Prefect 3.9 retries a flow run that *fails* (`retries`, in the run's own process), but not one that *crashed*:
when a worker's machine dies (or its flow-run process is SIGKILLed) nothing is left to retry it (PrefectHQ/prefect
issue 10211, open). What Prefect gives instead are its events and automations:

1. Shard runs send a heartbeat event every HEARTBEAT_S seconds (`PREFECT_FLOWS_HEARTBEAT_FREQUENCY`, set in the
   shard deployment's environment). A run that stops sending them and has not finished is marked Crashed by the
   first automation (Prefect's documented "zombie flow" recipe, docs v3/advanced/detect-zombie-flows). A process
   worker that sees its flow-run process die reports Crashed by itself, without waiting.
2. The second automation answers a shard run's Crashed event by setting the run back to Scheduled
   (`AwaitingRetry`), as `prefect flow-run retry` does: the same flow run, its parameters, `run_count` one more,
   picked up by whichever worker polls next. Only for run counts 1..CRASH_RETRIES, so a shard that kills its
   machine every time stops after that many retries instead of looping.

A worker killed alone (its flow-run processes live on, in their own sessions) loses nothing: the runs finish.
Both automations are scoped to runs tagged SHARD_TAG, so other flows on the same server are left alone.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

SHARD_TAG = "talkwatch-shard"
HEARTBEAT_S = 30  # Prefect's minimum heartbeat interval
SILENCE_S = 90  # three missed heartbeats: the run's process is gone (a loaded box can delay one beat, not three)
CRASH_RETRIES = 2  # retries of a crashed shard run; with the first attempt, three runs at most
ZOMBIE_AUTOMATION = "talkwatch: crash shard runs without heartbeat"
RETRY_AUTOMATION = "talkwatch: retry crashed shard runs"


def _automations(silence_s: float, retries: int) -> list[Any]:
    from prefect.automations import Automation
    from prefect.client.schemas.objects import StateType
    from prefect.events.actions import ChangeFlowRunState
    from prefect.events.schemas.automations import EventTrigger, Posture
    from prefect.events.schemas.events import ResourceSpecification

    shard_runs = ResourceSpecification({"prefect.resource.id": [f"prefect.tag.{SHARD_TAG}"]})
    zombie = Automation(
        name=ZOMBIE_AUTOMATION,
        description=f"A talkwatch shard run silent for {silence_s:g} s has lost its process: mark it Crashed.",
        trigger=EventTrigger(
            after={"prefect.flow-run.heartbeat"},
            expect={"prefect.flow-run.heartbeat", "prefect.flow-run.Completed", "prefect.flow-run.Failed",
                    "prefect.flow-run.Cancelled", "prefect.flow-run.Crashed"},
            match=ResourceSpecification({"prefect.resource.id": ["prefect.flow-run.*"]}),
            match_related=shard_runs,
            for_each={"prefect.resource.id"},
            posture=Posture.Proactive,
            threshold=1,
            within=timedelta(seconds=silence_s),
        ),
        actions=[ChangeFlowRunState(state=StateType.CRASHED,
                                    message=f"no heartbeat for {silence_s:g} s: the worker or its machine died")],
    )
    retry = Automation(
        name=RETRY_AUTOMATION,
        description=f"Schedule a crashed talkwatch shard run again, up to {retries} times.",
        trigger=EventTrigger(
            expect={"prefect.flow-run.Crashed"},
            match=ResourceSpecification({"prefect.resource.id": ["prefect.flow-run.*"],
                                         "prefect.run-count": [str(n) for n in range(1, retries + 1)]}),
            match_related=shard_runs,
            for_each={"prefect.resource.id"},
            posture=Posture.Reactive,
            threshold=1,
            within=timedelta(seconds=0),
        ),
        actions=[ChangeFlowRunState(state=StateType.SCHEDULED, name="AwaitingRetry",
                                    message="crashed: scheduled again by the talkwatch retry automation")],
    )
    return [zombie, retry]


def ensure_crash_retries(silence_s: float | None = None, retries: int | None = None) -> int:
    """Create both automations when missing (SILENCE_S, CRASH_RETRIES unless given); bring existing ones to the
    values given, and leave them as they are (an operator may have tuned them) for values not given.

    Returns the number of crash retries the retry automation grants, which the parent needs to know how long a
    Crashed shard run is still coming back.
    """
    from prefect.automations import Automation

    wanted = _automations(SILENCE_S if silence_s is None else silence_s,
                          CRASH_RETRIES if retries is None else retries)
    explicit = {ZOMBIE_AUTOMATION: silence_s is not None, RETRY_AUTOMATION: retries is not None}
    granted = CRASH_RETRIES if retries is None else retries
    for want in wanted:
        try:
            have = Automation.read(name=want.name)
        except ValueError:  # not there yet
            want.create()
            continue
        same = (have.trigger.model_dump() == want.trigger.model_dump()
                and [a.model_dump() for a in have.actions] == [a.model_dump() for a in want.actions])
        if explicit[want.name] and not (same and have.enabled):
            want.id = have.id
            want.update()
        elif want.name == RETRY_AUTOMATION:
            granted = _granted(have) if have.enabled else 0
    return granted


def _granted(retry: Any) -> int:
    """The largest run count the retry automation answers (its `prefect.run-count` labels)."""
    counts = getattr(retry.trigger, "match", {}).get("prefect.run-count", [])
    counts = [counts] if isinstance(counts, str) else list(counts)
    return max((int(c) for c in counts if str(c).isdigit()), default=0)


def retry_coming(state_type: str | None, run_count: int, retries: int = CRASH_RETRIES) -> bool:
    """Whether a shard run in this state is about to be scheduled again by the retry automation."""
    return state_type == "CRASHED" and 1 <= run_count <= retries
