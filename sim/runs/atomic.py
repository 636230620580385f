"""Write files so that each is either complete or absent (temporary name, then rename).

The temporary file is hidden (``.NAME.XXXX.part``) in the same folder, so the rename is atomic
on POSIX file systems and nothing that globs for ``*.csv`` or ``*.json`` ever sees a partial
file. The content is flushed to disk before the rename, so a crash of the machine does not
leave an empty file under the final name either. A process killed mid-write (SIGKILL) may leave
its hidden temporary file behind; the next write of the same file removes it.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable
from pathlib import Path

TEMPORARY_SUFFIX = ".part"


def _fsync(path: Path, *, directory: bool = False) -> None:
    flags = os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if directory else 0)
    with contextlib.suppress(OSError):  # some file systems cannot sync a folder
        handle = os.open(path, flags)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)


def write_atomic(path: Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(temporary_path)`` and rename the result to ``path``.

    If ``write`` fails (or raises ``KeyboardInterrupt``/``SystemExit``), nothing is left at
    ``path`` and the temporary file is removed; an earlier file at ``path`` is kept as it was.

    Args:
        path: The final file.
        write: Writes the content to the path it is given.

    Returns:
        ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob(f".{path.name}.*{TEMPORARY_SUFFIX}"):
        stale.unlink(missing_ok=True)  # left by a write that was killed
    # The temporary name is chosen before the ``try`` and the file is created inside it, so a
    # signal that unwinds the process (SIGTERM -> SystemExit) at any moment after the file
    # exists reaches the clean-up below. (``mkstemp`` returns the name only after creating the
    # file, which left a window in which an unwinding signal leaked it.) 64 random bits make a
    # clash with another writer's temporary file negligible; O_EXCL refuses one all the same.
    temporary = path.parent / f".{path.name}.{secrets.token_hex(8)}{TEMPORARY_SUFFIX}"
    try:
        # 0o666 under the umask: the permissions an ordinary new file gets (shared sweep
        # folders must be readable by collaborators).
        os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        write(temporary)
        _fsync(temporary)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _fsync(path.parent, directory=True)
    return path


def write_text_atomic(path: Path, text: str) -> Path:
    """Write text to ``path`` atomically."""
    return write_atomic(path, lambda p: p.write_text(text, encoding="utf-8"))
