"""The process environment a command needs before it starts: a UTF-8 view of its arguments and a readable TZ.

Why: talkwatch's text and names are in four scripts. Under the C or POSIX locale with Python's UTF-8 mode turned
off (`PYTHONUTF8=0 LC_ALL=C`), Python reads the arguments and file names as ASCII, so a Cyrillic query, search
or database name reached DuckDB as undecodable surrogates: an internal error. And a `TZ` that names a file which
is no time zone (`TZ=/etc/passwd`) made Babel, which Prefect imports, fail at import inside a run.
"""

from __future__ import annotations

import codecs
import os
import sys
import zoneinfo

UTF8_ENV = "PYTHONUTF8"


def ascii_locale() -> bool:
    """Whether this Python reads arguments and file names as ASCII (the C/POSIX locale, UTF-8 mode off)."""
    return codecs.lookup(sys.getfilesystemencoding()).name == "ascii" and not sys.flags.utf8_mode


def restart_in_utf8_mode() -> None:
    """Replace this process by the same command in Python's UTF-8 mode, when it reads arguments as ASCII.

    UTF-8 mode is what Python itself turns on under the C locale unless told not to (PEP 540); the command's
    arguments then reach it as the UTF-8 the terminal sent, and file names round-trip. PYTHONUTF8=1 is exported,
    so the processes a run starts (the crawl, the Prefect server, the page workers) read them the same way.
    Only the real command is restarted (sys.orig_argv), never a test calling `main()`.
    """
    if os.name != "posix" or not ascii_locale() or os.environ.get(UTF8_ENV) == "1":
        return
    argv = list(getattr(sys, "orig_argv", []))
    if not argv:
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os.environ[UTF8_ENV] = "1"
    try:
        os.execv(sys.executable, [sys.executable, *argv[1:]])
    except OSError:  # no executable to restart (an embedded interpreter): go on with ASCII
        del os.environ[UTF8_ENV]


def tz_problem() -> str | None:
    """Why `$TZ` cannot be used, or None.

    Only a TZ that names an existing path is checked: C's own rules take zone names and POSIX rules
    (`EST5EDT`, `UTC0`), and a name nobody knows falls back to UTC everywhere. A path must be a readable compiled
    time zone file; anything else (a folder, /etc/passwd, an empty file) made an import fail mid-run.
    """
    value = os.environ.get("TZ")
    if not value:
        return None
    path = value[1:] if value.startswith(":") else value
    if not path or not os.path.exists(path):
        return None
    if os.path.isdir(path):
        why = "a folder"
    elif not os.path.isfile(path):  # a device or a FIFO: not even opened (a FIFO would block)
        why = "not a regular file"
    else:
        try:
            with open(path, "rb") as fh:
                zoneinfo.ZoneInfo.from_file(fh)
            return None
        except OSError as exc:
            why = exc.strerror or str(exc)
        except ValueError:
            why = "not a compiled time zone file"
    return (f"TZ={value} names a file that is no time zone ({why}); unset TZ, or give a zone such as "
            f"TZ=Europe/Kyiv (talkwatch stores every time in UTC either way)")
