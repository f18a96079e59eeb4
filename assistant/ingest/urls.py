"""URLs, file names and HTML for `assistant import`: normalising URLs, naming saved pages, recording
a page's source in it, decoding its bytes, and the same-site links a catalogue page points to."""

from __future__ import annotations

import codecs
import hashlib
import html
import re
import unicodedata
from html.parser import HTMLParser
from urllib.parse import unquote, urljoin, urlsplit

import httpx

SOURCE_URL_META = "assistant:source-url"
FETCHED_AT_META = "assistant:fetched-at"
MAX_URL_LENGTH = 2048
SLUG_LENGTH = 80
# links to these are not followed with depth 1 (a .pdf link is)
ASSET_SUFFIXES = frozenset(
    ".png .jpg .jpeg .gif .svg .webp .avif .ico .bmp .tif .tiff .heic .css .js .mjs .map .json .xml .rss .atom "
    ".zip .gz .tgz .bz2 .xz .rar .7z .tar .doc .docx .xls .xlsx .ppt .pptx .odt .ods .odp .rtf .csv .ics .vcf "
    ".mp3 .mp4 .m4a .mov .avi .webm .wav .ogg .woff .woff2 .ttf .otf .eot .exe .dmg .apk .iso".split())
_WINDOWS_RESERVED = frozenset({"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)),
                               *(f"lpt{i}" for i in range(1, 10))})
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+):")  # 2+ letters, so "C:\..." stays a path
_CONTROL = re.compile(r"[\x00-\x20\x7f]")
_HEAD = re.compile(r"<head(?:\s[^>]*)?>", re.IGNORECASE)
_TOP = re.compile(r"\A(?:\ufeff)?\s*(?:<!doctype[^>]*>\s*)?(?:<html(?:\s[^>]*)?>)?", re.IGNORECASE)
_OUR_META = re.compile(r"<meta\s[^>]*name\s*=\s*[\"']?assistant:[^>]*>[ \t]*\n?", re.IGNORECASE)
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9._:-]+)", re.IGNORECASE)
_CHARSET_DECLARATION = re.compile(r"(<meta[^>]+charset\s*=\s*[\"']?\s*)([A-Za-z0-9._:-]+)", re.IGNORECASE)
_TRANSLITERATE = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "Æ": "Ae", "Ø": "Oe", "Å": "Aa", "ß": "ss"})


def normalize_url(url: str) -> str:
    """``url`` as an absolute http(s) URL without fragment: lower-case host, no default port, dot segments
    resolved, "/" for an empty path. ValueError for any other scheme, no host, credentials or junk."""
    if not isinstance(url, str) or not url.strip():
        raise ValueError("a URL is empty")
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise ValueError(f"URL is too long ({len(url)} characters; at most {MAX_URL_LENGTH}): {url[:60]}…")
    match = _SCHEME.match(url)
    scheme = match.group(1).lower() if match else ""
    if scheme not in ("http", "https"):
        raise ValueError(f"unsupported URL {url!r}: only http:// and https:// pages can be imported"
                         + (f", not {scheme}:" if scheme else ""))
    if _CONTROL.search(url):
        raise ValueError(f"invalid URL {url!r}: it contains spaces or control characters")
    url = scheme + url[len(scheme):]  # lower case, so that httpx drops a default port
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError, UnicodeError) as exc:
        raise ValueError(f"invalid URL {url!r}: {exc}") from None
    if not parsed.host:
        raise ValueError(f"invalid URL {url!r}: it has no host")
    if parsed.userinfo:
        raise ValueError(f"URL {url!r} holds a user name or password; import public pages only")
    path = parsed.raw_path.decode("ascii") or "/"
    return f"{parsed.scheme}://{parsed.netloc.decode('ascii')}{path}"


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc


def _host_key(url: str) -> str:
    return urlsplit(url).hostname or ""


def safe_name(text: str, fallback: str = "page") -> str:
    """A file-name part from any text: ASCII letters, digits, "-", "_" and "."; lower case; no leading dot;
    at most SLUG_LENGTH characters; never a reserved Windows device name."""
    text = unicodedata.normalize("NFKD", text.translate(_TRANSLITERATE)).encode("ascii", "ignore").decode()
    text = re.sub(r"[^A-Za-z0-9._-]+", "-", text).lower()
    text = re.sub(r"-{2,}", "-", text).strip("-._")[:SLUG_LENGTH].strip("-._")
    if not text:
        return fallback
    if text.split(".")[0] in _WINDOWS_RESERVED:
        text = f"{fallback}-{text}"
    return text


def host_folder(url: str) -> str:
    """The folder name for a URL's site: its host, and its port when it is not the default ("_8080")."""
    parts = urlsplit(url)
    host = (parts.hostname or "").strip("[]").replace(":", "-")
    name = safe_name(host, "host")
    return f"{name}_{parts.port}" if parts.port else name


def url_slug(url: str) -> str:
    """A file name (without suffix) from a URL's path: "/cases/x.html" → "cases-x", "/" → "index"; a query
    adds a short hash of it, so "?page=2" and "?page=3" get different names."""
    try:
        url = normalize_url(url)  # "/a/../b" → "/b"
    except ValueError:
        pass
    parts = urlsplit(url)
    segments = [unquote(s) for s in parts.path.split("/") if s not in ("", ".", "..")]
    if segments:
        stem, dot, suffix = segments[-1].rpartition(".")
        if dot and stem and suffix.lower() in {"html", "htm", "shtml", "php", "asp", "aspx", "jsp", "pdf"}:
            segments[-1] = stem
    slug = safe_name("-".join(segments), "index") if segments else "index"
    if parts.query:
        slug = f"{slug[:SLUG_LENGTH - 9]}-{hashlib.sha256(parts.query.encode()).hexdigest()[:8]}"
    return slug


def with_source_meta(text: str, url: str, fetched_at: str) -> str:
    """``text`` (HTML) with our two <meta> tags right after <head> (or at the top: after the doctype and
    <html> when there is no <head>); any assistant:* meta tags the page brought along are dropped."""
    text = _OUR_META.sub("", text)
    tags = (f'\n<meta name="{SOURCE_URL_META}" content="{html.escape(url, quote=True)}">'
            f'\n<meta name="{FETCHED_AT_META}" content="{html.escape(fetched_at, quote=True)}">')
    head = _HEAD.search(text)
    at = head.end() if head else _TOP.match(text).end()
    if not head and at == 0:
        return tags.lstrip("\n") + "\n" + text
    return text[:at] + tags + text[at:]


def _codec(label: str | None) -> str | None:
    """A Python codec for a charset label, or None if unknown; Latin-1 labels read as windows-1252 (as
    browsers do)."""
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().strip("\"'")).name
    except (LookupError, ValueError):
        return None
    return "cp1252" if name in {"latin-1", "iso8859-1", "ascii"} else name


def decode_html(body: bytes, declared: str | None = None) -> str:
    """A page's text: a byte-order mark, else the charset of the Content-Type header, else of a <meta> tag,
    else UTF-8 if it is valid UTF-8, else windows-1252. A page that was not UTF-8 gets its <meta> charset
    declaration changed to utf-8, since it is saved as UTF-8 (what the corpus reader reads)."""
    if body.startswith(codecs.BOM_UTF8):
        return body[len(codecs.BOM_UTF8):].decode("utf-8", "replace")
    meta = _META_CHARSET.search(body[:4096])
    codec = _codec(declared) or _codec(meta.group(1).decode("ascii", "ignore") if meta else None)
    if codec is None:
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            codec = "cp1252"
    text = body.decode(codec, "replace")
    if codec != "utf-8":
        text = _CHARSET_DECLARATION.sub(lambda m: m.group(1) + "utf-8", text, count=1)
    return text


class _LinkParser(HTMLParser):
    """The <a href> targets of a page outside <nav>, <header> and <footer>, and its <base href>."""

    SKIP = {"nav", "header", "footer"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []
        self.base: str | None = None
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self._skip += 1
            return
        href = dict(attrs).get("href")
        if href is None:
            return
        if tag == "base" and self.base is None:
            self.base = href
        elif tag == "a" and not self._skip:
            self.hrefs.append(href)

    def handle_endtag(self, tag):
        if tag in self.SKIP and self._skip:
            self._skip -= 1


def _is_asset(url: str) -> bool:
    name = unquote(urlsplit(url).path).rsplit("/", 1)[-1].lower()
    return "." in name and "." + name.rsplit(".", 1)[1] in ASSET_SUFFIXES


def same_site_links(text: str, page_url: str) -> list[str]:
    """The pages ``text`` (the HTML of ``page_url``) links to on the same site (scheme, host and port),
    normalised, without fragments, in order, each once: not the page itself, not links in <nav>, <header>
    or <footer>, not fragment-only links, not assets (images, css, js, archives, office files; PDFs are kept)."""
    parser = _LinkParser()
    try:
        parser.feed(text)
        parser.close()
    except (AssertionError, ValueError, RecursionError):  # hopelessly broken markup: the links found so far
        pass
    page = normalize_url(page_url)
    base = page
    if parser.base:
        try:
            base = normalize_url(urljoin(page, parser.base.strip()))
        except ValueError:
            pass
    links: list[str] = []
    seen = {page}
    for href in parser.hrefs:
        href = href.strip()
        if not href or href.startswith("#"):
            continue
        try:
            url = normalize_url(urljoin(base, href.replace(" ", "%20")))
        except ValueError:  # mailto:, javascript:, tel:, junk
            continue
        if _origin(url) != _origin(page) or _is_asset(url) or url in seen:
            continue
        seen.add(url)
        links.append(url)
    return links


# ---- files ------------------------------------------------------------------------------------------
