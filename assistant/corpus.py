"""Read a corpus folder into Cases: theme pages (text or HTML), Markdown, JSON Lines.

A theme page (like ``corpus/partnerskaber-for-handling.txt``) is a sequence of blocks
separated by blank lines: short headings and paragraphs. It holds an optional theme intro and
then municipal cases. A case ends with its "Vil du vide mere?"-style contact section (contact
lines and mentioned documents); the first ordinary block after that starts the next case, so a
teaser paragraph placed before a case's first heading belongs to that case. A heading whose
paragraph names another municipality as "<Name> Kommune" also starts a new case.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import yaml

from .municipalities import find_municipalities, normalize_municipality
from .records import Case, Contact, Document, Section

SUPPORTED_SUFFIXES = (".txt", ".html", ".htm", ".md", ".markdown", ".jsonl")

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?:tlf\.?|telefon|phone|tel\.?|mobil)\s*:?\s*(\+?\d[\d ]{6,}\d)", re.IGNORECASE)
_DOC = re.compile(r"\((?:pdf|docx?|xlsx?|pptx?)\)\s*$|\.pdf\b", re.IGNORECASE)
_NAME = re.compile(r"[A-ZÆØÅ][\w’'-]+(?:\s+(?:[A-ZÆØÅ][\w’'-]+|de|van|von))*\s+[A-ZÆØÅ][\w’'-]+")
_MORE = re.compile(r"^(vil du vide mere|læs mere|mere information|kontakt|kontaktperson|"
                   r"want to know more|more information|contact)\b.*[?:]?$", re.IGNORECASE)
_BOILERPLATE = {"gå til hovedindhold", "tema", "indhold", "ældre end 12 mdr.", "skip to content"}


class CorpusError(ValueError):
    """The corpus folder or one of its files cannot be read into cases."""


@dataclass
class Block:
    text: str
    heading: bool | None = None  # None: decide from the text
    url: str | None = None

    @property
    def is_heading(self) -> bool:
        if self.heading is not None:
            return self.heading
        return looks_like_heading(self.text)


def looks_like_heading(text: str) -> bool:
    text = text.strip()
    if "\n" in text or len(text) > 110 or not text:
        return False
    if _EMAIL.search(text) or _DOC.search(text):
        return False
    return not text.endswith((".", ",", ";"))


def slugify(text: str, limit: int = 48) -> str:
    table = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "é": "e", "ü": "u", "ö": "o", "ä": "a"})
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower().translate(table)).strip("-")
    return slug[:limit].rstrip("-") or "case"


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
    return Contact(name=name, role=role, email=email_match.group(0) if email_match else None, phone=phone)


def _is_contact_line(text: str) -> bool:
    return bool(_EMAIL.search(text) or _PHONE.search(text)) and len(text) < 300


def _is_document_line(block: Block) -> bool:
    return bool(_DOC.search(block.text)) and len(block.text) < 200


def _is_more_heading(block: Block) -> bool:
    return block.is_heading and bool(_MORE.match(block.text.strip()))


def _dominant_municipality(blocks: list[Block]) -> str | None:
    counts: Counter[str] = Counter()
    first: dict[str, int] = {}
    for block in blocks:
        for name, with_kommune in find_municipalities(block.text):
            counts[name] += 3 if with_kommune else 1
            first.setdefault(name, len(first))
    if not counts:
        return None
    return max(counts, key=lambda n: (counts[n], -first[n]))


def _kommune_named(block: Block) -> set[str]:
    return {name for name, with_kommune in find_municipalities(block.text) if with_kommune}


def _segment(blocks: list[Block]) -> tuple[list[Block], list[list[Block]]]:
    """Split body blocks into (intro blocks, case block lists)."""
    intro: list[Block] = []
    cases: list[list[Block]] = []
    current: list[Block] | None = None
    closing = False  # inside a case's contact/"read more" section
    for i, block in enumerate(blocks):
        nxt = blocks[i + 1] if i + 1 < len(blocks) else None
        if current is None:
            # still in the intro: a case starts where a paragraph names a municipality
            starts = (not block.is_heading and find_municipalities(block.text)) or (
                block.is_heading and nxt is not None and not nxt.is_heading and find_municipalities(nxt.text)
            )
            if starts:
                current = [block]
                cases.append(current)
            else:
                intro.append(block)
            continue
        if closing:
            if _is_contact_line(block.text) or _is_document_line(block) or _is_more_heading(block):
                current.append(block)
                continue
            closing = False
            current = [block]
            cases.append(current)
            continue
        if _is_more_heading(block) or (not block.is_heading and _is_contact_line(block.text)
                                       and parse_contact(block.text)):
            closing = True
            current.append(block)
            continue
        if block.is_heading and nxt is not None and not nxt.is_heading:
            here = _dominant_municipality(current)
            named = _kommune_named(nxt)
            if here and named and here not in named:
                current = [block]
                cases.append(current)
                continue
        current.append(block)
    return intro, cases


def _sections(blocks: list[Block]) -> tuple[Section, ...]:
    sections: list[Section] = []
    heading: str | None = None
    paragraphs: list[str] = []
    for block in blocks:
        if block.is_heading and not _is_contact_line(block.text) and not _is_document_line(block):
            if heading is not None or paragraphs:
                sections.append(Section(heading, tuple(paragraphs)))
            heading, paragraphs = block.text, []
        else:
            paragraphs.append(block.text)
    if heading is not None or paragraphs:
        sections.append(Section(heading, tuple(paragraphs)))
    return tuple(s for s in sections if s.paragraphs or s.heading)


def _title(blocks: list[Block]) -> str:
    for block in blocks:
        if block.is_heading and not _is_more_heading(block):
            return block.text
    return blocks[0].text[:80]


def _contact_and_documents(blocks: list[Block]) -> tuple[Contact | None, tuple[Document, ...]]:
    contact = None
    documents = []
    for block in blocks:
        if contact is None and _is_contact_line(block.text):
            contact = parse_contact(block.text)
        if _is_document_line(block):
            documents.append(Document(title=re.sub(r"\s+", " ", block.text).strip(), url=block.url))
    return contact, tuple(documents)


def parse_theme_blocks(blocks: list[Block], source: str, theme: str | None) -> list[Case]:
    """Turn a theme page's body blocks into its intro (if any) and cases."""
    stem = slugify(Path(source).stem, 60)
    intro, segments = _segment(blocks)
    cases: list[Case] = []
    if intro:
        title = _title(intro) if any(b.is_heading for b in intro) else (theme or stem)
        cases.append(Case(id=f"{stem}-intro", title=theme or title, municipality=None, theme=theme,
                          sections=_sections(intro), contact=None, source=source, kind="intro"))
    for blocks_of_case in segments:
        municipality = _dominant_municipality(blocks_of_case)
        title = _title(blocks_of_case)
        contact, documents = _contact_and_documents(blocks_of_case)
        cases.append(Case(id=slugify(f"{municipality or stem}-{title}", 60), title=title,
                          municipality=municipality, theme=theme, sections=_sections(blocks_of_case),
                          contact=contact, documents=documents, source=source))
    return cases


def parse_theme_text(text: str, source: str) -> list[Case]:
    """Parse a theme page saved as plain text (header lines, then indented body blocks)."""
    raw_blocks = [b for b in re.split(r"\n\s*\n", text.replace("\r\n", "\n")) if b.strip()]
    header: list[str] = []
    body: list[Block] = []
    indented = any(b.startswith((" ", "\t")) for b in raw_blocks)
    in_body = False
    for raw in raw_blocks:
        clean = re.sub(r"\s+", " ", raw).strip()
        if not in_body:
            if (indented and raw.startswith((" ", "\t"))) or (not indented and clean.lower() == "indhold"):
                in_body = True
            elif not indented and not any(b.strip().lower() == "indhold" for b in raw_blocks):
                in_body = True
        if in_body:
            if clean.lower() != "indhold":
                body.append(Block(clean))
        else:
            header.extend(line.strip() for line in raw.splitlines() if line.strip())
    theme = next((h for h in header if h.lower() not in _BOILERPLATE and len(h) < 110), None)
    # the page's standfirst (a sentence under the theme title) opens the intro
    standfirst = [Block(h, heading=False) for h in header
                  if h != theme and h.lower() not in _BOILERPLATE and len(h) >= 60 and not h.endswith("mdr.")]
    return parse_theme_blocks(standfirst + body, source, theme)


class _HTMLBlocks(HTMLParser):
    """Collects headings and paragraphs (with link targets) from a theme page's HTML."""

    _BLOCK = {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "div", "section", "article", "br"}
    _SKIP = {"title", "script", "style", "nav", "header", "footer", "noscript"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self.title: str | None = None
        self._buffer: list[str] = []
        self._tag: str | None = None
        self._href: str | None = None
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in self._SKIP:
            self._skip += 1
        elif tag in self._BLOCK:
            self._flush()
            self._tag = tag
        elif tag == "a":
            self._href = dict(attrs).get("href")

    def handle_endtag(self, tag):
        if tag in self._SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in self._BLOCK:
            self._flush()

    def handle_data(self, data):
        if not self._skip:
            self._buffer.append(data)

    def _flush(self):
        text = re.sub(r"\s+", " ", "".join(self._buffer)).strip()
        self._buffer = []
        if text:
            heading = self._tag in {"h1", "h2", "h3", "h4", "h5", "h6"}
            if self._tag == "h1" and self.title is None:
                self.title = text
            else:
                self.blocks.append(Block(text, heading=True if heading else None, url=self._href))
        self._href = None


def parse_theme_html(html: str, source: str) -> list[Case]:
    parser = _HTMLBlocks()
    parser.feed(html)
    parser.close()
    parser._flush()
    body = [b for b in parser.blocks if b.text.lower() not in _BOILERPLATE]
    return parse_theme_blocks(body, source, parser.title)


def parse_markdown(text: str, source: str) -> Case:
    """One case from Markdown with YAML front matter (title, municipality, contact, source)."""
    meta: dict = {}
    match = re.match(r"^---\s*\n(.*?)\n---\s*\n?(.*)$", text, flags=re.DOTALL)
    body = text
    if match:
        try:
            meta = yaml.safe_load(match.group(1)) or {}
        except yaml.YAMLError as exc:
            raise CorpusError(f"{source}: front matter is not valid YAML: {exc}") from exc
        if not isinstance(meta, dict):
            raise CorpusError(f"{source}: front matter must be a mapping")
        body = match.group(2)
    blocks: list[Block] = []
    title = meta.get("title")
    for raw in re.split(r"\n\s*\n", body):
        raw = raw.strip()
        if not raw:
            continue
        heading = re.match(r"^#{1,6}\s+(.*)$", raw)
        if heading and "\n" not in raw:
            if title is None and raw.startswith("# "):
                title = heading.group(1).strip()
                continue
            blocks.append(Block(heading.group(1).strip(), heading=True))
        else:
            blocks.append(Block(re.sub(r"\s+", " ", raw), heading=False))
    if not title:
        raise CorpusError(f"{source}: a Markdown case needs a 'title' (front matter or '# heading')")
    return _case_from_fields(meta.get("id"), str(title), meta.get("municipality"), meta.get("contact"),
                             meta.get("source"), blocks, source, meta.get("theme"))


def _case_from_fields(case_id, title, municipality, contact, cited, blocks, source, theme) -> Case:
    contact_record = None
    if isinstance(contact, dict) and (contact.get("name") or contact.get("email")):
        contact_record = Contact(name=str(contact.get("name") or contact.get("email")),
                                 role=contact.get("role"), email=contact.get("email"),
                                 phone=str(contact["phone"]) if contact.get("phone") else None)
    elif contact is not None and not isinstance(contact, dict):
        raise CorpusError(f"{source}: 'contact' must be a mapping with name, role, email")
    municipality = normalize_municipality(municipality) if municipality else None
    documents = tuple(Document(b.text, b.url) for b in blocks if _is_document_line(b))
    full_source = f"{source} ({cited})" if cited else source
    return Case(id=str(case_id) if case_id else slugify(f"{municipality or 'case'}-{title}", 60),
                title=title, municipality=municipality, theme=theme, sections=_sections(blocks),
                contact=contact_record, documents=documents, source=full_source)


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
        if not row.get("title") or not row.get("text"):
            raise CorpusError(f"{source}, line {number}: a case needs 'title' and 'text'")
        blocks = []
        for raw in re.split(r"\n\s*\n", str(row["text"])):
            raw = raw.strip()
            heading = re.match(r"^#{1,6}\s+(.*)$", raw)
            if heading and "\n" not in raw:
                blocks.append(Block(heading.group(1).strip(), heading=True))
            elif raw:
                blocks.append(Block(re.sub(r"\s+", " ", raw), heading=False))
        cases.append(_case_from_fields(row.get("id"), str(row["title"]), row.get("municipality"),
                                       row.get("contact"), row.get("source"), blocks,
                                       f"{source}#{number}", row.get("theme")))
    return cases


def _is_question_set(path: Path) -> bool:
    """Evaluation files kept beside the cases: questions*.jsonl, dialogues*.jsonl (not case files)."""
    return path.suffix.lower() == ".jsonl" and path.name.lower().startswith(("questions", "dialogues"))


def corpus_files(folder: str | Path) -> list[Path]:
    """The files a corpus folder contributes, sorted; raises CorpusError when there are none."""
    root = Path(folder)
    if not root.exists():
        raise CorpusError(f"corpus folder not found: {root}")
    if not root.is_dir():
        raise CorpusError(f"corpus path is not a folder: {root}")
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES
                   and not p.name.startswith(".") and not _is_question_set(p))
    if not files:
        raise CorpusError(f"corpus folder {root} has no case files ({', '.join(SUPPORTED_SUFFIXES)})")
    return files


def parse_file(path: Path, source: str) -> list[Case]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise CorpusError(f"{path}: not UTF-8 text") from exc
    suffix = path.suffix.lower()
    if suffix in {".html", ".htm"}:
        return parse_theme_html(text, source)
    if suffix in {".md", ".markdown"}:
        return [parse_markdown(text, source)]
    if suffix == ".jsonl":
        return parse_jsonl(text, source)
    return parse_theme_text(text, source)


def load_corpus(folder: str | Path) -> list[Case]:
    """Every case in a corpus folder, in file order; ids made unique."""
    root = Path(folder)
    cases: list[Case] = []
    for path in corpus_files(root):
        cases.extend(parse_file(path, path.relative_to(root).as_posix()))
    if not cases:
        raise CorpusError(f"corpus folder {root} holds no cases")
    seen: Counter[str] = Counter()
    unique = []
    for case in cases:
        seen[case.id] += 1
        if seen[case.id] > 1:
            case = Case(**{**case.__dict__, "id": f"{case.id}-{seen[case.id]}"})
        unique.append(case)
    return unique


def corpus_hash(folder: str | Path) -> str:
    """A hash of every corpus file's name and bytes: changes whenever the corpus does."""
    root = Path(folder)
    digest = hashlib.sha256()
    for path in corpus_files(root):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()
