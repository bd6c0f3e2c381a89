"""A private folder of this user's in the system temp folder, for what talkwatch writes outside any place it was
given (trace logs, a DuckLake run's crawl output without a local data folder)."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path


def private_temp_folder(name: str) -> Path:
    """`<temp>/<name>` made with mode 0700, or a fresh private folder where that name is not safely ours (a file,
    a symlink, or another user's folder someone made first, which could redirect what we write)."""
    uid = os.getuid() if hasattr(os, "getuid") else 0
    path = Path(tempfile.gettempdir()) / name.format(uid=uid)
    try:
        path.mkdir(mode=0o700, exist_ok=True)
        st = path.lstat()
        if stat.S_ISDIR(st.st_mode) and not stat.S_ISLNK(st.st_mode) and st.st_uid == uid:
            return path
    except OSError:
        pass
    return Path(tempfile.mkdtemp(prefix=name.replace("-{uid}", "") + "-"))
