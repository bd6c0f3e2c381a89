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


@pytest.fixture(scope="session", autouse=True)
def quiet_prefect_at_exit():
    """Prefect stops its temporary servers from an atexit hook, after pytest has closed the captured streams its
    console handler writes to; silence that last log line instead of printing a logging traceback."""
    yield
    import logging

    logging.getLogger("prefect").disabled = True
