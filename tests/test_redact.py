"""URLs shown to users or logs carry no password and no query-string secret."""

from __future__ import annotations

import logging

import pytest

from rag.redact import RedactingFilter, redact_url

CASES = {
    "http://user:s3cret@10.0.0.5:8080/v1": "http://***@10.0.0.5:8080/v1",
    "https://tok3n@llm.example.org/v1": "https://***@llm.example.org/v1",
    "https://h.example.org/v1?api_key=s3cret&deployment=x": "https://h.example.org/v1?api_key=***&deployment=***",
    "http://a@b:s3cret@h/v1": "http://***@h/v1",
    "http://[::1]:9000/v1": "http://[::1]:9000/v1",
    "http://127.0.0.1:11434/v1": "http://127.0.0.1:11434/v1",
    "api.openai.com": "api.openai.com",
}


@pytest.mark.parametrize("url,shown", CASES.items(), ids=range(len(CASES)))
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown
    assert "s3cret" not in redact_url(url) and "tok3n" not in redact_url(url)


def test_log_records_are_redacted():
    record = logging.LogRecord(
        "httpx",
        logging.INFO,
        __file__,
        1,
        'HTTP Request: POST %s "%s"',
        ("http://u:s3cret@h/v1/chat/completions?key=s3cret", "HTTP/1.1 200 OK"),
        None,
    )
    assert RedactingFilter().filter(record)
    assert record.getMessage() == (
        'HTTP Request: POST http://***@h/v1/chat/completions?key=*** "HTTP/1.1 200 OK"'
    )
