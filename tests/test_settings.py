"""Settings: one typed object from env/.env, every knob documented in .env.example."""

from __future__ import annotations

import re

from rag.settings import PROJECT_ROOT, Settings


def test_env_example_lists_every_setting():
    text = (PROJECT_ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^# ([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE))
    expected = {
        (f.validation_alias or f"RAG_{name.upper()}") for name, f in Settings.model_fields.items()
    }
    assert expected <= listed, f"missing from .env.example: {sorted(expected - listed)}"


def test_backend_is_extractive_without_key_and_openai_with_one(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    assert Settings(_env_file=None).resolved_backend() == "extractive"
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    assert Settings(_env_file=None).resolved_backend() == "openai"


def test_settings_read_from_env_file(tmp_path, monkeypatch):
    monkeypatch.delenv("RAG_TOP_K", raising=False)
    env = tmp_path / ".env"
    env.write_text("RAG_TOP_K=9\nOPENAI_API_KEY=sk-from-file\n")
    settings = Settings(_env_file=env)
    assert settings.top_k == 9
    assert settings.openai_api_key.get_secret_value() == "sk-from-file"
    assert "sk-from-file" not in repr(settings), "the key never shows in reprs or logs"


def test_a_checkout_keeps_its_data_in_the_project_folder(monkeypatch):
    """`make run` reads ./data; an installed wheel, the per-user folder (tests/test_wheel.py)."""
    monkeypatch.delenv("RAG_DATA_DIR", raising=False)
    monkeypatch.delenv("RAG_MODEL_CACHE_DIR", raising=False)
    settings = Settings(_env_file=None)
    assert settings.data_dir == PROJECT_ROOT / "data"
    assert settings.model_cache_dir == PROJECT_ROOT / "data" / "models"
