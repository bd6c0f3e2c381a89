"""The Prefect API a run uses is the one Prefect itself would use: talkwatch reads the environment, `.env`,
`prefect.toml`, `pyproject.toml` and the active profile without importing Prefect, and must agree with Prefect."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.prefectserver import REPO

PROFILES = """active = "{active}"

[profiles.ephemeral]
PREFECT_SERVER_EPHEMERAL_ENABLED = "true"

[profiles.local]
PREFECT_API_URL = "http://127.0.0.1:4301/api"

[profiles.other]
PREFECT_API_URL = "http://127.0.0.1:4302/api"
"""

ASK = ("import json, sys\n"
       "sys.path.insert(0, {repo!r})\n"
       "from pipelines.cli.prefectconfig import configured_api\n"
       "ours = configured_api()\n"
       "import prefect.settings\n"
       "theirs = prefect.settings.get_current_settings().api.url\n"
       "print(json.dumps([ours.url if ours else None, theirs]))\n")

CASES = {
    # name: (environment, files in the working folder, profiles file's active profile)
    "nothing": ({}, {}, "ephemeral"),
    "active profile": ({}, {}, "local"),
    "PREFECT_PROFILE": ({"PREFECT_PROFILE": "other"}, {}, "local"),
    "unknown profile": ({"PREFECT_PROFILE": "missing"}, {}, "local"),
    "environment first": ({"PREFECT_API_URL": "http://127.0.0.1:4303/api"}, {}, "local"),
    ".env": ({}, {".env": "PREFECT_API_URL=http://127.0.0.1:4304/api\n"}, "local"),
    "prefect.toml": ({}, {"prefect.toml": '[api]\nurl = "http://127.0.0.1:4305/api"\n'}, "ephemeral"),
    "pyproject.toml": ({}, {"pyproject.toml": '[tool.prefect.api]\nurl = "http://127.0.0.1:4306/api"\n'}, "local"),
    "profiles path in .env": ({}, {".env": "PREFECT_PROFILES_PATH={profiles2}\n"}, "ephemeral"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_configured_api_is_the_one_prefect_reads(case, tmp_path):
    env_extra, files, active = CASES[case]
    home = tmp_path / "prefect-home"
    home.mkdir()
    (home / "profiles.toml").write_text(PROFILES.format(active=active))
    profiles2 = tmp_path / "elsewhere.toml"
    profiles2.write_text(PROFILES.format(active="other"))
    work = tmp_path / "work"
    work.mkdir()
    for name, text in files.items():
        (work / name).write_text(text.format(profiles2=profiles2))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update({"PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false", **env_extra})
    p = subprocess.run([sys.executable, "-c", ASK.format(repo=str(REPO))], cwd=work, env=env, capture_output=True,
                       text=True, timeout=120)
    assert p.returncode == 0, p.stderr[-2000:]
    ours, theirs = __import__("json").loads(p.stdout.strip().splitlines()[-1])
    assert ours == theirs
    if case != "nothing" and case != "unknown profile":
        assert ours is not None  # every other case configures a server


def test_a_profiles_server_that_does_not_answer_stops_the_run_before_anything(tmp_path):
    """`prefect config set PREFECT_API_URL=...` (the README's schedule set-up) is obeyed by a manual run: before,
    it was ignored for a temporary server; now a dead one is status 4 before a file or a crawl exists."""
    home = tmp_path / "prefect-home"
    home.mkdir()
    (home / "profiles.toml").write_text('active = "local"\n[profiles.local]\nPREFECT_API_URL = "http://127.0.0.1:9/api"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update({"PREFECT_HOME": str(home), "PYTHONPATH": str(REPO)})
    db = tmp_path / "new.duckdb"
    p = subprocess.run([sys.executable, "-m", "pipelines.cli", "run", "--db", str(db),
                        "--sources", str(REPO / "config" / "sources.toml"), "--topic", str(REPO / "config" / "topic.toml")],
                       cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 4, p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in p.stderr
    assert "http://127.0.0.1:9/api" in lines[0] and "profile 'local'" in lines[0]
    assert not db.exists() and sorted(x.name for x in tmp_path.iterdir()) == ["prefect-home"]


def test_an_unparsable_env_file_is_read_without_a_word(tmp_path):
    """python-dotenv warns on a line it cannot parse; that is Prefect's to say (once), not talkwatch's too."""
    (tmp_path / ".env").write_text('this is not = valid\n"broken\nPREFECT_API_URL=http://127.0.0.1:4307/api\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env["PREFECT_HOME"] = str(tmp_path / "home")
    p = subprocess.run([sys.executable, "-c", f"import sys; sys.path.insert(0, {str(REPO)!r})\n"
                        "from pipelines.cli.prefectconfig import configured_api\nprint(configured_api().url)"],
                       cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and p.stderr == "" and p.stdout.strip() == "http://127.0.0.1:4307/api"


def _run_talkwatch(tmp_path, env_extra: dict) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update({"PYTHONPATH": str(REPO), **env_extra})
    env.setdefault("PREFECT_HOME", str(tmp_path / "prefect-home"))
    return subprocess.run([sys.executable, "-m", "pipelines.cli", "run", "--db", str(tmp_path / "new.duckdb"),
                           "--sources", str(REPO / "config" / "sources.toml"),
                           "--topic", str(REPO / "config" / "topic.toml")],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


def test_a_server_that_answers_health_but_is_no_prefect_api_stops_the_run_before_anything(tmp_path):
    """Any web server may answer /health: the run then failed inside Prefect (70), after creating the database."""
    from tests.loopback import LoopbackServer

    with LoopbackServer() as srv:
        srv.route("/api/health", (200, {"Content-Type": "application/json"}, b"true"))
        p = _run_talkwatch(tmp_path, {"PREFECT_API_URL": srv.url("/api")})
    lines = p.stderr.strip().splitlines()
    assert p.returncode == 4 and len(lines) == 1 and "not as a Prefect API" in lines[0], p.stderr
    assert not (tmp_path / "new.duckdb").exists() and not (tmp_path / "runs").exists()


@pytest.mark.parametrize("home, says", [
    ("file/sub", "Not a directory"),
    ("/proc/talkwatch-no-such", "PREFECT_HOME /proc/talkwatch-no-such cannot be used"),
    ("badtoml", "is not valid TOML"),
], ids=["under-a-file", "cannot-be-made", "invalid-profiles"])
def test_an_unusable_prefect_home_is_bad_input_before_anything(tmp_path, home, says):
    """The temporary server exited (code 3) after Prefect's warnings, or Prefect failed on a TOML traceback: 70,
    three lines, and a database created."""
    (tmp_path / "file").write_text("x")
    (tmp_path / "badtoml").mkdir()
    (tmp_path / "badtoml" / "profiles.toml").write_text('active = "x\n[profiles.x\n')
    p = _run_talkwatch(tmp_path, {"PREFECT_HOME": home if home.startswith("/") else str(tmp_path / home)})
    lines = p.stderr.strip().splitlines()
    assert p.returncode == 2 and len(lines) == 1 and says in lines[0], p.stderr
    assert not (tmp_path / "new.duckdb").exists()
