"""How often to poll a source: an interval that shrinks when a source brings new stories and grows when it does not.

Media Cloud's observation: most feeds add a story a day or less, a few add dozens an hour; polling all of them
hourly wastes requests on the quiet ones, and a source that only republishes wire copy already seen elsewhere is
worth less attention than one that breaks stories. The rule, per crawl of a source:

- at least one new original → halve the interval (not under `MIN_FACTOR` × the configured `poll_minutes`);
- new copies only, or nothing new → grow it by half (not over `MAX_FACTOR` × `poll_minutes`, at most a day);
- every listing failed → keep it: a dead server says nothing about the news rate; the next scheduled run retries.
"""

from __future__ import annotations

DEFAULT_POLL_MINUTES = 60.0
MIN_FACTOR = 0.25
MAX_FACTOR = 8.0
MAX_MINUTES = 24 * 60.0


def next_interval(base: float, current: float | None, new_originals: int, copies: int, failed: bool) -> float:
    """The next poll interval in minutes for a source configured with `base` minutes."""
    current = base if current is None else current
    if failed:
        return current
    low, high = base * MIN_FACTOR, min(base * MAX_FACTOR, MAX_MINUTES)
    if new_originals > 0:
        return max(low, current / 2)
    return min(high, max(current, low) * 1.5)
