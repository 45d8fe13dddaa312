"""Small-file I/O shared by the commands: answer files in, atomic files out.

Batch scoring streams large files itself (``model.batch.pipeline``); this module is for
one answer set or a modest table, read whole.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["atomic_path", "atomic_write", "cannot_write", "names_a_file_type", "read_json_answers", "read_table"]


from model.errors import InputError, OutputError  # (defined with the others; importable from here as before)


def _public(tmp: str | os.PathLike[str]) -> None:
    """mkstemp makes owner-only files; a finished output gets the usual permissions."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)


def read_json_answers(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The answer sets of a JSON answer file: one object, or a list of them, each answer as written
    (50 stays 50). The one reader of answer files for ``exodds report``, ``quiz`` and ``validate``;
    tables are read as ``exodds score`` reads them (``model.batch.readers``)."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not an answer file")
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (json.JSONDecodeError, UnicodeDecodeError, OSError) as exc:
        raise InputError(f"{path}: cannot read: {exc}") from None
    records = data if isinstance(data, list) else [data]
    if not all(isinstance(r, dict) for r in records):
        what = type(data).__name__ if not isinstance(data, list) else "a list holding something else"
        raise InputError(f"{path}: expected one JSON object of answers, or a list of them, got {what}")
    return records


def read_table(path: str | os.PathLike[str]) -> pd.DataFrame:
    """A whole CSV (optionally gzipped) or Parquet table with typed columns, read by pyarrow.

    For training and evaluation files; scoring exports uses ``model.batch.pipeline``,
    which streams and keeps every cell as text.
    """
    import pandas as pd

    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file")
    try:
        if path.suffix.lower() == ".parquet":
            return pd.read_parquet(path)
        return pd.read_csv(path, engine="pyarrow")
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: cannot read: {exc}") from exc


def names_a_file_type(suffix: str) -> bool:
    """Whether a name's last suffix names a kind of file ('.pdf', '.bz2', '.7z'), rather than being
    a dotted part of the name such as 'scores.2026-11' (no letter in it). One rule for every
    command that refuses a name whose type it cannot write."""
    return any(c.isalpha() for c in suffix)


def cannot_write(path: str | os.PathLike[str], exc: OSError) -> str:
    """Why ``path`` could not be written, in words (``File exists`` is what the system says when a
    folder on the way is a file)."""
    for folder in Path(path).parents:
        if folder.exists():
            if not folder.is_dir():
                return f"cannot write {path}: {folder} is a file, not a folder"
            break
    return f"cannot write {path}: {exc.strerror or exc}"


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], mode: str = "w", **kwargs: Any) -> Iterator[IO[Any]]:
    """Write to a temporary file beside ``path`` and rename it into place only on success."""
    with atomic_path(path) as tmp, open(tmp, mode, **kwargs) as fh:
        yield fh


_STREAMS = ("/proc/", "/dev/fd/", "/dev/stdin", "/dev/stdout", "/dev/stderr", "/dev/tty")


def _is_stream(path: Path) -> bool:
    """Whether ``path`` is, or links through, a process's stream (/dev/stdout, /dev/fd/N, /proc/...):
    whatever it points at now (a terminal, a pipe, a shell's redirect), renaming over it breaks it.
    (Other names under /dev, such as /dev/shm, are ordinary folders; devices are refused elsewhere.)"""
    seen = 0
    p = Path(os.path.abspath(path))
    while True:
        if str(p).startswith(_STREAMS):
            return True
        if not p.is_symlink() or seen > 40:
            return False
        p = Path(os.path.abspath(p.parent / os.readlink(p)))
        seen += 1


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary path beside ``path`` for writers that want a file name (pyarrow, joblib).

    A symbolic link is written through (the file it names is replaced, the link stays); a pipe,
    device or socket is refused, since renaming a file over it would replace it.
    """
    target = Path(path)
    if _is_stream(target):  # /dev/stdout, /dev/fd/N: whatever they point at now, renaming over it breaks it
        raise OutputError(
            errno.EINVAL, "not a regular file (a pipe, a device or a stream); name a file to write", str(path)
        )
    if target.is_symlink():
        with contextlib.suppress(FileNotFoundError):  # a link to nothing yet is written through
            os.stat(path)  # a loop of links raises ELOOP here
        target = Path(os.path.realpath(path))
    if target.exists() and not target.is_file() and not target.is_dir():
        raise OutputError(errno.EINVAL, "not a regular file (a pipe or a device); name a file to write", str(path))
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        _public(tmp)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
