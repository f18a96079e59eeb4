"""Theme pages saved as HTML."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from ..records import Case
from .cases import parse_theme_blocks
from .common import _BOILERPLATE, Block


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
