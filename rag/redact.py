"""Secrets never leave in a URL we show: notices, errors and logs use `redact_url`."""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

HIDDEN = "***"
_URL = re.compile(r"\bhttps?://[^\s'\"<>]+")
LOGGERS_WITH_URLS = ("httpx", "openai._base_client")  # they log every request's URL


def redact_url(url: str) -> str:
    """`url` without its user info (user:password@) and without query-string values.

    Every query value is hidden (api_key=, sig=, token=...): servers name their secrets in
    too many ways to list, and the host and path are what help to find a wrong setting.
    """
    try:
        parts = urlsplit(url)
    except ValueError:  # not parseable as a URL: show nothing of it rather than a secret
        return HIDDEN
    user, at, host = parts.netloc.rpartition("@")
    netloc = f"{HIDDEN}@{host}" if at else host
    query = urlencode(
        [(name, HIDDEN) for name, _ in parse_qsl(parts.query, keep_blank_values=True)], safe="*"
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


class RedactingFilter(logging.Filter):
    """Log records with every URL in their message and traceback passed through `redact_url`."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = _redact_text(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        if record.exc_info and not record.exc_text:  # formatters use exc_text when it is set
            record.exc_text = _redact_text(logging.Formatter().formatException(record.exc_info))
        return True


def _redact_text(text: str) -> str:
    return _URL.sub(lambda match: redact_url(match.group(0)), text)


def redact_logs() -> None:
    """Redact the URLs the HTTP and OpenAI client libraries log (idempotent)."""
    for name in LOGGERS_WITH_URLS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())
