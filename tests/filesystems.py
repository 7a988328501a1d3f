"""Real small and read-only filesystems for tests of full disks and read-only databases.

Root ignores file permissions, so "read-only" must come from the filesystem: a tmpfs mounted (and
remounted read-only) by the test. Where mounting is not allowed (not root), read-only falls back to
file permissions, which then do apply; a full disk has no honest stand-in there and is skipped.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def _mount(*args: str) -> bool:
    done = subprocess.run(["mount", *args], capture_output=True, text=True, check=False)
    return done.returncode == 0


@contextmanager
def small_filesystem(where: Path, size_kb: int) -> Iterator[Path]:
    """A tmpfs of `size_kb` KiB mounted at `where` (skips the test if this machine cannot mount one)."""
    where.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or not _mount("-t", "tmpfs", "-o", f"size={size_kb}k,mode=0777", "tmpfs", str(where)):
        pytest.skip("mounting a small tmpfs needs root")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True, check=False)


def make_read_only(folder: Path) -> None:
    """Make `folder` and the files in it unwritable for this process, honestly for root too."""
    if os.geteuid() == 0:
        assert _mount("-o", "remount,ro", str(folder)), "remounting the tmpfs read-only failed"
        return
    for path in folder.iterdir():
        path.chmod(0o444)
    folder.chmod(0o555)


@contextmanager
def read_only_capable(where: Path) -> Iterator[Path]:
    """A folder that `make_read_only` can make read-only: a tmpfs as root, a plain folder otherwise."""
    if os.geteuid() != 0:
        where.mkdir(parents=True, exist_ok=True)
        try:
            yield where
        finally:
            where.chmod(0o755)
        return
    with small_filesystem(where, 4096) as mounted:
        yield mounted
