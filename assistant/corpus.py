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
import logging
import os
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import yaml
from email_validator import EmailNotValidError, validate_email

from .municipalities import MUNICIPALITIES, find_municipalities, normalize_municipality
from .records import Case, Contact, Document, Section

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".txt", ".html", ".htm", ".md", ".markdown", ".jsonl")


@dataclass(frozen=True)
class Limit:
    """A size limit on corpus input, raised with an environment variable."""

    env: str
    default_mb: float
    what: str

    @property
    def bytes(self) -> int:
        raw = os.environ.get(self.env, "")
        try:
            value = float(raw) if raw.strip() else self.default_mb
        except ValueError:
            raise CorpusError(f"${self.env} must be a number of megabytes, not {raw!r}") from None
        if value <= 0:
            raise CorpusError(f"${self.env} must be a positive number of megabytes, not {raw!r}")
        return int(value * 1_000_000)

    def check(self, size: int, subject: str) -> None:
        if size > self.bytes:
            raise CorpusError(f"{subject} is {size / 1e6:.1f} MB, over the limit of {self.bytes / 1e6:g} MB "
                              f"{self.what}; to index it anyway, raise the limit: {self.env}=<megabytes>")


# Embedding is what costs: ~7 texts/s on 2 cores, ~3.5 texts a paragraph, so 1 MB of case text takes
# ~10 minutes to index. The limits stop a stray file (a log, a dump) from starting an hours-long build.
MAX_FILE = Limit("ASSISTANT_MAX_FILE_MB", 10, "for one corpus file")
MAX_CORPUS = Limit("ASSISTANT_MAX_CORPUS_MB", 100, "for all corpus files together")
MAX_TEXT = Limit("ASSISTANT_MAX_TEXT_MB", 5, "of case text to index (about 50 minutes of embedding)")
MAX_WORD = 300  # characters: longer runs without a space (base64, junk; not URLs) are cut, with a warning
MAX_FRONT_MATTER = 64_000  # bytes of YAML front matter
MAX_FIELD = 2_000  # characters of a front-matter or JSON field (title, contact name, source, ...)

_WARNINGS: ContextVar[list[str] | None] = ContextVar("corpus_warnings", default=None)


def warn(message: str) -> None:
    """Report something the corpus reader skipped or dropped (logged, and kept for the build's manifest)."""
    log.warning("%s", message)
    collected = _WARNINGS.get()
    if collected is not None and message not in collected:
        collected.append(message)


@contextmanager
def collecting_warnings(into: list[str] | None) -> Iterator[None]:
    token = _WARNINGS.set(into if into is not None else _WARNINGS.get())
    try:
        yield
    finally:
        _WARNINGS.reset(token)

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?:tlf\.?|telefon|phone|tel\.?|mobil)\s*:?\s*(\+?\d[\d ]{6,}\d)", re.IGNORECASE)
_DOC = re.compile(r"\((?:pdf|docx?|xlsx?|pptx?)\)\s*$|\.pdf\b", re.IGNORECASE)
_NAME = re.compile(r"[A-ZÆØÅ][\w’'-]+(?:\s+(?:[A-ZÆØÅ][\w’'-]+|de|van|von))*\s+[A-ZÆØÅ][\w’'-]+")
_MORE = re.compile(r"^(vil du vide mere|læs mere|mere information|kontakt|kontaktperson|"
                   r"want to know more|more information|contact)\b.*[?:]?$", re.IGNORECASE)
_BOILERPLATE = {"gå til hovedindhold", "tema", "indhold", "ældre end 12 mdr.", "skip to content"}


class CorpusError(ValueError):
    """The corpus folder or one of its files cannot be read into cases."""


_LONG_WORD = re.compile(rf"\S{{{MAX_WORD + 1},}}")


def clip_long_words(text: str) -> str:
    """``text`` with every run of over MAX_WORD non-space characters cut to MAX_WORD (and a warning)."""
    if len(text) <= MAX_WORD or not _LONG_WORD.search(text):
        return text
    warn(f"cut a {len(max(_LONG_WORD.findall(text), key=len))}-character word to {MAX_WORD} characters "
         f"(\"{text[:40]}…\")")
    return _LONG_WORD.sub(lambda m: m.group(0)[:MAX_WORD] + "…", text)


@dataclass
class Block:
    text: str
    heading: bool | None = None  # None: decide from the text
    url: str | None = None

    def __post_init__(self) -> None:
        self.text = clip_long_words(self.text)

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


def markdown_blocks(body: str) -> tuple[str | None, list[Block]]:
    """(the '# title' if the body opens with one, blocks): paragraphs, and '## headings' as headings
    even when their paragraph follows on the very next line."""
    title = None
    blocks: list[Block] = []
    for raw in re.split(r"\n\s*\n", body):
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
                    blocks.append(Block(heading.group(1).strip(), heading=True))
            elif line:
                paragraph.append(line)
        if paragraph:
            blocks.append(Block(" ".join(paragraph), heading=False))
    return title, blocks


def parse_markdown(text: str, source: str) -> Case:
    """One case from Markdown with YAML front matter (title, municipality, contact, source)."""
    meta, body = _front_matter(text, source)
    heading_title, blocks = markdown_blocks(body)
    title = meta.get("title")
    if title is None and heading_title:
        title = heading_title
    elif heading_title:  # a '# heading' under a front-matter title is a section
        blocks.insert(0, Block(heading_title, heading=True))
    if title is None or (isinstance(title, str) and not title.strip()):
        raise CorpusError(f"{source}: a Markdown case needs a 'title' (front matter or '# heading')")
    return _case_from_fields(meta.get("id"), title, meta.get("municipality"), meta.get("contact"),
                             meta.get("source"), blocks, source, meta.get("theme"))


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
    phone = _text_field(contact.get("phone"), "contact phone", source)
    email = valid_email(contact.get("email"), source)
    if phone and not re.fullmatch(r"\+?[\d ()-]{6,24}", phone):
        warn(f"{source}: dropped the contact phone {phone[:40]!r} (not a phone number)")
        phone = None
    if not name and not email:
        if contact.get("name") or contact.get("email"):
            warn(f"{source}: dropped a contact with no usable name or e-mail")
        return None
    return Contact(name=name or email, role=role, email=email, phone=phone)


def _case_from_fields(case_id, title, municipality, contact, cited, blocks, source, theme) -> Case:
    title = clip_long_words(_text_field(title, "title", source, required=True))
    municipality_name = _text_field(municipality, "municipality", source, numbers=False)
    contact_record = _contact_field(contact, source)
    municipality = normalize_municipality(municipality_name) if municipality_name else None
    if municipality and municipality not in MUNICIPALITIES:
        warn(f"{source}: {municipality!r} is not one of the 98 Danish municipalities (kept as written)")
    cited = _text_field(cited, "source", source)
    theme = _text_field(theme, "theme", source)
    case_id = _text_field(case_id, "id", source)
    documents = tuple(Document(b.text, b.url) for b in blocks if _is_document_line(b))
    full_source = f"{source} ({cited})" if cited else source
    return Case(id=case_id or slugify(f"{municipality or 'case'}-{title}", 60),
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
        body = row.get("text")
        if not row.get("title") or not isinstance(body, str) or not body.strip():
            raise CorpusError(f"{source}, line {number}: a case needs 'title' and 'text' (text)")
        heading_title, blocks = markdown_blocks(body)
        if heading_title:
            blocks.insert(0, Block(heading_title, heading=True))
        cases.append(_case_from_fields(row.get("id"), row["title"], row.get("municipality"),
                                       row.get("contact"), row.get("source"), blocks,
                                       f"{source}#{number}", row.get("theme")))
    return cases


def _is_question_set(path: Path) -> bool:
    """Evaluation files kept beside the cases: questions*.jsonl, dialogues*.jsonl (not case files)."""
    return path.suffix.lower() == ".jsonl" and path.name.lower().startswith(("questions", "dialogues"))


def corpus_files(folder: str | Path) -> list[Path]:
    """The files a corpus folder contributes, sorted; CorpusError when there are none or they are
    over the size limits (MAX_FILE, MAX_CORPUS)."""
    root = Path(folder)
    if not root.exists():
        raise CorpusError(f"corpus folder not found: {root}")
    if not root.is_dir():
        raise CorpusError(f"corpus path is not a folder: {root}")
    try:
        files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES
                       and not p.name.startswith(".") and not _is_question_set(p))
        sizes = {p: p.stat().st_size for p in files}
    except OSError as exc:
        raise CorpusError(f"cannot read the corpus folder {root}: {exc.strerror or exc}") from exc
    if not files:
        raise CorpusError(f"corpus folder {root} has no case files ({', '.join(SUPPORTED_SUFFIXES)})")
    for path, size in sizes.items():
        MAX_FILE.check(size, f"corpus file {path}")
    MAX_CORPUS.check(sum(sizes.values()), f"corpus folder {root}")
    return files


def read_text(path: Path) -> str:
    """A corpus file's text (UTF-8, a leading byte-order mark dropped); CorpusError when unreadable."""
    try:
        return path.read_bytes().decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
    except UnicodeDecodeError as exc:
        raise CorpusError(f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    except OSError as exc:
        raise CorpusError(f"cannot read {path}: {exc.strerror or exc}") from exc


def parse_file(path: Path, source: str) -> list[Case]:
    text = read_text(path)
    if not text.strip():
        warn(f"{source}: skipped, the file is empty")
        return []
    suffix = path.suffix.lower()
    try:
        if suffix in {".html", ".htm"}:
            return parse_theme_html(text, source)
        if suffix in {".md", ".markdown"}:
            return [parse_markdown(text, source)]
        if suffix == ".jsonl":
            return parse_jsonl(text, source)
        return parse_theme_text(text, source)
    except RecursionError:
        raise CorpusError(f"{source}: nested too deeply to read") from None


def load_corpus(folder: str | Path, warnings: list[str] | None = None) -> list[Case]:
    """Every case in a corpus folder, in file order; ids made unique. What is skipped or dropped
    (empty files, invalid e-mails, cut words) is logged and appended to ``warnings``."""
    root = Path(folder)
    cases: list[Case] = []
    with collecting_warnings(warnings):
        for path in corpus_files(root):
            cases.extend(parse_file(path, path.relative_to(root).as_posix()))
    if not cases:
        raise CorpusError(f"corpus folder {root} holds no cases")
    MAX_TEXT.check(sum(len(c.text.encode("utf-8")) for c in cases), f"the case text in {root}")
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
        try:
            digest.update(path.read_bytes() + b"\0")
        except OSError as exc:
            raise CorpusError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return digest.hexdigest()
