"""Copy-on-write generations of the on-disk index, so readers never see a write in progress.

Layout of an embedded index folder (RAG_INDEX_DIR):

    CURRENT          the published generation's folder name, replaced atomically
    ingest.lock      held (flock) by the one process that writes
    gen-000007/      a complete Chroma folder; never modified once published
      readers.lock   shared flock held by every process reading this generation
    gen-000008/      the writer's work in progress (a copy of the current one plus new papers)

Chroma's embedded store is not safe with two processes writing, or with one reading files
another is rewriting (that gave lost chunks and segmentation faults). So one writer at a
time works on its own copy and publishes it by replacing CURRENT; readers keep the
generation they opened until they reload, and a generation is deleted only when no reader
holds it. A writer killed midway leaves its work folder, which the next writer resumes.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from rag.errors import StoreError
from rag.file_cache import FILE as FILE_CACHE

CURRENT = "CURRENT"
WRITER_LOCK = "ingest.lock"
READERS_LOCK = "readers.lock"
_GEN = re.compile(r"^gen-(\d{6})$")
_LEGACY = re.compile(r"^(chroma\.sqlite3(-wal|-shm|-journal)?|\.lock)$")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_OURS = re.compile(
    rf"^({CURRENT}|{CURRENT}\.tmp|{re.escape(WRITER_LOCK)}|{re.escape(FILE_CACHE)}(-journal)?)$"
)
LOCK_POLL_S = 0.2


def gen_number(path: Path) -> int:
    match = _GEN.match(path.name)
    return int(match.group(1)) if match else 0


def current(root: Path) -> Path | None:
    """The published generation, or the folder itself for an index built before generations."""
    try:
        name = (root / CURRENT).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return root if (root / "chroma.sqlite3").exists() else None
    except OSError as exc:
        raise StoreError(f"Cannot read {root / CURRENT}: {exc.strerror}.") from exc
    if not _GEN.match(name) or not (root / name).is_dir():
        raise StoreError(
            f"{root / CURRENT} names '{name[:80]}', which is not a generation folder here. "
            "Run `rag ingest --rebuild` to start the index over."
        )
    return root / name


def stamp(root: Path) -> str:
    """What a reader compares to notice a newly published generation (cheap: one small read)."""
    found = current(root)
    return found.name if found else ""


def check_foreign(root: Path) -> None:
    """Refuse to manage a folder that holds files that are not ours (never delete them)."""
    if root.exists() and not root.is_dir():
        raise StoreError(f"{root} is a file, not an index folder. Set RAG_INDEX_DIR to a folder.")
    if not root.exists():
        return
    foreign = [
        e.name
        for e in root.iterdir()
        if not (
            _LEGACY.match(e.name)
            or _OURS.match(e.name)
            or (e.is_dir() and (_UUID.fullmatch(e.name) or _GEN.match(e.name)))
        )
    ]
    if foreign:
        raise StoreError(
            f"{root} holds files that are not a Chroma index ({', '.join(sorted(foreign)[:5])}); "
            "not touching them. Move them away or set RAG_INDEX_DIR to another folder."
        )


class ReaderLease:
    """A shared lock on one generation: while held, no writer deletes that folder."""

    def __init__(self, root: Path) -> None:
        for _ in range(50):  # a writer may publish and delete between our two reads
            gen = current(root)
            if gen is None or gen == root:
                self.path, self._fd = gen, None
                return
            try:
                fd = os.open(gen / READERS_LOCK, os.O_RDWR | os.O_CREAT, 0o644)
            except FileNotFoundError:
                continue
            except OSError as exc:
                if exc.errno in (errno.EROFS, errno.EACCES):  # read-only index: nobody deletes
                    self.path, self._fd = gen, None
                    return
                raise
            fcntl.flock(fd, fcntl.LOCK_SH)
            if current(root) == gen and gen.is_dir():
                self.path, self._fd = gen, fd
                return
            os.close(fd)
        raise StoreError(f"The index at {root} keeps changing; try again in a moment.")

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


@contextlib.contextmanager
def writer_lock(
    lock_file: Path, wait_s: float, on_wait: Callable[[str], None] | None = None
) -> Iterator[None]:
    """One writer per index, across processes; others wait up to `wait_s`, then give up."""
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_file, "a+", encoding="utf-8") as handle:
        deadline = time.monotonic() + wait_s
        told = False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read(64).strip() or "unknown"
                if time.monotonic() >= deadline:
                    raise StoreError(
                        f"Another `rag ingest` (pid {holder}) is still writing to this index "
                        f"after {wait_s:g} s of waiting. Let it finish and run again, or "
                        "raise RAG_INGEST_LOCK_WAIT_S."
                    ) from None
                if on_wait and not told:
                    on_wait(
                        f"Another `rag ingest` (pid {holder}) is writing to this index; "
                        f"waiting for it to finish (up to {wait_s:g} s)."
                    )
                    told = True
                time.sleep(LOCK_POLL_S)
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            handle.flush()
            fcntl.flock(handle, fcntl.LOCK_UN)


def unfinished(root: Path) -> Path | None:
    """A work folder left by a writer that was killed: newer than the published generation."""
    published = gen_number(current(root) or root)
    newer = sorted(
        (p for p in root.glob("gen-*") if gen_number(p) > published and p.is_dir()),
        key=gen_number,
    )
    return newer[-1] if newer else None


LINKED_DIR = "bm25"  # the keyword index (rag/keyword_index.py): files never changed in place


def new_generation(root: Path, base: Path | None) -> Path:
    """A fresh work folder: a copy of `base` (a finished generation), or empty."""
    numbers = [gen_number(p) for p in root.glob("gen-*")] + [gen_number(current(root) or root)]
    work = root / f"gen-{max(numbers, default=0) + 1:06d}"
    if base is None:
        work.mkdir(parents=True)
        return work
    tmp = root / f".{work.name}.copying"
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(
        base, tmp, ignore=shutil.ignore_patterns(READERS_LOCK, "*.copying"), copy_function=_copy
    )
    os.replace(tmp, work)  # a half-copied folder never looks like a generation
    return work


def _copy(src: str, dst: str) -> None:
    """Keyword-index shards are never changed in place (a rebuild writes a new folder), so
    the copy links them instead of duplicating their bytes."""
    if f"{os.sep}{LINKED_DIR}{os.sep}" in src:
        os.link(src, dst)
    else:
        shutil.copy2(src, dst)


def legacy_entries(root: Path) -> list[Path]:
    """Chroma files kept directly in the folder by versions before generations."""
    if not root.is_dir():
        return []
    return [e for e in root.iterdir() if _LEGACY.match(e.name) or _UUID.fullmatch(e.name)]


def adopt_legacy(root: Path) -> None:
    """Move an index built before generations into gen-000001 and publish it."""
    gen = root / "gen-000001"
    gen.mkdir()
    for entry in legacy_entries(root):
        if entry.name != ".lock":
            os.replace(entry, gen / entry.name)
    publish(root, gen)


def drop_legacy(root: Path) -> None:
    """Delete a pre-generation index (for --rebuild: it may be damaged beyond opening)."""
    for entry in legacy_entries(root):
        shutil.rmtree(entry) if entry.is_dir() else entry.unlink()


def publish(root: Path, gen: Path) -> None:
    """Point CURRENT at `gen` atomically, then delete older generations nobody reads."""
    tmp = root / f"{CURRENT}.tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(gen.name)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, root / CURRENT)
    with contextlib.suppress(OSError):
        dir_fd = os.open(root, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    collect(root)


def collect(root: Path) -> list[str]:
    """Delete generations older than the published one that no reader holds."""
    published = gen_number(current(root) or root)
    removed = []
    for old in sorted(root.glob("gen-*"), key=gen_number):
        if not old.is_dir() or gen_number(old) >= published:
            continue
        try:
            fd = os.open(old / READERS_LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue  # a reader still has it open; a later writer deletes it
        try:
            shutil.rmtree(old)
            removed.append(old.name)
        finally:
            os.close(fd)
    return removed
