"""HTML pieces the answers and the browser UI share: escaping, e-mail and mailto links, safe web links,
and a case's contacts as HTML.

Everything the chat's cards and the Cases tab show from the corpus goes through :func:`escape`; only
plain http(s) addresses (:func:`safe_url`) become links.
"""

from __future__ import annotations

import html
import re
from urllib.parse import quote

from .ingest.contacts import display_phone

_SAFE_URL = re.compile(r"https?://[^\s\"'<>\\`]+", re.IGNORECASE)
# an address that may become a mailto: link (the build already drops invalid ones; this guards a stale or
# hand-edited index): local part, then a domain of dot-separated labels ending in a 2+ letter top level
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")


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


def linkable_email(email: str | None) -> bool:
    """Whether ``email`` is a plain address that may be shown as a mailto: link."""
    return bool(email) and bool(_EMAIL.fullmatch(email.strip()))


def contacts_html(contacts, phone_label: str = "tlf.", none_text: str = "") -> str:
    """``contacts`` (records.Contact) as escaped HTML, "; " between people: name, role, department, the e-mail
    (a mailto: link only when :func:`linkable_email`) and the phone. ``none_text`` when there are none."""
    if not contacts:
        return escape(none_text)
    people = []
    for contact in contacts:
        parts = [escape(value) for value in (contact.name, contact.role, contact.department) if value]
        if contact.email:
            parts.append(f'<a href="{mailto(contact.email)}">{escape(contact.email)}</a>'
                         if linkable_email(contact.email) else escape(contact.email))
        if contact.phone:
            parts.append(f"{escape(phone_label)} {escape(display_phone(contact.phone))}")
        people.append(", ".join(parts))
    return "; ".join(people)
