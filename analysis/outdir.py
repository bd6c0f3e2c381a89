"""Safe output folders: write a whole folder beside the target, then swap it in, never through a symlink."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MARKER_MAX_BYTES = 1 << 20  # a marker is a few hundred bytes; anything bigger is not ours


class OutDirRefused(ValueError):
    """The folder is not ours to write: a foreign or non-empty folder, a file, a symlink, an empty name."""


class OutDirFailed(RuntimeError):
    """The folder was acceptable but writing it failed (permission, disk full, a race with another writer)."""


@dataclass(frozen=True)
class OutDir:
    """A checked output folder: where it goes, and whether an earlier output of ours is to be replaced."""

    path: Path  # absolute; its parent is resolved, its own name never is (it must not be a symlink)
    kind: str  # what writes it, e.g. "export": names the marker file `.talkwatch-<kind>.json`
    replaces: bool  # True when an earlier output of this kind is there and --force allows replacing it

    @property
    def marker(self) -> str:
        return marker_name(self.kind)


def marker_name(kind: str) -> str:
    """The marker file that tells a folder written by talkwatch (`kind`) from anybody else's."""
    return f".talkwatch-{kind}.json"


def check_out_dir(out: str | os.PathLike, kind: str, force: bool = False,
                  keep_outside: tuple[str | os.PathLike, ...] = ()) -> OutDir:
    """Decide whether `out` may be written, before any work is done, so a bad --out fails in a second.

    Accepted: a path that does not exist yet, an empty folder, or (with `force`) a folder holding our marker.
    Refused: "", a symlink (we never write where a link points), a file, a folder with anything else in it, the
    current folder or one holding it, and a folder that contains one of `keep_outside` (e.g. the database):
    replacing it would delete that file.
    """
    text = os.fspath(out)
    if not text.strip():
        raise OutDirRefused("--out is empty: give a folder to write into")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # bytes the shell passed through that are not UTF-8: DuckDB and the marker need text
        raise OutDirRefused(f"--out {text.encode('utf-8', 'surrogateescape')!r} is not UTF-8 text; give a folder "
                            f"name in UTF-8") from None
    absolute = Path(os.path.abspath(text))
    if absolute.name in ("", ".", ".."):
        raise OutDirRefused(f"{absolute} cannot be an output folder")
    parent = _existing_parent(absolute.parent)
    path = parent / absolute.name
    try:
        st = path.lstat()
    except FileNotFoundError:
        return OutDir(path, kind, replaces=False)
    except OSError as exc:
        raise OutDirRefused(f"cannot inspect {path}: {exc.strerror or exc}") from exc
    if stat.S_ISLNK(st.st_mode):
        raise OutDirRefused(f"{path} is a symlink; refusing to write where it points")
    if not stat.S_ISDIR(st.st_mode):
        raise OutDirRefused(f"{path} exists and is not a folder")
    if _holds_cwd(path):  # the swap would leave this shell in a deleted folder, seeing nothing
        raise OutDirRefused(f"{path} is the current folder or holds it; give a path to a new folder instead")
    for keep in keep_outside:
        if _inside(Path(keep), path):
            raise OutDirRefused(f"{path} contains {keep}; choose another folder")
    try:
        entries = os.listdir(path)
    except OSError as exc:
        raise OutDirRefused(f"cannot list {path}: {exc.strerror or exc}") from exc
    if not entries:
        return OutDir(path, kind, replaces=False)
    if read_marker(path, kind) is None:
        raise OutDirRefused(f"{path} is not empty and holds no talkwatch {kind}; refusing to write into it")
    if not force:
        raise OutDirRefused(f"{path} holds an earlier talkwatch {kind}; add --force to replace it")
    return OutDir(path, kind, replaces=True)


def _existing_parent(parent: Path) -> Path:
    """The parent folder, resolved; a missing one is fine (it is created later), a file in the way is not."""
    probe = parent
    while not os.path.lexists(probe):
        probe = probe.parent
    if not probe.is_dir():
        raise OutDirRefused(f"{probe} is not a folder, so nothing can be written under it")
    return Path(os.path.realpath(parent))


def _holds_cwd(folder: Path) -> bool:
    """Whether the current folder is `folder` or lies in it (False when the current folder is gone)."""
    try:
        return _inside(Path.cwd(), folder)
    except OSError:
        return False


def _inside(item: Path, folder: Path) -> bool:
    """Whether `item` (followed through links) lies in `folder`."""
    item_real, folder_real = os.path.realpath(item), os.path.realpath(folder)
    return os.path.commonpath([item_real, folder_real]) == folder_real


def read_marker(folder: Path, kind: str) -> dict[str, Any] | None:
    """The marker of an earlier output of `kind` in `folder`, or None when there is no valid one.

    Only a regular file counts, opened without following links: a planted symlink named like the marker must not
    turn somebody else's folder into one --force would delete.
    """
    path = folder / marker_name(kind)
    try:
        if not stat.S_ISREG(path.lstat().st_mode):
            return None
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        raw = f.read(MARKER_MAX_BYTES + 1)
    if len(raw) > MARKER_MAX_BYTES:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    return data if isinstance(data, dict) and data.get("talkwatch") == kind else None


def write_marker(folder: Path, kind: str, info: dict[str, Any]) -> Path:
    """Write the marker that lets a later --force recognise this folder as ours (and says what is in it)."""
    path = folder / marker_name(kind)
    with open(path, "x", encoding="utf-8") as f:  # "x": the staging folder is fresh, so anything there is wrong
        json.dump({"talkwatch": kind, **info}, f, indent=2, ensure_ascii=False, default=str)
        f.write("\n")
    return path


def files_in(folder: Path, skip: tuple[str, ...] = ()) -> list[str]:
    """Every regular file under `folder`, as sorted POSIX paths relative to it, without following links."""
    found = []
    for root, dirs, names in os.walk(folder):
        dirs.sort()
        for name in names:
            rel = Path(root, name).relative_to(folder).as_posix()
            if rel not in skip:
                found.append(rel)
    return sorted(found)


@contextmanager
def staged(target: OutDir) -> Iterator[Path]:
    """A fresh folder beside `target` to write into; on a clean exit it takes the target's place whole.

    Readers never see a half-written folder under the final name, and a failure (or Ctrl-C) removes the staging
    folder. Replacing an earlier output renames it aside first and deletes it last, so its stale files go too.
    """
    parent = target.path.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = _fresh_dir(parent, f".{target.path.name}.tmp-")
    except OSError as exc:
        raise OutDirFailed(f"cannot create a folder in {parent}: {exc.strerror or exc}") from exc
    try:
        yield tmp
        _swap_in(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _fresh_dir(parent: Path, prefix: str) -> Path:
    """Create a new folder with a random name: mkdir fails on anything already there, a symlink included."""
    for _ in range(100):
        path = parent / f"{prefix}{secrets.token_hex(6)}"
        try:
            path.mkdir()  # the umask's mode, like any folder the user makes (mkdtemp's 0o700 would hide it)
            return path
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name in {parent}")


def _swap_in(tmp: Path, target: OutDir) -> None:
    """Move the finished folder to its final name, checking again that nobody changed the target meanwhile."""
    final = target.path
    try:
        if not target.replaces:
            os.rename(tmp, final)  # atomic; replaces only a folder that is still empty, fails on anything else
            return
        if os.path.islink(final) or read_marker(final, target.kind) is None:
            raise OutDirRefused(f"{final} changed during the {target.kind}; it no longer holds one of ours")
        aside = _fresh_dir(final.parent, f".{final.name}.old-")
        try:
            os.rename(final, aside)  # onto the empty folder just made: atomic
        except OSError:
            os.rmdir(aside)
            raise
        try:
            os.rename(tmp, final)
        except OSError:
            os.rename(aside, final)  # put the earlier output back rather than leave nothing
            raise
    except OSError as exc:
        raise OutDirFailed(f"cannot move the finished {target.kind} to {final}: {exc.strerror or exc}") from exc
    shutil.rmtree(aside, ignore_errors=True)  # never follows links inside it; best effort, the new output is in place
