"""The index under faults: damaged or foreign folders, a full disk, a read-only disk."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from rag.errors import StoreError
from rag.index_access import open_store
from rag.ingest import ingest
from tests.support.index_fixtures import CORPUS, make_settings

SMALL = CORPUS / "000_3196bafc52f3dd54.txt"  # 10 untitled abstracts

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root")


def _rag(env_dir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "RAG_DATA_DIR": str(env_dir), "RAG_CORPUS_DIR": str(CORPUS)}
    return subprocess.run(
        [sys.executable, "-m", "rag.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_damaged_index_says_to_rebuild_and_rebuild_recovers(tmp_path):
    index = tmp_path / "index"
    index.mkdir()
    (index / "chroma.sqlite3").write_bytes(os.urandom(50_000))
    with pytest.raises(StoreError, match=r"rag ingest --rebuild"):
        open_store(make_settings(tmp_path)).open()
    summary = ingest([SMALL], make_settings(tmp_path), rebuild=True, progress=False)
    assert summary.papers_in_index == 10


def test_damaged_index_through_the_cli_is_one_clear_line(tmp_path):
    (tmp_path / "index").mkdir()
    (tmp_path / "index" / "chroma.sqlite3").write_bytes(b"not a database" * 1000)
    result = _rag(tmp_path, "stats")
    assert result.returncode == 2
    assert result.stderr.startswith("error: Cannot open the Chroma index")
    assert "Traceback" not in result.stderr


def test_rebuild_never_deletes_a_folder_that_is_not_an_index(tmp_path):
    index = tmp_path / "index"
    index.mkdir()
    (index / "thesis.tex").write_text("years of work")
    with pytest.raises(StoreError, match="not a Chroma index"):
        ingest([SMALL], make_settings(tmp_path), rebuild=True, progress=False)
    assert (index / "thesis.tex").read_text() == "years of work"


@pytest.fixture
def tmpfs(tmp_path):
    mount = tmp_path / "mnt"
    mount.mkdir()
    mounted: list[Path] = []

    def make(size: str, read_only: bool = False) -> Path:
        opts = f"size={size}" + (",ro" if read_only else "")
        subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(mount)], check=True)
        mounted.append(mount)
        return mount

    yield make
    for path in mounted:
        subprocess.run(["umount", "-l", str(path)], check=False)


@needs_root
def test_full_disk_fails_cleanly_then_resumes_when_space_is_freed(tmp_path, tmpfs):
    disk = tmpfs("3m")
    first = _rag(disk, "ingest", "--quiet", str(SMALL))
    assert first.returncode == 0, first.stderr
    result = _rag(disk, "ingest", "--quiet", str(CORPUS))
    assert result.returncode == 2, result.stderr[-2000:]
    assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr
    assert "free space" in result.stderr
    stats = _rag(disk, "stats", "--json")
    assert "Traceback" not in stats.stderr
    assert stats.returncode == 0 or stats.stderr.startswith("error: ")
    # Free space (grow the disk) and run again: the index completes, nothing duplicated.
    subprocess.run(["mount", "-o", "remount,size=200m", str(disk)], check=True)
    again = _rag(disk, "ingest", "--quiet", str(CORPUS))
    assert again.returncode == 0, again.stderr[-2000:]
    assert "index holds 683 papers" in again.stdout


@needs_root
def test_read_only_data_dir_fails_cleanly(tmp_path, tmpfs):
    disk = tmpfs("1m", read_only=True)
    result = _rag(disk, "ingest", "--quiet", str(SMALL))
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr
    assert "Read-only" in result.stderr or "read-only" in result.stderr


@needs_root
def test_a_read_only_index_says_so_instead_of_asking_for_a_rebuild(tmp_path):
    data = tmp_path / "data"
    ingest([SMALL], make_settings(data), progress=False)
    view = tmp_path / "ro"
    view.mkdir()
    subprocess.run(["mount", "--bind", str(data), str(view)], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,ro,bind", str(view)], check=True)
        result = _rag(view, "stats")
    finally:
        subprocess.run(["umount", "-l", str(view)], check=False)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "read-only" in result.stderr and "RAG_INDEX_DIR" in result.stderr
    assert "--rebuild" not in result.stderr, "a rebuild would not help"
