"""Web pages saved as HTML: the main content as heading and paragraph blocks, the page's URL as source.

Structure comes from selectolax. What is not content is dropped: scripts and styles, the site's
navigation, header, footer and asides (outside the main content), and elements whose class, id,
role or label says cookie banner, skip-link, breadcrumb, share buttons, menu, related links or
newsletter. The main content is ``<main>`` (or ``<article>``, ``[role=main]``, else the body).
Headings become heading blocks; paragraphs, list items (each nesting level on its own), table
cells, definition lists and quotes become paragraph blocks. A list item that opens with a short bold
text ("<strong>Frugttræer i skolegården</strong> (Middelfart Kommune)") is a heading with its rest as
a paragraph: lists of cases are laid out that way. Where the cases sit in containers of one kind
(repeated ``<article class="case">``, ``<section>``, ``<li>`` with a bold lead), text after the last of
them (the page's call for contributions, a note under the list) is no part of the last case. The source is the page's canonical URL, else its
``og:url``, else the URL `assistant import` fetched it from.
"""

from __future__ import annotations

import re
from html import escape

from selectolax.lexbor import LexborHTMLParser as HTMLParser
from selectolax.lexbor import LexborNode as Node

from ..goals import goals_in
from ..records import Case
from .cases import parse_theme_blocks
from .common import _EMAIL, LINKS_HEADING, Block, drop_furniture, focus_label

_DROP_TAGS = ("script", "style", "noscript", "template", "svg", "iframe", "form", "button", "select", "figcaption",
              "img", "picture", "video", "audio", "canvas", "object")
_OUTSIDE_TAGS = ("nav", "header", "footer", "aside")  # site chrome, unless inside the main content
_FURNITURE = re.compile(r"cookie|consent|gdpr|skip|breadcrumb|brødkrumme|share|social|some-|del-|menu|navigation|"
                        r"newsletter|nyhedsbrev|related|relateret|banner|sidebar|tags?\b|byline|print|footer|"
                        r"site-?info|colophon|masthead|topbar|language|sprog", re.IGNORECASE)
# a tag line that states a case's goals: kept, though tag lists are furniture
_GOALS_TAGGED = re.compile(r"^\W*(?:fn['’]?s\s+|un\s+)?(?:verdensmål(?:ene)?|sdgs?|global\s+goals?)\b", re.IGNORECASE)
# the heading of a box of links ("Relateret indhold", "Læs også", "Se også", "Related content")
_BOX_HEADING = re.compile(rf"^(?:{LINKS_HEADING}|læs mere|read more|more on this)\W*$", re.IGNORECASE)
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_TEXT_BLOCKS = {"p", "li", "dt", "dd", "td", "th", "blockquote", "pre", "address", "caption"}
_CONTAINERS = {"div", "section", "article", "main", "body", "ul", "ol", "dl", "table", "tbody", "thead", "tr", "td", "th",
               "blockquote",
               "figure", "details", "summary", "span", "header", "footer", "aside", "nav", "center", "font"}
_BLOCK_INSIDE = "h1, h2, h3, h4, h5, h6, p, div, ul, ol, dl, table, section, article"
_SITE_SUFFIX = re.compile(r"\s+[|–—-]\s+[^|–—-]{2,60}$")


def page_url(tree: HTMLParser) -> str | None:
    """The page's own URL: canonical link, og:url, or the URL it was imported from."""
    for selector, attribute in (('link[rel="canonical"]', "href"), ('meta[property="og:url"]', "content"),
                                ('meta[name="assistant:source-url"]', "content")):
        node = tree.css_first(selector)
        value = (node.attributes.get(attribute) or "").strip() if node else ""
        if re.match(r"https?://\S+$", value):
            return value
    return None


def url_title(url: str | None) -> str:
    """A title from a URL's last path segment: ".../groenne-faellesskaber-i-boligomraaderne" ->
    "Groenne faellesskaber i boligomraaderne"."""
    if not url:
        return ""
    segment = re.sub(r"\.(?:html?|php|aspx?)$", "", url.split("?")[0].rstrip("/").rsplit("/", 1)[-1])
    words = re.sub(r"[-_]+", " ", segment).strip()
    return words[:1].upper() + words[1:] if words and not words.isdigit() else ""


def _label(node: Node) -> str:
    attributes = node.attributes
    return " ".join(str(attributes.get(key) or "") for key in ("class", "id", "role", "aria-label"))


# a table of cases: one column names the municipality, another the project
_MUNICIPALITY_COLUMN = re.compile(r"^(?:kommunen?|municipality|council|local\s+authority)\W*$", re.IGNORECASE)
_TITLE_COLUMN = re.compile(r"^(?:projekt(?:et|navn)?|titel|case|indsats(?:en)?|initiativ(?:et)?|project|title|"
                           r"initiative|scheme)\W*$", re.IGNORECASE)


def _cell_text(cell: Node) -> str:
    return re.sub(r"\s+", " ", cell.text(deep=True, separator=" ")).strip()


def _case_tables(tree: HTMLParser) -> None:
    """A table whose rows are cases (columns such as Kommune / Projekt / Beskrivelse / Kontakt) becomes one
    container per row: the project as its heading, "Kommune: X", the other cells as paragraphs; a cell's lines
    (<br>) are a paragraph each when each holds an e-mail (one contact a line), else one paragraph joined by
    ", " (one person's name / job / address), with the column's name before it ("Kontakt: …")."""
    for table in tree.css("table"):
        rows = [row for row in table.css("tr") if row.css_first("td, th") is not None]
        if len(rows) < 3:
            continue
        header = [_cell_text(c) for c in rows[0].css("th, td")]
        where = next((i for i, h in enumerate(header) if _MUNICIPALITY_COLUMN.match(h)), None)
        if where is None or len(header) < 3:
            continue
        title_at = next((i for i, h in enumerate(header) if _TITLE_COLUMN.match(h)), None)
        parts = ['<div class="case-table">']
        for row in rows[1:]:
            cells = row.css("th, td")
            if len(cells) != len(header):
                continue
            title = _cell_text(cells[title_at]) if title_at is not None else ""
            parts.append('<section class="case-row">')
            if title:
                parts.append(f"<h3>{escape(title)}</h3>")
            parts.append(f"<p>Kommune: {escape(_cell_text(cells[where]))}</p>")
            for i, cell in enumerate(cells):
                if i in (where, title_at):
                    continue
                inner = cell.inner_html or ""
                if cell.css_first("p, ul, ol, div") is not None:
                    parts.append(f"<div>{inner}</div>")
                    continue
                lines = [line for line in re.split(r"<br\s*/?>", inner, flags=re.IGNORECASE) if line.strip()]
                if not all(_EMAIL.search(line) for line in lines):  # one person's name / job / address lines
                    lines = [", ".join(line.strip() for line in lines)] if lines else []
                label = escape(header[i])
                for n, line in enumerate(lines):
                    said = re.match(rf"\W*{re.escape(header[i])}\b", re.sub(r"<[^>]+>", "", line), re.IGNORECASE)
                    lead = f"{label}: " if n == 0 and label and len(lines) == 1 and not said else ""
                    parts.append(f"<p>{lead}{line}</p>")
                if label and len(lines) > 1:
                    parts.insert(len(parts) - len(lines), f"<p><strong>{label}</strong></p>")
            parts.append("</section>")
        parts.append("</div>")
        replacement = HTMLParser("".join(parts)).css_first("div.case-table")
        if replacement is not None:
            table.replace_with(replacement)


def _clean(tree: HTMLParser) -> Node | None:
    _case_tables(tree)
    for image in tree.css("img[alt]"):  # goal icons say their goal only in alt ("Verdensmål 6: Rent vand …")
        alt = re.sub(r"\s+", " ", image.attributes.get("alt") or "").strip()
        if alt and goals_in(alt):
            image.replace_with(f" {alt} ")
    # an accordion's title is a button inside its heading ("<h3><button>Vådere enge</button></h3>"): kept as text
    for button in tree.css(", ".join(f"{h} button, summary button" for h in sorted(_HEADINGS))):
        button.unwrap()
    for tag in _DROP_TAGS:
        for node in tree.css(tag):
            node.decompose()
    for node in tree.css("br"):
        # a line break separates words; in a contact's lines (name / job / address) it separates fields
        parent = node.parent
        node.replace_with(", " if parent is not None and _EMAIL.search(parent.text()) else " ")
    main = tree.css_first("main") or tree.css_first('[role="main"]') or tree.css_first("article") or tree.body
    if main is None:
        return None
    doomed = [node for node in main.traverse(include_text=False)
              if node.mem_id != main.mem_id and node.tag not in _HEADINGS and _FURNITURE.search(_label(node))
              and _only_furniture_headings(node)  # never a container of the content's headings
              and not _GOALS_TAGGED.match(node.text())]  # nor a case's goals as tags ("SDGs: 4 Quality Education · 8 …")
    for node in doomed:  # (collected first: the tree must not change while it is walked)
        if node.parent is not None:
            node.decompose()
    if main.mem_id == tree.body.mem_id:
        for tag in _OUTSIDE_TAGS:
            for node in main.css(tag):
                node.decompose()
    return main


def _contact_sidebars(tree: HTMLParser, main: Node) -> list[Node]:
    """The sidebars beside the main content that hold its contact, when the main content names none: a
    municipality's own page often puts "Kontakt" (and a facts box) in an <aside> next to <main>."""
    if main.mem_id == tree.body.mem_id or _EMAIL.search(main.text()) \
            or main.css_first('a[href^="mailto:"]') is not None:
        return []
    out: list[Node] = []
    for node in tree.css('aside, [role="complementary"]'):
        # not inside the main content, the site's chrome, or a sidebar already taken
        taken = {main.mem_id} | {n.mem_id for n in out}
        if not any(p.mem_id in taken or p.tag in ("header", "footer", "nav") for p in _ancestors(node)) \
                and _EMAIL.search(node.text()):
            out.append(node)
    return out


def _ancestors(node: Node):
    parent = node.parent
    while parent is not None:
        yield parent
        parent = parent.parent


def _only_furniture_headings(node: Node) -> bool:
    """Whether ``node`` holds no h1/h2 heading, or only headings of furniture ("Relateret indhold",
    "Læs også", "Related content"): a related-links box inside <main> goes with its heading."""
    headings = [re.sub(r"\s+", " ", h.text()).strip() for h in node.css("h1, h2")]
    return all(_BOX_HEADING.match(text) for text in headings)


def _text(node: Node, skip_lists: bool = False) -> str:
    """The node's text with spaces between inline elements where the source had them."""
    if skip_lists:
        parts = []
        for child in node.iter(include_text=True):
            if child.tag in ("ul", "ol", "dl", "table"):
                continue
            parts.append(child.text(deep=True, separator="") if child.tag != "-text" else child.text_content or "")
        raw = "".join(parts)
    else:
        raw = node.text(deep=True, separator="")
    return re.sub(r"\s+", " ", raw).strip()


def _link(node: Node) -> str | None:
    anchor = node.css_first("a[href]")
    return anchor.attributes.get("href") if anchor is not None else None


def _bold_lead(node: Node) -> str:
    """The text of the first bold element in ``node`` ("" when none)."""
    bold = node.css_first("strong") or node.css_first("b")
    return re.sub(r"\s+", " ", bold.text()).strip() if bold is not None else ""


def _nests_list(node: Node) -> bool:
    return any(c.tag in ("ul", "ol", "dl", "table") for c in node.iter())


def _list_lead(item: Node) -> str | None:
    """The bold lead that heads a list item over a nested list ("<li><strong>Titel</strong><ul>…"), if any."""
    lead = _bold_lead(item)
    if lead and len(lead) <= 110 and not lead.endswith((".", ":")) and _nests_list(item) \
            and _text(item, skip_lists=True).startswith(lead):
        return lead
    return None


def _has_heading(node: Node) -> bool:
    """Whether ``node`` holds a heading: an <h1>–<h6>, an all-bold paragraph, or (a list item) a bold lead
    that _list_item makes a heading."""
    if node.css_first("h1, h2, h3, h4, h5, h6") is not None:
        return True
    if node.tag == "details":
        return node.css_first("summary") is not None
    if node.tag == "li":
        return _list_lead(node) is not None or _blurb_lead(node) is not None
    return any(_bold_heading(p, _text(p)) for p in node.css("p"))


def _blurb_lead(item: Node) -> str | None:
    """The headline of a news blurb in a list ("<li><strong>Engen må blive våd igen.</strong> Drænrørene er
    …</li>"): a bold lead of three words or more, then a text of its own (80 characters or more)."""
    if _nests_list(item):
        return None
    lead = _bold_lead(item)
    own = _text(item)
    if len(lead.split()) < 3 or len(lead) > 110 or lead.endswith(":") or not own.startswith(lead) \
            or len(own) - len(lead) < 80:
        return None
    return lead


def case_boxes(main: Node) -> set[int]:
    """The page's case containers: sibling elements of one tag and class, at least two of them holding a
    heading ("<article class="case">", "<section class="case">", "<li><strong>Titel</strong>…"), and
    repeated siblings beside them (a "case-body" after each "case-head"). The innermost such containers
    count; what follows the last of them is not part of its case."""
    boxes: set[int] = set()
    for node in main.traverse(include_text=False):
        groups: dict[tuple[str, str], list[Node]] = {}
        for child in node.iter():
            if child.tag in ("article", "section", "div", "li", "details", "aside"):
                groups.setdefault((child.tag, str(child.attributes.get("class") or "")), []).append(child)
        repeated = [members for members in groups.values() if len(members) >= 2]
        if any(sum(map(_has_heading, members)) >= 2 for members in repeated):
            # the headed containers, and repeated companions beside them ("case-head" + "case-body")
            boxes.update(m.mem_id for members in repeated for m in members)
    return boxes


def _blocks(node: Node, out: list[Block], boxes: set[int] = frozenset(), box: int | None = None) -> None:
    if node.mem_id in boxes:
        box = node.mem_id
    start = len(out)
    for child in node.iter(include_text=True):
        tag = child.tag
        if tag == "-text":
            text = re.sub(r"\s+", " ", child.text_content or "").strip()
            if text and node.tag in _CONTAINERS:
                out.append(Block(text))
        elif tag in _HEADINGS or (tag == "summary" and child.css_first(_BLOCK_INSIDE) is None):
            text = _text(child)  # (an accordion's <summary> line is its item's title)
            if text:
                out.append(Block(text, heading=len(text) <= 110 or tag != "summary"))
        elif tag in ("li", "dd", "dt") and _holds_blocks(child):
            _blocks(child, out, boxes, box)  # a card laid out as a list item: a label, a heading, paragraphs
        elif tag in ("li", "dd", "dt"):
            _list_item(child, out, boxes, box)
        elif tag in ("td", "th", "blockquote") and child.css_first(_BLOCK_INSIDE) is not None:
            _blocks(child, out, boxes, box)  # a layout cell (an e-mail newsletter's story) holds blocks of its own
        elif tag in _TEXT_BLOCKS:
            text = _text(child)
            if text:
                out.append(Block(text, heading=None if tag != "p" else _bold_heading(child, text), url=_link(child)))
        elif tag == "br":
            continue
        else:
            _blocks(child, out, boxes, box)
    _mark(out[start:], box, aside=node.tag == "aside")


_BLOCK_TAGS = _HEADINGS | {"p", "div", "section", "article", "header", "footer", "ul", "ol", "dl", "table", "figure",
                            "blockquote", "address"}


def _holds_blocks(item: Node) -> bool:
    """Whether a list item is a container of blocks rather than a line of text: it holds a heading, and
    everything directly in it is a block element (so no text of its own is lost by walking it as one)."""
    if item.css_first("h1, h2, h3, h4, h5, h6") is None:
        return False
    for child in item.iter(include_text=True):
        if child.tag == "-text":
            if (child.text_content or "").strip():
                return False
        elif child.tag not in _BLOCK_TAGS:
            return False
    return True


def _mark(blocks: list[Block], box: int | None, aside: bool = False) -> None:
    """Give ``blocks`` the case container they sit in (an inner container's, when one gave it already)."""
    for block in blocks:
        if block.box is None:
            block.box = box
        block.aside = block.aside or aside


def _bold_heading(node: Node, text: str) -> bool | None:
    """A paragraph that is all bold and short is a heading ("<p><strong>Case</strong></p>")."""
    bold = node.css_first("strong") or node.css_first("b")
    if bold is not None and re.sub(r"\s+", " ", bold.text()).strip() == text and len(text) <= 110:
        return True
    return None


def _list_item(item: Node, out: list[Block], boxes: set[int] = frozenset(), box: int | None = None) -> None:
    if item.mem_id in boxes:
        box = item.mem_id
    start = len(out)
    own = _text(item, skip_lists=True)
    lead = _list_lead(item)
    blurb = _blurb_lead(item) if lead is None and item.mem_id in boxes else None
    if lead:
        out.append(Block(lead, heading=True))
        rest = own[len(lead):].strip()
        if rest:
            out.append(Block(rest, heading=False))
    elif blurb:  # one of a list's news blurbs: its headline opens a case of its own
        out.append(Block(blurb.rstrip(". "), heading=True, rule=True))
        out.append(Block(own[len(blurb):].strip(), heading=False, url=_link(item)))
    elif own:
        out.append(Block(own, heading=False, url=_link(item)))
    for child in (c for c in item.iter() if c.tag in ("ul", "ol", "dl", "table")):
        _blocks(child, out, boxes, box)
    _mark(out[start:], box)


def page_focus(tree: HTMLParser, url: str | None) -> str | None:
    """The focus area the page states: in its breadcrumb, tags or labels, or its URL's path."""
    for node in tree.css('[class*="crumb"], [class*="tag"], [class*="label"], [class*="categor"], [class*="kategori"]'):
        parts = [re.sub(r"\s+", " ", a.text()).strip() for a in node.css("a, span")] or [node.text()]
        for part in reversed(parts):
            area = focus_label(part)
            if area:
                return area
    return focus_label(url)


def html_blocks(html: str) -> tuple[list[Block], str | None, str | None, str | None]:
    """(content blocks, page title, page URL, the focus area the page states) of an HTML page."""
    tree = HTMLParser(html)
    url = page_url(tree)
    title_node = tree.css_first("title")
    title = _SITE_SUFFIX.sub("", re.sub(r"\s+", " ", title_node.text()).strip()) if title_node else ""
    focus = page_focus(tree, url)
    main = _clean(tree)
    blocks: list[Block] = []
    if main is not None:
        _blocks(main, blocks, case_boxes(main))
        for sidebar in _contact_sidebars(tree, main):
            start = len(blocks)
            _blocks(sidebar, blocks)
            _mark(blocks[start:], None, aside=True)
    blocks = drop_furniture(blocks)
    h1 = tree.css_first("h1")
    h1_text = re.sub(r"\s+", " ", h1.text()).strip() if h1 is not None else ""
    if h1_text:  # the page's own heading; <title> often adds or shortens with the site's name
        title = h1_text
    elif not title:  # no <title>, no <h1>: the first heading, else the URL's last segment
        title = next((b.text for b in blocks if b.heading), "") or url_title(url)
    return blocks, title or None, url, focus


def parse_theme_html(html: str, source: str) -> list[Case]:
    blocks, title, url, focus = html_blocks(html)
    if title and blocks and blocks[0].heading and blocks[0].text == title:
        blocks = blocks[1:]
    return parse_theme_blocks(blocks, url or source, title, focus)
