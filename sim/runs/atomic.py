"""Write files so that each is either complete or absent (temporary name, then rename).

The temporary file is hidden (``.NAME.XXXX.part``) in the same folder, so the rename is atomic
on POSIX file systems and nothing that globs for ``*.csv`` or ``*.json`` ever sees a partial
file. The content is flushed to disk before the rename, so a crash of the machine does not
leave an empty file under the final name either. A process killed mid-write (SIGKILL) may leave
its hidden temporary file behind; the next write of the same file removes it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
from collections.abc import Callable
from pathlib import Path

from sim.config.schema import ConfigError

TEMPORARY_SUFFIX = ".part"

#: The hidden temporary files :func:`write_atomic` makes (``.NAME.<16 hex digits>.part``).
TEMPORARY_PATTERN = re.compile(r"^\..+\.[0-9a-f]{16}\.part$")

#: Words for the errors of writing a file (by ``errno``), for a one-line message.
_REASONS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EISDIR: "it is a folder",
    errno.EEXIST: "a file is in the way",
    errno.ENAMETOOLONG: "the file name is too long",
    errno.EFBIG: "the file is too large for a file size limit, e.g. ulimit -f",
    errno.ENOENT: "a folder of the path does not exist",
}


class OutputError(ConfigError):
    """A file or folder of the output cannot be written; the message names the path.

    A :class:`~sim.config.schema.ConfigError` so that the commands report it in one line with
    exit status 2 (the output folder is part of the configuration, ``hydra.run.dir``).
    """


def describe_os_error(path: Path, error: OSError, *, exact: bool = False) -> str:
    """``PATH: cannot write (REASON)`` for an error of writing ``path``.

    The path is the error's own file name where it has one, unless ``exact``.
    """
    reason = _REASONS.get(error.errno or 0) or error.strerror or str(error)
    named = isinstance(error.filename, str) and error.filename and not exact
    where = error.filename if named else path
    return f"{where}: cannot write ({reason})"


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

    Raises:
        OutputError: The file cannot be written (disk full, read-only, too large, a name too
            long, ...); nothing is left at ``path`` or under a temporary name.

    Args:
        path: The final file.
        write: Writes the content to the path it is given.

    Returns:
        ``path``.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        for stale in path.parent.glob(f".{path.name}.*{TEMPORARY_SUFFIX}"):
            stale.unlink(missing_ok=True)  # left by a write that was killed
    except OSError as exc:
        raise OutputError(describe_os_error(path.parent, exc)) from None
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
    except OSError as exc:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
        raise OutputError(describe_os_error(path, exc)) from None
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
        raise
    _fsync(path.parent, directory=True)
    return path


def write_text_atomic(path: Path, text: str) -> Path:
    """Write text to ``path`` atomically."""
    return write_atomic(path, lambda p: p.write_text(text, encoding="utf-8"))
