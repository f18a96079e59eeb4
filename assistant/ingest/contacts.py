"""Contacts: e-mail addresses validated, contact lines read into named people (never invented)."""

from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email

from ..records import Contact
from .common import _EMAIL, _NAME, _PHONE, warn


def valid_email(value: object, source: str = "") -> str | None:
    """``value`` as a normalised e-mail address, or None (with a warning) when it is not one: an
    invalid address is dropped, never shown as a link."""
    if value is None or value == "":
        return None
    where = f"{source}: " if source else ""
    if not isinstance(value, str):
        warn(f"{where}dropped a contact e-mail that is not text ({type(value).__name__})")
        return None
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        warn(f"{where}dropped the invalid contact e-mail {value[:80]!r} ({exc})")
        return None


def parse_contact(line: str) -> Contact | None:
    """A contact from a line like 'Kontakt chefkonsulent Bente Bundgård Jokumsen på bejo@x.dk'.

    Also reads 'Kontaktperson: Name, role, e-mail, tlf. 12 34 56 78'. Returns None when the line
    names no person or gives no way to reach one: a contact is never guessed.
    """
    email_match = _EMAIL.search(line)
    phone_match = _PHONE.search(line)
    if not email_match and not phone_match:
        return None
    head = line
    for match in (email_match, phone_match):
        if match:
            head = head.replace(match.group(0), " ")
    head = re.sub(r"^\s*(kontaktperson|kontakt|contact)\s*:?\s*", "", head, flags=re.IGNORECASE)
    head = re.sub(r"\b(på|on|at|eller|or|e-?mail|mail)\b\s*:?", " ", head, flags=re.IGNORECASE)
    name_match = _NAME.search(head)
    if not name_match:
        return None
    name = name_match.group(0).strip()
    role_text = (head[: name_match.start()] + " " + head[name_match.end():]).strip(" ,;:-–")
    role = re.sub(r"\s+", " ", role_text).strip(" ,;:-–") or None
    phone = re.sub(r"\s+", " ", phone_match.group(1)).strip() if phone_match else None
    email = valid_email(email_match.group(0)) if email_match else None
    if email is None and phone is None:
        return None
    return Contact(name=name, role=role, email=email, phone=phone)


def _is_contact_line(text: str) -> bool:
    return bool(_EMAIL.search(text) or _PHONE.search(text)) and len(text) < 300
