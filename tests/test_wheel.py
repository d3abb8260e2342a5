"""The built wheel works outside a checkout: a fresh venv that sees the third-party packages
of the project's venv but not the checkout (nor its editable install), run from an empty
folder, with no network."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from paper_rag.eval.harness import DEFAULT_QUESTIONS
from paper_rag.eval.questions import load_questions
from rag.settings import APP_NAME, PROJECT_ROOT

pytestmark = pytest.mark.slow

# The checkout's own wiring into the project venv: hidden from the fresh one.
OWN = ("__editable__", "paper_rag", "paper-rag")
SHIPPED = ("rag/", "paper_rag/")
PROMPTS = PROJECT_ROOT / "rag" / "prompts"

SNIPPET = """
import json
from importlib.metadata import distribution
from importlib.util import find_spec

import paper_rag
import rag
from paper_rag.eval.harness import default_questions_path
from paper_rag.eval.questions import load_questions
from rag import ask
from rag.prompts import names, template
from rag.settings import Settings

print(json.dumps({
    "rag": rag.__file__,
    "paper_rag": paper_rag.__file__,
    "ask": callable(ask),
    "prompts": {name: template(name) for name in names()},
    "data_dir": str(Settings(_env_file=None).data_dir),
    "model_cache_dir": str(Settings(_env_file=None).model_cache_dir),
    "questions": str(default_questions_path()),
    "n_questions": len(load_questions(default_questions_path())),
    "files": [str(f) for f in distribution("paper-rag").files],
    "clashing": [n for n in ("ui", "eval", "tests", "bench") if find_spec(n) is not None],
}))
"""


def _source_tree(dest: Path) -> Path:
    """The checkout's files as git sees them (tracked and new, not ignored), symlinks kept."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = PROJECT_ROOT / name
        if not source.is_symlink() and not source.exists():  # deleted, not yet committed
            continue
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, dest / name, follow_symlinks=False)
    return dest


def _fresh_venv(root: Path) -> Path:
    """A venv whose only extra path is a folder of links to the project venv's third-party
    packages; the editable install's finder, .pth and metadata are left out."""
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    deps = root / "deps"
    deps.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if not entry.name.startswith(OWN) and entry.suffix != ".pth":
            (deps / entry.name).symlink_to(entry)
    site = venv / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    (site / "site-packages" / "project-deps.pth").write_text(f"{deps}\n")
    return venv


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str], Path]:
    root = tmp_path_factory.mktemp("wheel")
    src = _source_tree(root / "src")
    wheels = root / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
        + ["--no-index", "-w", str(wheels), str(src)],
        check=True,
        capture_output=True,
    )
    (wheel,) = wheels.glob("paper_rag-*.whl")
    venv = _fresh_venv(root)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "RAG_"))}
    env |= {
        "PYTHONNOUSERSITE": "1",
        "XDG_DATA_HOME": str(root / "user-data"),
        "PATH": f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
    }
    empty = root / "empty"
    empty.mkdir()
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--no-deps", "--no-index"]
    _run([*pip, str(wheel)], env, empty)
    return venv, env, empty


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def test_rag_help_lists_the_client_subcommands(installed) -> None:
    venv, env, empty = installed
    out = _run([str(venv / "bin" / "rag"), "--help"], env, empty).stdout
    commands = out.split("{", 1)[1].split("}", 1)[0].split(",")
    assert {"ingest", "ask", "ui", "eval"} <= set(commands), out


def test_rag_eval_help_from_an_empty_folder(installed) -> None:
    venv, env, empty = installed
    out = _run([str(venv / "bin" / "rag"), "eval", "--help"], env, empty).stdout
    assert "--questions" in out and "--compare" in out


def test_library_prompts_and_question_set_come_from_the_wheel(installed) -> None:
    venv, env, empty = installed
    got = json.loads(_run([str(venv / "bin" / "python"), "-c", SNIPPET], env, empty).stdout)
    site = str(venv / "lib")
    assert got["rag"].startswith(site) and got["paper_rag"].startswith(site)
    assert got["ask"]
    shipped = {p.stem: p.read_text(encoding="utf-8").strip() for p in PROMPTS.glob("*.md")}
    assert shipped and got["prompts"] == shipped, "every prompt, as written in the checkout"
    assert got["data_dir"] == str(Path(env["XDG_DATA_HOME"]) / APP_NAME)
    assert got["model_cache_dir"] == str(Path(env["XDG_DATA_HOME"]) / APP_NAME / "models")
    assert got["questions"].startswith(site) and got["questions"].endswith(DEFAULT_QUESTIONS)
    assert got["n_questions"] == len(load_questions(PROJECT_ROOT / "eval" / "questions.jsonl"))
    assert got["clashing"] == [], "no generic top-level package comes with the wheel"
    stray = [f for f in got["files"] if not f.startswith(SHIPPED) and ".dist-info/" not in f]
    assert all(f.endswith("bin/rag") for f in stray), stray
