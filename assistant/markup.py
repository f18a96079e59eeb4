"""HTML pieces the browser UI shares: escaping, mailto links, safe web links.

Everything the chat's cards and the Cases tab show from the corpus goes through :func:`escape`; only
plain http(s) addresses (:func:`safe_url`) become links.
"""

from __future__ import annotations

import html
import re
from urllib.parse import quote

_SAFE_URL = re.compile(r"https?://[^\s\"'<>\\`]+", re.IGNORECASE)


def escape(text: object) -> str:
    """``text`` (None as empty) escaped for HTML text and attribute values."""
    return html.escape("" if text is None else str(text), quote=True)


def mailto(email: str) -> str:
    """A mailto: href for ``email``, percent-encoded and escaped for an HTML attribute."""
    return escape("mailto:" + quote(email.strip(), safe="@.+-_"))


def safe_url(url: str | None) -> str | None:
    """``url`` when it is a plain http(s) address (no spaces, quotes, backslashes or angle brackets), else None."""
    url = (url or "").strip()
    return url if _SAFE_URL.fullmatch(url) else None
