"""Web pages saved as plain text: header lines (furniture, title, standfirst), then the body's blocks.

A text copy of a page keeps what the browser showed: skip-links, menus, breadcrumbs ("Tema /
Økonomi"), "Ældre end 12 mdr.", share-icon names, login notices, image placeholders and photo
credits. Those lines are dropped (``common.is_furniture``). A leading "Kilde: https://…" line is
the page's URL: it becomes the case source, never a title. The body starts after an "Indhold" line
or where the text is indented (as the bundled page); bullet lines ("• …", "- …") are blocks of
their own. A "URL: …" line over a "Gemt: <date>" line is the source too, and the date line is
furniture. A separator line ("=====", "-----", "* * *") starts a case, even one whose contact block
comes first; a title in capitals over its lines is a heading.
"""

from __future__ import annotations

import re
from collections import Counter

from ..records import Case
from .cases import parse_theme_blocks
from .common import _EMAIL, _MORE, LINKS_HEADING, Block, focus_label, is_furniture, source_line

_BULLET = re.compile(r"^\s*(?:[•▪◦·*–-]|\d{1,2}[.)])\s+")
# a line drawn between the cases of a text copy: "=====", "-----", "_____", "* * *", "~~~"
_RULE = re.compile(r"^\s*(?:([=_~*#-])(?:\s?\1){2,}|[─━═]{3,})\s*$")


# the heading of a run of links in a text copy: the short titles under it are other pages, not content
_LINKS_HEADING = re.compile(rf"^(?:{LINKS_HEADING})\W*$", re.IGNORECASE)


def _is_link_title(line: str) -> bool:
    """A line that reads like a link's title: short, no sentence end, no e-mail address."""
    line = line.strip()
    return len(line) <= 90 and not re.search(r"[.!?]$", line) and "@" not in line


def _body_blocks(raw: str) -> list[Block]:
    focus = next((focus_label(line) for line in raw.splitlines() if is_furniture(line) and focus_label(line)), None)
    lines = [line for line in raw.splitlines() if line.strip() and not is_furniture(line)]
    if not lines:
        return [Block("", focus=focus)] if focus else []  # an empty carrier: its focus goes to the next block
    if sum(bool(_BULLET.match(line)) for line in lines) >= 2:
        blocks: list[Block] = []
        for line in lines:
            text = _BULLET.sub("", line).strip()
            if _BULLET.match(line) or not blocks:
                blocks.append(Block(text))
            else:
                blocks[-1] = Block(blocks[-1].text + " " + text)
        return blocks
    first = lines[0].strip()
    if len(lines) > 1 and all(_EMAIL.search(line) for line in lines) and len(_EMAIL.findall(raw)) == len(lines):
        # one contact a line, each with its address ("Ungemiddage i Holstebro: Signe …, sika@…"): a block each
        return [Block(line.strip()) for line in lines]
    if len(lines) > 1 and any(_EMAIL.search(line) for line in lines) and all(len(line.split()) <= 8 for line in lines):
        # a contact written one field to a line ("Kontakt" / name / job, unit / address): the lines are fields
        return [Block(", ".join(line.strip() for line in lines))]
    if len(lines) > 1 and all(_is_link_title(line) and len(line.split()) < 12 for line in lines) \
            and not raw.startswith((" ", "\t")):
        # a title over its municipality, each on a line of its own ("Små delaftaler …" / "Lemvig Kommune")
        return [Block(line.strip()) for line in lines]
    if len(lines) > 1 and first.isupper() and len(first) <= 110 and not first.endswith((".", ",", ";")):
        # a title in capitals over its lines ("FÆDRE PÅ GÅTUR" / "Gentofte Kommune | Region Hovedstaden")
        return [Block(first, heading=True)] + _body_blocks("\n".join(lines[1:]))
    clean = re.sub(r"\s+", " ", " ".join(lines)).strip()
    return [] if is_furniture(clean) else [Block(clean)]


def text_blocks(text: str) -> tuple[list[str], list[Block], str | None, str | None]:
    """(header lines, body blocks, the page's URL from a "Kilde:" line, the focus area its labels state)
    of a text copy of a page."""
    # a short line repeated on every "page" (a report's running header) is furniture, unless it is the
    # "Vil du vide mere?" that ends each case
    counts = Counter(line.strip() for line in text.splitlines() if 0 < len(line.strip()) <= 80)
    running = {line for line, n in counts.items() if n >= 3 and not _MORE.match(line) and not _RULE.match(line)}
    if running:
        text = "\n".join(line for line in text.splitlines() if line.strip() not in running)
    # a separator line is a block of its own (it may sit right above a case's first line)
    text = "\n".join(f"\n{line}\n" if _RULE.match(line) else line for line in text.splitlines())
    raw_blocks = [b for b in re.split(r"\n\s*\n", text) if b.strip()]
    url = None
    header: list[str] = []
    labels: list[str] = []  # furniture lines of the header (breadcrumbs, "Tema", "Partnerskaber")
    body: list[Block] = []
    indented = any(b.startswith((" ", "\t")) for b in raw_blocks)
    has_contents_line = any(b.strip().lower() == "indhold" for b in raw_blocks)
    in_body = not indented and not has_contents_line
    links = False  # inside a "Relateret indhold" run of link titles
    ruled = False  # a separator line came before the next body block
    last_indented = max((i for i, b in enumerate(raw_blocks) if b.startswith((" ", "\t"))), default=-1)
    contents = False  # right after an "Indhold" line: the contents, titles that come again as headings
    for position, raw in enumerate(raw_blocks):
        clean = re.sub(r"\s+", " ", raw).strip()
        after_contents, contents = contents, clean.lower() == "indhold"
        lines = [line for line in raw.splitlines() if line.strip()]
        if after_contents and len(lines) >= 2 and all(_is_link_title(line) for line in lines):
            continue
        if lines[0].strip().lower() == "indhold" and len(lines) >= 3 and all(map(_is_link_title, lines[1:])):
            in_body = True  # "Indhold" over the list of what follows
            continue
        if _RULE.match(clean):
            ruled = ruled or in_body
            links = False
            continue
        first = raw.strip().splitlines()[0].strip()
        if in_body and _LINKS_HEADING.match(first):
            links = True  # the box's heading; its titles may follow in the same block or the next ones
            continue
        if links and all(_is_link_title(line) for line in raw.splitlines() if line.strip()):
            continue
        links = False
        if url is None and source_line(clean):
            url = source_line(clean)
            continue
        if url is None and source_line(first):  # "URL: https://…" over "Gemt: 2. maj": the rest is the header's
            url = source_line(first)
            raw = "\n".join(raw.strip().splitlines()[1:])
            clean = re.sub(r"\s+", " ", raw).strip()
            if not clean:
                continue
        if not in_body and ((indented and raw.startswith((" ", "\t"))) or clean.lower() == "indhold"):
            in_body = True
        if in_body:
            if indented and body and not raw.startswith((" ", "\t")) and position > last_indented:
                continue  # after an indented body: the page's footer and related links
            if clean.lower() != "indhold":
                added = _body_blocks(raw)
                if added and ruled:
                    added[0].rule, ruled = True, False
                body.extend(added)
        else:
            header.extend(line.strip() for line in raw.splitlines() if line.strip() and not is_furniture(line))
            labels.extend(line.strip() for line in raw.splitlines() if line.strip() and is_furniture(line))
    # a focus label's carrier block passes its focus to the block after it
    merged: list[Block] = []
    pending = None
    rule = False
    for block in body:
        if not block.text:
            pending, rule = block.focus, rule or block.rule
            continue
        if pending and not block.focus:
            block.focus = pending
        block.rule = block.rule or rule
        pending, rule = None, False
        merged.append(block)
    focus = next((focus_label(label) for label in labels + header if focus_label(label)), None)
    return header, merged, url, focus


def _is_sentence(line: str) -> bool:
    return len(re.findall(r"\w+", line)) >= 11 or line.rstrip().endswith(".")  # (a breadcrumb's slashes are no words)


def parse_theme_text(text: str, source: str) -> list[Case]:
    """Parse a page saved as plain text (header lines, then indented body blocks)."""
    header, body, url, focus = text_blocks(text)
    # the title is the last short header line before the standfirst (a sentence: 11+ words or a full stop);
    # labels above it ("Partnerskaber", a category) are not
    lines = [h for h in header if len(h) < 110]
    first_sentence = next((i for i, h in enumerate(lines) if _is_sentence(h)), len(lines))
    titles = [h for h in lines[:first_sentence] if not _is_sentence(h)]
    theme = titles[-1] if titles else None
    if theme is None and body and body[0].is_heading:
        theme = body[0].text
    # the page's standfirst (a sentence under the title) opens the intro
    standfirst = [Block(h, heading=False) for h in header if h != theme and h not in titles and len(h) >= 60]
    return parse_theme_blocks(standfirst + body, url or source, theme, focus)
