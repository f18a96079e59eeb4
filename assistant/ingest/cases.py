"""Blocks into cases: a theme page's intro and municipal cases, their sections, title and contact.

A theme page (like ``corpus/partnerskaber-for-handling.txt``) is a sequence of blocks: short headings
and paragraphs. It holds an optional theme intro and then municipal cases. A case ends with its "Vil du
vide mere?"-style contact section (contact lines and mentioned documents); the first ordinary block
after that starts the next case, so a teaser paragraph placed before a case's first heading belongs to
that case. A heading whose paragraph names another municipality as "<Name> Kommune" also starts a new
case. Text after the last of an HTML page's case containers is no part of the last case, and the
page publisher's own address (a catalogue's call for contributions) is no case's contact.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from pathlib import Path

from ..goals import goals_in
from ..municipalities import find_municipalities, find_municipality_spans, host_of, municipality_of_domain
from ..records import Case, Contact, Document, Section
from .common import _DOC, _EMAIL, _MORE, Block, focus_label, slugify
from .contacts import _ROLE_NOUN, _is_contact_line, _phones, named_person, parse_contact, parse_contacts


def _is_document_line(block: Block) -> bool:
    return bool(_DOC.search(block.text)) and len(block.text) < 200


def _is_more_heading(block: Block) -> bool:
    return block.is_heading and bool(_MORE.match(block.text.strip()))


# words right before a name that make it a partner, not the owner ("i samarbejde med Viborg Kommune")
_PARTNER_CUE = re.compile(r"(?:\b(?:med|mellem|hos|fra|og|samt|til|end|som)|nabokommune\w*|partner\w*)\s+$", re.IGNORECASE)


def _dominant_municipality(blocks: list[Block], contacts: tuple[Contact, ...] = (), page: str | None = None) -> str | None:
    """Whose case the blocks are: names counted (with "Kommune" triple, a heading's or the case's first
    name more, a partner's named after "med"/"og"/"hos" … less), plus the municipal domain of the
    case's contact e-mails and of the page's URL."""
    scores: Counter[str] = Counter()
    first: dict[str, int] = {}
    for block in blocks:
        for name, with_kommune, start in find_municipality_spans(block.text):
            if re.search(r"\b\d{4}\s+$", block.text[max(0, start - 8):start]):
                continue  # a postal address ("Nørregade 7, 1165 København K"): where someone sits, not whose case
            weight = 3.0 if with_kommune else 1.0
            if block.is_heading or not first:
                weight += 2.0
            if _PARTNER_CUE.search(block.text[max(0, start - 30):start]):
                weight *= 0.3
            scores[name] += weight
            first.setdefault(name, len(first))
    for contact in contacts:
        owner = municipality_of_domain(contact.email)
        if owner:
            scores[owner] += 4.0
            first.setdefault(owner, len(first))
    owner = municipality_of_domain(page)
    if owner:
        scores[owner] += 3.0
        first.setdefault(owner, len(first))
    if not scores:
        return None
    return max(scores, key=lambda n: (scores[n], -first[n]))


def _kommune_named(block: Block) -> set[str]:
    return {name for name, with_kommune in find_municipalities(block.text) if with_kommune}


def _named_below(blocks: list[Block], i: int) -> set[str]:
    """The municipalities named (with "Kommune") under the heading ``blocks[i]``: in the paragraph right under it,
    else in a facts box's short lines there ("Kommune" / "Lemvig Kommune"), up to the next heading."""
    named = _kommune_named(blocks[i + 1])
    if named or len(blocks[i + 1].text.split()) > 3:
        return named
    for block in blocks[i + 2:i + 6]:
        if block.is_heading:
            break
        if len(block.text.split()) <= 6 and (named := _kommune_named(block)):
            break
    return named


def _has_body(blocks: list[Block]) -> bool:
    """Whether a case's blocks so far hold text of its own (a sentence of 8+ words, or 15+ words), not only its
    heading and a facts box's short lines."""
    return any(not b.is_heading and not _is_contact_line(b.text)
               and (len(b.text.split()) >= 15 or (len(b.text.split()) >= 8 and b.text.rstrip().endswith((".", "!", "?"))))
               for b in blocks)


def _leading_municipality(block: Block) -> str | None:
    """The municipality a paragraph opens with ("Assens Kommune har …", "I Sorø har kommunen …"), if any."""
    if block.is_heading:
        return None
    spans = find_municipality_spans(block.text[:80])
    if not spans:
        return None
    name, with_kommune, start = spans[0]
    opening = block.text[:start].strip()
    if (start == 0 and with_kommune) or opening in ("I", "Hos", "Også i", "I nabokommunen"):
        return name
    return None


def _opens_another_case(block: Block, current: list[Block]) -> bool:
    """A news page whose cases are paragraphs: a paragraph that opens with a municipality that is not the
    current case's, nor named anywhere in it (a partner), starts a new case. Only where the current case
    has no heading of its own, so a theme page's headed cases are split by their headings as before."""
    if any(b.is_heading for b in current):
        return False
    lead = _leading_municipality(block)
    if lead is None:
        return False
    here = _dominant_municipality(current)
    named = {name for b in current for name, _ in find_municipalities(b.text)}
    return here is not None and lead != here and lead not in named


# the heading of a report's or page's colophon: what follows is the publisher's, not the last case's
_COLOPHON = re.compile(r"^(?:kolofon|colophon|colofon|impressum|udgivet\s+af|published\s+by|om\s+(?:rapporten|"
                       r"publikationen|netværket|udgiveren)|about\s+(?:the\s+)?(?:report|publisher|network))\W*$",
                       re.IGNORECASE)


# a case's goal line ("Verdensmål: 8 og 15", "SDG 6, Clean Water") and the heading of a facts box in it
_GOAL_LINE = re.compile(r"^\W*(?:fn['’]?s\s+)?(?:verdensmål(?:ene)?|sdgs?|global\s+goals?)\b", re.IGNORECASE)
_FACTS = re.compile(r"^(?:fakta|facts?|kort\s+fortalt|in\s+brief|nøgletal|key\s+figures)\W*$", re.IGNORECASE)


def _is_label(text: str) -> bool:
    """A role or a name as a label above a contact line ("Stabschef", "Borgmester (formand)", "Nanna Elkjær");
    not a section heading ("Næste møde", "Vil du være med?") above the page's own address."""
    tokens = re.findall(r"[\wæøåÆØÅ]+", text)
    return not text.rstrip().endswith("?") and (any(_ROLE_NOUN.search(w) for w in tokens)
                                                 or sum(w[:1].isupper() for w in tokens) >= 2)


LABEL_LINES = 3  # short lines (a name, a job, a unit) that may stand between a label and its contact line


def _labels_contact(blocks: list[Block], i: int) -> bool:
    """Whether block ``i`` is a short label above a contact line ("Stabschef", "Borgmester (formand)"), or one
    of a few such lines written one to a paragraph ("Sofie Dahl" / "Klimamedarbejder, Miljø og Klima" /
    "sd@…")."""
    for j in range(i, min(i + LABEL_LINES, len(blocks) - 1)):
        if len(blocks[j].text.split()) > 6 or not _is_label(blocks[j].text) or blocks[j].box != blocks[i].box:
            return False
        if _is_contact_line(blocks[j + 1].text):
            return True
    return False


def _box_names_municipality(blocks: list[Block], i: int) -> bool:
    """Whether the case container that block ``i`` opens names a municipality."""
    box = blocks[i].box
    if i and blocks[i - 1].box == box:
        return False  # not the container's first block
    for block in blocks[i:]:
        if block.box != box:
            return False
        if find_municipalities(block.text) or any(municipality_of_domain(m.group(0)) for m in _EMAIL.finditer(block.text)):
            return True  # (a municipality's own page may name it only through its contacts' addresses)
    return False


def _segment(blocks: list[Block], last_boxed: int) -> tuple[list[Block], list[list[Block]]]:
    """Split body blocks into (intro blocks, case block lists); ``last_boxed`` is the index of the last block
    inside one of the page's case containers (``len(blocks)`` when it has none)."""
    intro: list[Block] = []
    cases: list[list[Block]] = []
    current: list[Block] | None = None
    closing = False  # inside a case's contact/"read more" section
    colophon = False  # inside a report's colophon ("Kolofon", "Udgivet af …") after the cases
    for i, block in enumerate(blocks):
        nxt = blocks[i + 1] if i + 1 < len(blocks) else None
        if current is not None and block.is_heading and _COLOPHON.match(block.text.strip()):
            colophon = True
        if colophon:
            opens = not (block.is_heading and _COLOPHON.match(block.text.strip())) and (
                (block.is_heading and nxt is not None and not nxt.is_heading and _kommune_named(nxt))
                or _leading_municipality(block))  # ("Kolofon" over "Udgivet af X Kommune" opens nothing)
            if not opens:
                continue  # the publisher's lines and address are no part of the last case
            colophon = False
            current = [block]
            cases.append(current)
            continue
        if current is None:
            # still in the intro: a case starts where a paragraph names a municipality
            # (the paragraph under a heading: past a goal line right under it, "SDGs: 3 … · 17 …")
            below = blocks[i + 2] if nxt is not None and _GOAL_LINE.match(nxt.text) and i + 2 < len(blocks) else nxt
            starts = (block.rule and (_is_contact_line(block.text) or block.is_heading)) or (not block.is_heading and find_municipalities(block.text)) or (
                block.is_heading and below is not None and not below.is_heading and find_municipalities(below.text)
            ) or (  # a heading over a label that only names the municipality ("Gladsaxe Kommune")
                block.is_heading and nxt is not None and _kommune_named(nxt) and len(nxt.text.split()) <= 4
            ) or (block.box is not None and i <= last_boxed and _box_names_municipality(blocks, i))
            # (the first of the page's case containers that names a municipality starts with its first block)
            mailed = not starts and not block.is_heading and not block.aside and _is_contact_line(block.text) \
                and any(municipality_of_domain(m.group(0)) for m in _EMAIL.finditer(block.text))
            if block.is_heading and _COLOPHON.match(block.text.strip()):
                starts = False  # a report's colophon ("Kolofon" over "Udgivet af X Kommune") is no case
            if mailed:  # a municipal contact under text that never names its municipality (its own report):
                starts = True  # the case began at the last heading above it
            if starts:
                current = [block]
                last = max((j for j, b in enumerate(intro) if b.is_heading and not _FACTS.match(b.text.strip())
                            and not _GOAL_LINE.match(b.text)), default=0)
                closing = bool(mailed)  # the case's contact section has begun
                if (not block.is_heading and len(block.text.split()) <= 6 or _GOAL_LINE.match(block.text) or mailed) \
                        and last > 0:
                    # (or a report's goal line over the contact: "Verdensmål: 8 …" closes the case above it)
                    # a facts box's "Kommune: Frederiksberg Kommune" under the case's heading and text: the
                    # heading and text are the case's, not the intro's
                    current[:0], intro[last:] = intro[last:], []
                cases.append(current)
            else:
                intro.append(block)
            continue
        if block.rule or (i > last_boxed and current[-1].box is not None and block.box is None):
            # a separator line drawn above it, or out of the page's case containers (a page's closing call
            # for contributions, a note under the list of cases): not part of the case before
            closing = False
            current = [block]
            cases.append(current)
            continue
        if current[0].rule and all(_is_contact_line(b.text) or _is_more_heading(b) for b in current) \
                and (_is_contact_line(block.text) or _is_more_heading(block)):
            current.append(block)  # a case whose contact block comes first, right under the separator line
            continue
        if closing:
            # a short label right above a contact line ("Stabschef", "Borgmester (formand)") is part of it,
            # and so is the paragraph right under "Vil du vide mere?" (whatever it says)
            label = _labels_contact(blocks, i)
            under_heading = not block.is_heading and _is_more_heading(current[-1])
            if _is_contact_line(block.text) or _is_document_line(block) or _is_more_heading(block) or label \
                    or under_heading:
                current.append(block)
                continue
            closing = False
            current = [block]
            cases.append(current)
            continue
        if _is_more_heading(block) or (not block.is_heading and _is_contact_line(block.text)
                                       and parse_contact(block.text)):
            # a sidebar's contact box, even placed first, does not end the case; nor does a facts box's contact
            # right under the heading, above the case's text ("Kommune / Lemvig Kommune / Kontakt / …")
            closing = not block.aside and _has_body(current)
            current.append(block)
            continue
        if block.aside and closing is False and current and current[-1].aside:
            current.append(block)  # the rest of the sidebar (goal icons) stays with its case
            continue
        if block.is_heading and nxt is not None and not nxt.is_heading:
            here = _dominant_municipality(current)
            named = _named_below(blocks, i)
            if here and named and here not in named:
                current = [block]
                cases.append(current)
                continue
        if block.is_heading and block.box is not None and block.box != current[-1].box \
                and _box_names_municipality(blocks, i):
            # the heading of the next case container, naming another municipality than the case before
            here = _dominant_municipality(current)
            named = {name for b in blocks[i:] if b.box == block.box for name in _kommune_named(b)}
            if here and named and here not in named:
                current = [block]
                cases.append(current)
                continue
        if _opens_another_case(block, current):
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


def _only_municipality(text: str) -> bool:
    """A label that only names the municipality ("Brøndby", "Vesthimmerlands Kommune"): not a case's title."""
    words = [w for w in re.findall(r"[\wæøåÆØÅ-]+", text) if w.lower() not in ("kommune", "kommunes", "municipality")]
    spans = find_municipality_spans(" ".join(words))
    return 0 < len(words) <= 2 and bool(spans) and spans[0][2] == 0


# the heading of a group of further cases ("Andre projekter ved åen", "Flere eksempler", "More projects")
_GROUP = re.compile(r"^(?:andre|flere|øvrige|other|more|further)\s+(?:projekter|cases|eksempler|indsatser|initiativer|"
                    r"projects|cases|examples|initiatives)\b", re.IGNORECASE)


def _subheading_title(block: Block, nxt: Block) -> bool:
    """Whether ``nxt``, a deeper heading right under the heading ``block`` (levels known), is a title of its own
    (three words or more, not "Fakta" or "Vil du vide mere?") rather than a section of it."""
    return block.level is not None and nxt.level is not None and nxt.level > block.level and nxt.is_heading \
        and len(nxt.text.split()) >= 3 and not _FACTS.match(nxt.text.strip()) and not _is_more_heading(nxt)


def _title(blocks: list[Block]) -> str:
    """The case's first heading that is not a "Vil du vide mere?" or a focus-area label."""
    headings = [(at, b) for at, b in enumerate(blocks) if b.is_heading and not _is_more_heading(b)]
    for at, block in headings:
        if _GROUP.match(block.text.strip()) and at + 1 < len(blocks) and blocks[at + 1].is_heading:
            continue  # "Andre projekter ved åen" over the next case's own heading
        if at + 1 < len(blocks) and _subheading_title(block, blocks[at + 1]):
            continue  # a wiki's theme ("## Natur og biodiversitet") right over its first case ("### Skolernes …")
        if (focus_label(block.text) is None and not _only_municipality(block.text)) or block is headings[-1][1]:
            return block.text
    text = next((b for b in blocks if not _is_contact_line(b.text) and not _is_more_heading(b)), blocks[0]).text
    return text[:80]


def _contacts_and_documents(blocks: list[Block]) -> tuple[tuple[Contact, ...], tuple[Document, ...]]:
    """Every contact the case's blocks give (contact lines, and sentences with an address), in order."""
    contacts: list[Contact] = []
    documents = []
    named: list[Contact] = []  # people named with a job in the contact section, no address given
    in_more = False
    for i, block in enumerate(blocks):
        in_more = in_more or _is_more_heading(block)
        if in_more and not block.is_heading and not _EMAIL.search(block.text):
            person = named_person(block.text)
            if person is not None:
                named.append(person)
        if _EMAIL.search(block.text) or _is_contact_line(block.text):
            numbers = _phones(block.text)
            if contacts and len(numbers) == 1 and not _EMAIL.search(block.text) and not parse_contacts(block.text) \
                    and contacts[-1].phone is None and i and _EMAIL.search(blocks[i - 1].text):
                contacts[-1] = replace(contacts[-1], phone=numbers[0][2])  # a line with only the phone, under the address
                continue
            text = block.text
            # a name or role on the lines above ("Nanna Elkjær / Tlf.: …", "Sofie Dahl / Klimamedarbejder / sd@…"),
            # when the line names no one itself
            named_here = any(c.name for c in parse_contacts(text))
            for before in reversed(blocks[max(0, i - LABEL_LINES):i] if not named_here else []):
                if len(before.text.split()) > 8 or _is_more_heading(before) or _is_contact_line(before.text) \
                        or before.text.endswith((".", "?", "!")) or (before is not blocks[i - 1] and not _is_label(before.text)):
                    break
                text = before.text + ", " + text
            for contact in parse_contacts(text):
                if contact not in contacts and not any(c.email and c.email == contact.email for c in contacts):
                    contacts.append(contact)
        if _is_document_line(block):
            documents.append(Document(title=re.sub(r"\s+", " ", block.text).strip(), url=block.url))
    contacts += [p for p in named if not any(c.name == p.name for c in contacts)]
    return tuple(contacts), tuple(documents)


_GOAL_PREFIX = re.compile(r"^\s*(?:(?:FN'?s\s+)?(?:verdens)?mål|SDG|goal)\s*(?:nr\.?\s*)?\d{1,2}\s*[:.–-]\s*", re.IGNORECASE)


def case_title(page_title: str) -> str:
    """A single-case page's title without its goal prefix and its municipality suffix: "Mål 4:
    Læsevenner på tværs af generationer i Ringsted" -> "Læsevenner på tværs af generationer"."""
    title = _GOAL_PREFIX.sub("", page_title).strip()
    spans = find_municipality_spans(title)
    if spans:
        name, _, start = spans[-1]
        if re.search(r"\s(?:i|in|på)\s+$", title[:start]) and not re.search(r"\w", title[start:].split(" ", 2)[-1]
                                                                              if title[start:].count(" ") > 1 else ""):
            title = re.sub(r"\s(?:i|in|på)\s+$", "", title[:start]).strip()
    return title or page_title


def _publisher(page: str | None) -> str | None:
    """The domain of the page's publisher ("kl.dk" for https://www.kl.dk/…) when that is no municipality's."""
    if not page or municipality_of_domain(page):
        return None
    labels = host_of(page).split(".")
    return ".".join(labels[-2:]) if len(labels) >= 2 else None


def _on_domain(email: str | None, domain: str | None) -> bool:
    host = host_of(email) if email and "@" in email else ""
    return bool(domain and host) and (host == domain or host.endswith("." + domain))


_GENERAL_BOX = frozenset("post postkasse kontakt info mail kommune kommunen borgerservice raadhus radhus presse "
                         "kommunikation web redaktion sekretariat".split())


# first words of Danish street names that no first name is ("Ved Fjorden", "Nørre Allé", "Store Torv")
_STREET_START = frozenset("ved på over under bag mellem nørre søndre vestre østre store lille gl. gammel".split())


def _general_mailbox(contact: Contact) -> bool:
    """A municipality's general mailbox with no person's name (post@…, skive@skive.dk, presse@…): it answers
    for the whole municipality, so it makes nothing a case's contact."""
    if not contact.email or "@" not in contact.email:
        return False
    local, host = contact.email.lower().split("@", 1)
    if contact.name:  # a street read as a name, with no job, beside post@…: an address line ("Ved Fjorden 6, …")
        return local in _GENERAL_BOX and not contact.role and contact.name.split()[0].lower() in _STREET_START
    return local in _GENERAL_BOX or (municipality_of_domain(contact.email) is not None
                                     and host.split(".")[0].removesuffix("kommune") == local)


MIN_CASE_TEXT = 60  # characters of paragraph text an intro needs to be kept (a case without a municipality: 120)


def _pages(blocks: list[Block]) -> str:
    """", s. 3" or ", s. 3–4" for blocks from a PDF; "" otherwise."""
    pages = [b.page for b in blocks if b.page is not None]
    if not pages:
        return ""
    return f", s. {min(pages)}" if min(pages) == max(pages) else f", s. {min(pages)}–{max(pages)}"


def _case_focus(blocks: list[Block], page: str | None) -> str | None:
    """The focus area stated for the case: a label above one of its blocks, a focus-area heading or a
    "Fokusområde: …" line in it; else the page's."""
    for block in blocks:
        area = block.focus or (focus_label(block.text) if block.is_heading or re.match(
            r"(?:fokusområde|kategori)\s*:", block.text, re.IGNORECASE) else None)
        if area:
            return area
    return page


# the heading of one contact section for every case on the page ("Kontaktpersoner", "Spørgsmål?")
_GATHERED = re.compile(r"^(?:kontakt(?:er|personer|oplysninger)?|spørgsmål|contacts?|contact\s+(?:persons?|details)|"
                       r"questions|who\s+to\s+contact)\W*$", re.IGNORECASE)
# what a gathered contact line is about: "Spørgsmål om delebilerne: …", "Reparationscaféen: …"
_ABOUT = re.compile(r"^\W*(?:(?:spørgsmål|questions?)\s+(?:om|about|on)\s+)?(?P<about>[^:]{3,90}):\s", re.IGNORECASE)


def _words(text: str) -> set[str]:
    """A text's words of four letters or more, lower-cased."""
    return set(re.findall(r"[^\W\d_]{4,}", text.casefold()))


def _shared(topic: set[str], words: set[str]) -> int:
    """How many of ``topic``'s words meet one of ``words``: one's first five letters inside the other
    ("køkkenerne" ~ "køkkenet", "cykelværkstedet" ~ "værkstedet")."""
    return sum(any(w[:5] in t or t[:5] in w for w in words) for t in topic)


def _line_fit(part: list[Block], domain: str | None, topic: set[str]) -> tuple[int, int]:
    """How well a gathered contact line (its e-mail's municipality ``domain``, the words ``topic`` it says it is
    about) fits the case ``part``: (words shared, weighted double in the heading; its municipality's own),
    (-1, 0) for another municipality's case."""
    owner = _dominant_municipality(part)
    if domain is not None and owner is not None and owner != domain:
        return -1, 0
    shared = 2 * _shared(topic, _words(part[0].text)) + _shared(topic, _words(" ".join(b.text for b in part)))
    return shared, int(domain is not None and owner == domain)


def _heads(block: Block) -> bool:
    """A heading the page marks as one, or, in a text copy (which marks none), a line that reads as one."""
    return block.heading is True or (block.heading is None and block.is_heading)


def _gathered_contacts(blocks: list[Block]) -> list[Block]:
    """A page that gives every case's contact in one section at the bottom ("Kontaktpersoner" with
    "Reparationscaféen: Maja Thorup, …, matho@kolding.dk" and "Spørgsmål om delebilerne: …, jesnh@roskilde.dk"):
    each line goes under the case it names (its municipality's e-mail domain, then the words it shares with
    the case's heading and text) as that case's contact section, so the cases split where they end. A line
    that fits no case (the press office) is dropped. Other pages come back unchanged."""
    at = next((i for i in range(len(blocks) - 1, -1, -1)
               if _heads(blocks[i]) and _GATHERED.match(blocks[i].text.strip())), None)
    if at is None:
        return blocks
    end = next((j for j in range(at + 1, len(blocks)) if _heads(blocks[j])), len(blocks))
    lines = [b for b in blocks[at + 1:end] if _is_contact_line(b.text)]
    owners = {municipality_of_domain(m.group(0)) for b in lines for m in _EMAIL.finditer(b.text)} - {None}
    if len(lines) < 2 or not (len(owners) >= 2 or sum(bool(_ABOUT.match(b.text)) for b in lines) >= 2):
        return blocks
    body = blocks[:at]
    starts = [i for i, b in enumerate(body) if _heads(b) and i + 1 < len(body) and not body[i + 1].is_heading]
    if len(starts) < 2:
        return blocks
    parts = [body[a:b] for a, b in zip(starts, starts[1:] + [len(body)], strict=True)]
    assigned: list[list[Block]] = [[] for _ in parts]
    for line in lines:
        domain = next((municipality_of_domain(m.group(0)) for m in _EMAIL.finditer(line.text)), None)
        about = _ABOUT.match(line.text)
        topic = _words(about.group("about")) if about else set()
        fits = [_line_fit(part, domain, topic) for part in parts]
        best = max(range(len(parts)), key=lambda k: fits[k])
        if fits[best] > (0, 0) and fits.count(fits[best]) == 1 and (fits[best][0] > 0 or not topic):
            text = line.text[about.end():] if about and fits[best][0] > 0 \
                else line.text  # "Spørgsmål om delebilerne: Jesper …" -> "Jesper …"
            assigned[best].append(Block(text, heading=False, box=parts[best][-1].box))
    out = body[:starts[0]]
    for part, contact in zip(parts, assigned, strict=True):
        if contact:  # a case starts at its heading, whatever stood before it
            part = [replace(part[0], rule=True)] + part[1:] + [Block("Kontakt", heading=True, box=part[-1].box)] + contact
        out += part
    return out + blocks[end:]


def parse_theme_blocks(blocks: list[Block], source: str, theme: str | None, focus: str | None = None) -> list[Case]:
    """Turn a theme page's body blocks into its intro (if any) and cases.

    A page with one case and no intro is a single-case page: the case takes the page's title (less a
    "Mål 4:" prefix and an "i <By>" suffix). A case with no heading of its own (a news paragraph)
    takes the page's title too. A page that names no municipality in its text but sits on one's
    domain, or whose contacts do, is that municipality's case.
    """
    stem = slugify(Path(source).stem, 60)
    blocks = _gathered_contacts(blocks)
    last_boxed = max((i for i, b in enumerate(blocks) if b.box is not None), default=len(blocks))
    intro, segments = _segment(blocks, last_boxed)
    # a focus-area label that ends a segment introduces the next case ("Social bæredygtighed" above it)
    for i, segment in enumerate(segments):
        before = segments[i - 1] if i else intro
        while before and before[-1].is_heading and focus_label(before[-1].text) and len(before) > 1:
            segment.insert(0, before.pop())
    # left-overs that are no case: an intro of labels only, a trailing "Tilmeld dig nyhedsbrevet"
    if sum(len(b.text) for b in intro if not b.is_heading) < MIN_CASE_TEXT:
        intro = []
    page = source if re.match(r"https?://", source) else None
    publisher = _publisher(page)
    parsed = [(seg, *_contacts_and_documents(seg)) for seg in segments]  # contacts read once a segment
    # the publisher's own address ("Har din kommune en god indsats? Så kontakt …@kl.dk" on kl.dk) is no case's contact
    parsed = [(seg, tuple(c for c in contacts if not _on_domain(c.email, publisher) and not _general_mailbox(c)),
               documents) for seg, contacts, documents in parsed]
    trailing = {id(b) for b in blocks[last_boxed + 1:]}  # what follows the page's last case container
    # after the page's last case container, a section without a contact is a closing note ("Friendship towns",
    # "Næste skridt"), not a case, even when it names the municipality
    parsed = [(seg, contacts, documents) for seg, contacts, documents in parsed
              if not (trailing and all(id(b) in trailing for b in seg) and not contacts)
              and (_dominant_municipality(seg, contacts) or (
                  not all(id(b) in trailing for b in seg)
                  and (contacts or sum(len(b.text) for b in seg) >= 2 * MIN_CASE_TEXT)))]
    # after the last case with a contact, a section without a contact that names its municipality only beside
    # the municipality's general mailbox ("Søg puljen … Vejle Kommune | vejle@vejle.dk") is no case
    last_contact = max((i for i, (_, contacts, _) in enumerate(parsed) if contacts), default=len(parsed))
    parsed = [p for i, p in enumerate(parsed) if i <= last_contact
              or _dominant_municipality([b for b in p[0] if not _is_contact_line(b.text)])
              or not _dominant_municipality(p[0], p[1])]
    if not parsed and intro:
        contacts, documents = _contacts_and_documents(intro)
        if municipality_of_domain(page) or any(municipality_of_domain(c.email) for c in contacts):
            intro, parsed = [], [(intro, contacts, documents)]  # one municipality's own page: it never names itself
    elif len(parsed) == 1 and intro and municipality_of_domain(page) \
            and _dominant_municipality(parsed[0][0], parsed[0][1]) == municipality_of_domain(page):
        # a municipality's own page about one case: its title and opening lines are the case's, not an intro
        seg, contacts, documents = parsed[0]
        merged = intro + seg
        extra = tuple(c for c in _contacts_and_documents(intro)[0] if c not in contacts)
        intro, parsed = [], [(merged, contacts + extra, documents)]
    cases: list[Case] = []
    page_focus = focus or focus_label(source) or focus_label(theme)
    intro_goals = goals_in(" ".join([theme or ""] + [b.text for b in intro]))
    # a page on one goal gives its cases that goal (the bundled page is on goal 17)
    page_goal = intro_goals if len(intro_goals) == 1 else []
    if intro:
        title = _title(intro) if any(b.is_heading for b in intro) else (theme or stem)
        cases.append(Case(id=f"{stem}-intro", title=theme or title, municipality=None, theme=theme,
                          sections=_sections(intro), contact=None, source=source + _pages(intro), kind="intro",
                          goals=tuple(intro_goals), focus=page_focus))
    single = len(parsed) == 1 and not intro
    for position, (blocks_of_case, contacts, documents) in enumerate(parsed):
        municipality = _dominant_municipality(blocks_of_case, contacts, page if single else None)
        # a municipality's page on one project, with teasers of others under "Andre projekter" further down:
        # the project's title is the page's
        untitled = position == 0 and not intro and not blocks_of_case[0].is_heading and len(parsed) > 1 \
            and all(_GROUP.match(next((b.text for b in seg if b.is_heading), "").strip()) for seg, _, _ in parsed[1:])
        if theme and (single or untitled or not any(b.is_heading and not _is_more_heading(b) for b in blocks_of_case)):
            title = case_title(theme)
        else:
            title = _title(blocks_of_case)
        cases.append(Case(id=slugify(f"{municipality or stem}-{title}", 60), title=title,
                          municipality=municipality, theme=theme, sections=_sections(blocks_of_case),
                          contact=None, contacts=contacts, documents=documents,
                          source=source + _pages(blocks_of_case),
                          goals=tuple(sorted(set(goals_in(" ".join(b.text for b in blocks_of_case))) | set(page_goal))),
                          focus=_case_focus(blocks_of_case, page_focus),
                          partners=_partners(blocks_of_case, contacts, municipality)))
    return _merge_repeats(cases)


def _partners(blocks: list[Block], contacts: tuple[Contact, ...], municipality: str | None) -> tuple[str, ...]:
    """The other municipalities a joint case belongs to: each named in it as "X Kommune" and with a contact of its
    own on the case (an address on its domain), as two neighbours' shared plan for a bay with a biologist in one
    and a planner in the other. A partner named without a contact of its own is a partner, not an owner."""
    if not municipality:
        return ()
    named = {name for b in blocks for name in _kommune_named(b)}
    mailed = {municipality_of_domain(c.email) for c in contacts if c.email}
    return tuple(sorted((named & mailed) - {municipality, None}))


def _merge_repeats(cases: list[Case]) -> list[Case]:
    """A case a page gives twice under one title (a card with its teaser at the top, the full text further
    down) is one case: the fuller one (a contact, then more text) in the first one's place, with the goals
    of both."""
    out: list[Case] = []
    seen: dict[tuple[str, str | None], int] = {}
    for case in cases:
        key = (re.sub(r"\W+", " ", case.title).strip().casefold(), case.municipality)
        if case.kind == "intro" or not case.municipality or key not in seen:
            seen.setdefault(key, len(out))
            out.append(case)
            continue
        other = out[seen[key]]
        keep, drop = (case, other) if _fullness(case) > _fullness(other) else (other, case)
        out[seen[key]] = replace(keep, id=other.id, goals=tuple(sorted(set(keep.goals) | set(drop.goals))))
    return out


def _fullness(case: Case) -> tuple[bool, int]:
    return bool(case.contacts), sum(len(p) for section in case.sections for p in section.paragraphs)
