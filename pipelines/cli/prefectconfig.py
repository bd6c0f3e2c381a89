"""Which Prefect API the user configured, read from the places Prefect reads, without importing Prefect.

Why: `talkwatch run` decides between the configured server and a temporary one as its very first step, before
Prefect is imported (an import of about 1.2 s that the temporary server's start-up overlaps). Reading only the
environment missed the way the README (and Prefect's docs) configure a server: `prefect config set
PREFECT_API_URL=...` writes it into the active profile, so a manual run ignored that server for a temporary one.
The sources and their order are Prefect 3's (prefect/settings/base.py, sources.py): the environment, a `.env` file,
`prefect.toml` (`[api] url`), `pyproject.toml` (`[tool.prefect.api] url`), then the active profile of the
profiles file (`PREFECT_PROFILE`, else the file's `active`).
"""

from __future__ import annotations

import logging
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ConfiguredAPI:
    """An API URL and where it was configured, for the messages that name it."""

    url: str
    where: str


def _dotenv() -> dict[str, str]:
    env_file = Path(".env")
    if not env_file.is_file():
        return {}
    from dotenv import dotenv_values  # python-dotenv, the reader pydantic-settings uses for Prefect's .env

    quiet = logging.getLogger("dotenv.main")  # its "could not parse" warnings are Prefect's to give, once
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        values = dotenv_values(env_file)
    except (OSError, UnicodeDecodeError):
        return {}
    finally:
        quiet.setLevel(level)
    # pydantic-settings matches names case-insensitively
    return {k.upper(): v for k, v in values.items() if isinstance(k, str) and isinstance(v, str)}


def _toml(path: Path) -> dict:
    """A TOML file's data; {} when it is missing or unreadable (Prefect then fails on its own, with its words)."""
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError, RecursionError):
        return {}


def _profiles(path: Path) -> dict:
    """The profiles file's data ({} when there is none); ValueError when Prefect could not read it either (it would
    fail the run later with a TOML traceback and two warnings)."""
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise ValueError(f"Prefect's profiles file {path} is not valid TOML ({exc}); fix it, or point "
                         f"PREFECT_PROFILES_PATH or PREFECT_HOME elsewhere") from None
    except OSError as exc:
        raise ValueError(f"cannot read Prefect's profiles file {path}: {exc.strerror or exc}") from None


def check_prefect_home() -> None:
    """ValueError unless PREFECT_HOME (default ~/.prefect) is a folder this process can write, made now if need be
    (as Prefect makes it when imported): the temporary server keeps its database there, and without it exited
    (code 3) after two lines of Prefect's warnings."""
    home = prefect_home()
    try:
        home.mkdir(parents=True, exist_ok=True)
        usable = home.is_dir() and os.access(home, os.W_OK | os.X_OK)
        reason = "not a writable folder"
    except OSError as exc:
        usable, reason = False, exc.strerror or str(exc)
    if not usable:
        raise ValueError(f"PREFECT_HOME {home} cannot be used: {reason}; set PREFECT_HOME to a folder Prefect can "
                         f"write")


def prefect_home() -> Path:
    """PREFECT_HOME, or Prefect's default ~/.prefect."""
    given = os.environ.get("PREFECT_HOME")
    return Path(given).expanduser() if given else Path.home() / ".prefect"


def _get(data: dict, *keys: str):
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _test_mode() -> bool:
    return any(os.environ.get(name) for name in ("PREFECT_TEST_MODE", "PREFECT_UNIT_TEST_MODE",
                                                 "PREFECT_TESTING_UNIT_TEST_MODE", "PREFECT_TESTING_TEST_MODE"))


def profiles_path(dotenv: dict[str, str], prefect_toml: dict, pyproject: dict) -> Path:
    """The profiles file Prefect reads, found as `prefect.settings.sources._get_profiles_path` finds it, from the
    environment and the already read `.env`, `prefect.toml` and `pyproject.toml`."""
    for found in (os.environ.get("PREFECT_PROFILES_PATH"), dotenv.get("PREFECT_PROFILES_PATH"),
                  _get(prefect_toml, "profiles_path"), _get(pyproject, "tool", "prefect", "profiles_path")):
        if isinstance(found, str) and found:
            return Path(found).expanduser()
    return prefect_home() / "profiles.toml"


def configured_api() -> ConfiguredAPI | None:
    """The Prefect API URL this process would use, and where it is set; None when nothing sets one."""
    url = os.environ.get("PREFECT_API_URL")
    if url is not None:  # an empty value is still the environment's word (and unsets the rest for Prefect)
        return ConfiguredAPI(url, "PREFECT_API_URL") if url.strip() else None
    dotenv = _dotenv()
    if dotenv.get("PREFECT_API_URL"):
        return ConfiguredAPI(dotenv["PREFECT_API_URL"], "PREFECT_API_URL in .env")
    prefect_toml, pyproject = _toml(Path("prefect.toml")), _toml(Path("pyproject.toml"))
    for data, keys, name in ((prefect_toml, ("api", "url"), "prefect.toml"),
                             (pyproject, ("tool", "prefect", "api", "url"), "pyproject.toml")):
        found = _get(data, *keys)
        if isinstance(found, str) and found:
            return ConfiguredAPI(found, f"api.url in {name}")
    if _test_mode():
        return None
    path = profiles_path(dotenv, prefect_toml, pyproject)
    profiles = _profiles(path)
    active = os.environ.get("PREFECT_PROFILE") or profiles.get("active")
    found = _get(profiles, "profiles", active, "PREFECT_API_URL") if isinstance(active, str) else None
    if isinstance(found, str) and found:
        return ConfiguredAPI(found, f"PREFECT_API_URL of profile {active!r} in {path}")
    return None
