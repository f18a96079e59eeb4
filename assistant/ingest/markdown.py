"""Markdown cases with YAML front matter, and JSON Lines cases: one case each, fields checked."""

from __future__ import annotations

import json
import re

import yaml

from ..goals import goals_in
from ..municipalities import ALL_MUNICIPALITIES, normalize_municipality
from ..records import Case, Contact, Document
from .cases import _contacts_and_documents, _is_document_line, _sections, parse_theme_blocks
from .common import MAX_FIELD, MAX_FRONT_MATTER, Block, CorpusError, clip_long_words, slugify, warn
from .contacts import valid_email, valid_phone


class _NoAliasLoader(yaml.SafeLoader):
    """YAML without anchors and aliases: front matter has no use for them, and a few hundred bytes of
    nested aliases ("billion laughs") expand into gigabytes."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed in front matter",
                                              event.start_mark)
        return super().compose_node(parent, index)


def _front_matter(text: str, source: str) -> tuple[dict, str]:
    """(metadata, body) of a Markdown file with optional YAML front matter."""
    match = re.match(r"^---[ \t]*\n(.*?)\n---[ \t]*(?:\n|$)(.*)$", text, flags=re.DOTALL)
    if not match:
        return {}, text
    if len(match.group(1).encode("utf-8")) > MAX_FRONT_MATTER:
        raise CorpusError(f"{source}: front matter is over {MAX_FRONT_MATTER // 1000} KB; keep the text in the body")
    try:
        meta = yaml.load(match.group(1), Loader=_NoAliasLoader) or {}  # noqa: S506 - a SafeLoader
    except yaml.YAMLError as exc:
        raise CorpusError(f"{source}: front matter is not valid YAML: {exc}") from None
    except RecursionError:
        raise CorpusError(f"{source}: front matter is nested too deeply") from None
    if not isinstance(meta, dict):
        raise CorpusError(f"{source}: front matter must be a mapping")
    return meta, match.group(2)


_FENCE = re.compile(r"^[ \t]*(```|~~~)[^\n]*\n.*?^[ \t]*\1[ \t]*$", re.MULTILINE | re.DOTALL)


def markdown_blocks(body: str) -> tuple[str | None, list[Block]]:
    """(the '# title' if the body opens with one, blocks): paragraphs, and '## headings' as headings
    even when their paragraph follows on the very next line."""
    title = None
    blocks: list[Block] = []
    # a fenced code block (a template: "### Overskrift / **Kontakt:** navn, titel, mail"), an HTML comment and a
    # wiki's table-of-contents macro are no text of the page
    body = _FENCE.sub("\n\n", body)
    body = re.sub(r"<!--.*?-->", " ", body, flags=re.DOTALL)
    body = re.sub(r"^\s*\[\[_?TOC_?\]\]\s*$|^\s*\[TOC\]\s*$", "", body, flags=re.MULTILINE)
    for raw in re.split(r"\n\s*\n", body):
        items = _list_items(raw)
        if items:  # a bullet list: each item a block, its nested items (a contact's e-mail, phone) with it
            blocks += [Block(item, heading=False) for item in items]
            continue
        lines = [line.strip() for line in raw.strip().splitlines()]
        paragraph: list[str] = []
        for line in lines:
            heading = re.match(r"^#{1,6}\s+(.*?)\s*#*$", line)
            if heading:
                if paragraph:
                    blocks.append(Block(" ".join(paragraph), heading=False))
                    paragraph = []
                if title is None and not blocks and line.startswith("# "):
                    title = heading.group(1).strip()
                elif heading.group(1).strip():
                    blocks.append(Block(heading.group(1).strip(), heading=True, level=len(line) - len(line.lstrip("#"))))
            elif line:
                paragraph.append(line)
        if paragraph:
            blocks.append(Block(" ".join(paragraph), heading=False))
    return title, blocks


_BULLET = re.compile(r"^(?P<indent>[ \t]*)(?:[-*+]|\d{1,2}[.)])\s+(?P<text>\S.*)$")


def _list_items(raw: str) -> list[str]:
    """The items of a chunk that is a bullet list, each with its nested items joined by ", " ("- Ida Skov,
    projektleder" over "  - imsk@koege.dk" -> "Ida Skov, projektleder, imsk@koege.dk"); [] for other text."""
    lines = [line for line in raw.strip("\n").splitlines() if line.strip()]
    if not lines or not all(_BULLET.match(line) or line.startswith((" ", "\t")) for line in lines) \
            or not _BULLET.match(lines[0]):
        return []
    top = len(_BULLET.match(lines[0]).group("indent").expandtabs(4))
    items: list[str] = []
    for line in lines:
        bullet = _BULLET.match(line)
        if bullet and len(bullet.group("indent").expandtabs(4)) <= top:
            items.append(bullet.group("text").strip())
        else:
            items[-1] += ", " + (bullet.group("text") if bullet else line).strip()
    return items


def parse_markdown(text: str, source: str) -> list[Case]:
    """One case from Markdown with YAML front matter (title, municipality, contact, source); without
    front matter the file is read like a theme page (its cases under headings, their municipalities
    and contacts from the text)."""
    meta, body = _front_matter(text, source)
    heading_title, blocks = markdown_blocks(body)
    if meta and not meta.get("municipality") and not meta.get("contacts", meta.get("contact")) \
            and sum(b.heading is True for b in blocks) >= 2:
        # front matter about the page only (title, source, theme): its cases are under its headings
        cited = meta.get("source")
        page = cited.strip() if isinstance(cited, str) and re.match(r"https?://\S+$", cited.strip()) else source
        title = meta.get("title") if isinstance(meta.get("title"), str) and meta["title"] else heading_title
        return parse_theme_blocks(_plain(blocks), page, title)
    if not meta and blocks:
        return parse_theme_blocks(_plain(blocks), source, heading_title)
    title = meta.get("title")
    if title is None and heading_title:
        title = heading_title
    elif heading_title:  # a '# heading' under a front-matter title is a section
        blocks.insert(0, Block(heading_title, heading=True))
    if title is None or (isinstance(title, str) and not title.strip()):
        raise CorpusError(f"{source}: a Markdown case needs a 'title' (front matter or '# heading')")
    return [_case_from_fields(meta.get("id"), title, meta.get("municipality"), meta.get("contacts", meta.get("contact")),
                              meta.get("source"), blocks, source, meta.get("theme"))]


# Markdown's inline marks as their text: **bold**, __bold__, *em*, `code`, [link](url)
_INLINE = re.compile(r"\*\*(.+?)\*\*|__(.+?)__|(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])|`([^`]+)`|\[([^\]]+)\]\([^)]*\)")


def _plain(blocks: list[Block]) -> list[Block]:
    """The blocks with Markdown's inline marks replaced by their text (read like a theme page's)."""
    return [Block(_INLINE.sub(lambda m: next(g for g in m.groups() if g is not None), b.text), heading=b.heading,
                  level=b.level) for b in blocks]


def _text_field(value: object, field: str, source: str, required: bool = False, numbers: bool = True) -> str | None:
    """A front-matter / JSON field that must be text (a number is taken as text where ``numbers``);
    CorpusError otherwise."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise CorpusError(f"{source}: a case needs a {field!r}")
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float) if numbers else str):
        raise CorpusError(f"{source}: {field!r} must be text, not {type(value).__name__} ({str(value)[:60]})")
    text = re.sub(r"\s+", " ", str(value)).strip()
    if len(text) > MAX_FIELD:
        raise CorpusError(f"{source}: {field!r} is {len(text)} characters (at most {MAX_FIELD})")
    return text


def _contact_field(contact: object, source: str) -> Contact | None:
    if contact is None:
        return None
    if not isinstance(contact, dict):
        raise CorpusError(f"{source}: 'contact' must be a mapping with name, role, email")
    name = _text_field(contact.get("name"), "contact name", source, numbers=False)
    role = _text_field(contact.get("role"), "contact role", source, numbers=False)
    raw_phone = _text_field(contact.get("phone"), "contact phone", source)
    email = valid_email(contact.get("email"), source)
    phone = valid_phone(raw_phone) if raw_phone else None
    if raw_phone and phone is None:
        warn(f"{source}: dropped the contact phone {raw_phone[:40]!r} (not a phone number)")
    department = _text_field(contact.get("department"), "contact department", source, numbers=False)
    if not name and not email and not phone:
        if contact.get("name") or contact.get("email"):
            warn(f"{source}: dropped a contact with no usable name, e-mail or phone")
        return None
    return Contact(name=name, role=role, email=email, phone=phone, department=department)


def _case_from_fields(case_id, title, municipality, contact, cited, blocks, source, theme) -> Case:
    title = clip_long_words(_text_field(title, "title", source, required=True))
    municipality_name = _text_field(municipality, "municipality", source, numbers=False)
    entries = contact if isinstance(contact, list) else [contact]
    contacts = tuple(c for c in (_contact_field(entry, source) for entry in entries) if c is not None)
    # and every further contact the text gives ("Spørgsmål om … kan rettes til familierådgiver <navn>, <mail>")
    contacts += tuple(c for c in _contacts_and_documents(blocks)[0]
                      if not any((c.email and c.email == k.email) or (c.name and c.name == k.name) for k in contacts))
    municipality = normalize_municipality(municipality_name) if municipality_name else None
    if municipality and municipality not in ALL_MUNICIPALITIES:
        warn(f"{source}: {municipality!r} is not one of the 98 Danish or 5 Greenlandic municipalities (kept as written)")
    cited = _text_field(cited, "source", source)
    theme = _text_field(theme, "theme", source)
    case_id = _text_field(case_id, "id", source)
    documents = tuple(Document(b.text, b.url) for b in blocks if _is_document_line(b))
    full_source = f"{source} ({cited})" if cited else source
    return Case(id=case_id or slugify(f"{municipality or 'case'}-{title}", 60),
                title=title, municipality=municipality, theme=theme, sections=_sections(blocks),
                contact=None, contacts=contacts, documents=documents, source=full_source,
                goals=tuple(goals_in(" ".join([title] + [b.text for b in blocks]))))


def jsonl_rows(text: str, source: str, error: type[ValueError] = CorpusError) -> list[tuple[int, dict]]:
    """(line number, object) for each non-blank line; ``error`` names the line that is not a JSON object."""
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise error(f"{source}, line {number}: not valid JSON ({exc.msg})") from exc
        if not isinstance(row, dict):
            raise error(f"{source}, line {number}: expected a JSON object")
        rows.append((number, row))
    return rows


def parse_jsonl(text: str, source: str) -> list[Case]:
    cases = []
    for number, row in jsonl_rows(text, source):
        body = row.get("text")
        if not row.get("title") or not isinstance(body, str) or not body.strip():
            raise CorpusError(f"{source}, line {number}: a case needs 'title' and 'text' (text)")
        heading_title, blocks = markdown_blocks(body)
        if heading_title:
            blocks.insert(0, Block(heading_title, heading=True))
        cases.append(_case_from_fields(row.get("id"), row["title"], row.get("municipality"),
                                       row.get("contacts", row.get("contact")), row.get("source"), blocks,
                                       f"{source}#{number}", row.get("theme")))
    return cases
