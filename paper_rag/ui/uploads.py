"""Adding papers from the browser: uploaded files are saved beside the corpus and ingested
by the running app, which then answers from them without a restart."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from rag.errors import RagError
from rag.settings import Settings

if TYPE_CHECKING:
    from rag.engine import Engine

UPLOAD_FOLDER = "uploads"
UPLOAD_LOCK_WAIT_S = 10.0  # the browser should not hang behind a long command-line ingest
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def save_uploads(paths: list[str], dest: Path, max_bytes: int) -> tuple[list[Path], list[str]]:
    """Copy uploaded files into `dest` under safe names; refuse ones over the size limit."""
    dest.mkdir(parents=True, exist_ok=True)
    saved, problems = [], []
    for raw in paths:
        source = Path(raw)
        name = _UNSAFE.sub("_", source.name).lstrip(".") or "upload.txt"
        if not source.is_file():
            problems.append(f"{name}: not a file.")
        elif source.stat().st_size > max_bytes:
            problems.append(f"{name}: larger than the {max_bytes // 2**20} MB limit.")
        else:
            target = dest / name
            shutil.copyfile(source, target)
            saved.append(target)
    return saved, problems


def add_papers(engine: Engine, settings: Settings, paths: list[str] | None) -> str:
    """Ingest uploaded files with the app's own encoder, then reload; a Markdown report."""
    from rag.ingest import ingest

    if not paths:
        return "Choose one or more files first."
    dest = settings.corpus_path / UPLOAD_FOLDER
    saved, problems = save_uploads(paths, dest, settings.max_file_mb * 2**20)
    lines = [f"- {p}" for p in problems]
    if saved:
        quick = settings.model_copy(update={"ingest_lock_wait_s": UPLOAD_LOCK_WAIT_S})
        try:
            summary = ingest(saved, quick, progress=True, embed_model=engine.embed_model)
        except RagError as exc:
            for path in saved:  # a file that cannot be read must not break the next ingest
                path.unlink(missing_ok=True)
            said = str(exc).replace(f"{dest}{os.sep}", "")  # the file's name, not server paths
            return "\n".join([f"**Not added:** {said}", *lines])
        engine.reload_if_changed(force=True)
        lines = [
            f"**Added {summary.embedded_papers} new papers** from {summary.files} file(s) "
            f"({summary.records} records, {summary.duplicates_merged} duplicates merged, "
            f"{summary.unchanged_papers} already indexed). The collection now holds "
            f"{summary.papers_in_index} papers; ask about them now.",
            *[f"- skipped: {s}" for s in summary.skipped[:10]],
            *[f"- note: {s}" for s in summary.notices[:10]],
            *lines,
        ]
    return "\n".join(lines)


def header_md(n_papers: int) -> str:
    return (
        f"# Paper Q&A\nAsk questions about **{n_papers} research-paper abstracts**. Every "
        "answer cites its sources as [n]; click a number to see the abstract, with the "
        "sentences that support the answer highlighted."
    )
