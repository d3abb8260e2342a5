"""Secrets never leave in a URL we show: notices, errors and logs use `redact_url`."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

HIDDEN = "***"


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
