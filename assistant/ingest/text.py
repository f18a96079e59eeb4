"""Theme pages saved as plain text (header lines, then the body's blocks)."""

from __future__ import annotations

import re

from ..records import Case
from .cases import parse_theme_blocks
from .common import _BOILERPLATE, Block


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
