"""Shared fixtures: a Prefect test harness (a real temporary Prefect API) for flows run in-process."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")


@pytest.fixture(scope="session")
def prefect_api(tmp_path_factory):
    """One Prefect API for the session; flows called in-process run against it for real."""
    from prefect.testing.utilities import prefect_test_harness

    os.environ["PREFECT_HOME"] = str(tmp_path_factory.mktemp("prefect-home"))
    with prefect_test_harness(server_startup_timeout=180):
        yield


@pytest.fixture(scope="session")
def prefect_api_url(prefect_api) -> str:
    """The session's Prefect API (prefect_api) by URL, for `talkwatch run` subprocesses: given as PREFECT_API_URL,
    they run their flows against it instead of starting a temporary server each (that path of its own:
    tests/test_run_startup.py)."""
    from prefect.settings import PREFECT_API_URL

    return PREFECT_API_URL.value()


@pytest.fixture(scope="session", autouse=True)
def quiet_prefect_at_exit():
    """Prefect stops its temporary servers from an atexit hook, after pytest has closed the captured streams its
    console handler writes to; silence that last log line instead of printing a logging traceback."""
    yield
    import logging

    logging.getLogger("prefect").disabled = True
