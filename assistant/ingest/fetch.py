"""Importing case pages into a corpus folder: web pages fetched politely, local files copied.

    <corpus>/imported/<host>/<slug>.html          a fetched page; its URL and fetch time are recorded in it as
                                                  <meta name="assistant:source-url"> / "assistant:fetched-at"
    <corpus>/imported/<host>/<slug>.pdf           a fetched PDF, beside <slug>.pdf.source.json {"url", "fetched_at"}
    <corpus>/imported/local/<name>                a local file, copied byte for byte
    <corpus>/imported/.imports.json               state: per URL its ETag, Last-Modified, SHA-256 and saved file
                                                  (a dot file: the corpus reader skips it)

Politeness: robots.txt is read once per site and honoured for our agent (a missing one, or any 4xx,
allows everything; an unreachable one or a 5xx allows too, and the page's line says so); requests go
one at a time, with ``delay`` seconds (or the site's Crawl-delay, up to a minute) between two
requests to one host; redirects are followed by hand so that each hop is checked against robots.txt.
Bodies are streamed and dropped past ``max_bytes``. Re-importing sends If-None-Match /
If-Modified-Since; a 304 or an unchanged body leaves the saved file untouched.
"""

from __future__ import annotations

import hashlib
import html
import itertools
import json
import logging
import math
import os
import re
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urljoin
from urllib.robotparser import RobotFileParser

import httpx

from .urls import (  # noqa: F401 - re-exported: the import API's helpers
    _SCHEME,
    ASSET_SUFFIXES,
    FETCHED_AT_META,
    MAX_URL_LENGTH,
    SLUG_LENGTH,
    SOURCE_URL_META,
    _host_key,
    _origin,
    decode_html,
    host_folder,
    normalize_url,
    safe_name,
    same_site_links,
    url_slug,
    with_source_meta,
)

log = logging.getLogger(__name__)

USER_AGENT = "verdensmaal-assistant/0.1 (+import)"
IMPORTED_DIR = "imported"
LOCAL_DIR = "local"
STATE_FILE = ".imports.json"
STATE_VERSION = 1
SIDECAR_SUFFIX = ".source.json"

DEFAULT_DELAY = 1.0
DEFAULT_TIMEOUT = 20.0
DEFAULT_MAX_BYTES = 5_000_000
DEFAULT_MAX_PAGES = 50
MAX_DEPTH = 1
MAX_REDIRECTS = 10
MAX_CRAWL_DELAY = 60.0        # seconds: a site's Crawl-delay is honoured up to this
ROBOTS_MAX_BYTES = 512_000    # rules past this are ignored (as RFC 9309 allows)

SAVED, UNCHANGED, SKIPPED, FAILED = "saved", "unchanged", "skipped", "failed"

# accepted content types and the suffix a page of that type is saved with
CONTENT_TYPES = {"text/html": ".html", "application/xhtml+xml": ".html", "application/pdf": ".pdf"}
LOCAL_SUFFIXES = (".html", ".htm", ".txt", ".pdf", ".md", ".jsonl")
_SOURCE_URL = re.compile(r"<meta\s+name=\"assistant:source-url\"\s+content=\"([^\"]*)\"", re.IGNORECASE)


@dataclass(frozen=True)
class ImportResult:
    """What happened to one URL or file: ``status`` is saved, unchanged, skipped or failed; ``path`` is the
    file in the corpus (for saved and unchanged); ``message`` says why it was skipped or failed, or adds a note."""

    url_or_path: str
    status: str
    path: Path | None = None
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.status in (SAVED, UNCHANGED)

    def line(self) -> str:
        """One line for people: "<url>: skipped (robots.txt)", "<url>: saved → corpus/imported/…"."""
        text = f"{self.url_or_path}: {self.status}"
        if self.message:
            text += f" ({self.message})"
        if self.path is not None:
            text += f" → {self.path}"
        return text


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a hidden temp file in the same folder (the corpus reader skips dot
    files, so a crash leaves no half page in the corpus)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.{time.monotonic_ns()}.tmp")
    try:
        with open(temp, "xb") as handle:
            handle.write(data)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + SIDECAR_SUFFIX)


class _State:
    """corpus/imported/.imports.json: {"version", "pages": {url: {...}}, "files": {source path: {...}}}."""

    def __init__(self, root: Path) -> None:
        self.path = root / STATE_FILE
        self.pages: dict[str, dict] = {}
        self.files: dict[str, dict] = {}
        if not self.path.exists():
            return
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if not isinstance(data, dict) or not isinstance(data.get("pages", {}), dict) \
                    or not isinstance(data.get("files", {}), dict):
                raise ValueError("not an import state")
        except (OSError, ValueError) as exc:
            log.warning("%s is unreadable (%s): starting a new one; pages saved before are recognised by the "
                        "URL recorded in them", self.path, exc)
            return
        self.pages = {k: v for k, v in data.get("pages", {}).items() if isinstance(v, dict)}
        self.files = {k: v for k, v in data.get("files", {}).items() if isinstance(v, dict)}

    def save(self) -> None:
        data = {"version": STATE_VERSION, "pages": self.pages, "files": self.files}
        _atomic_write(self.path, (json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode())

    def claimed(self, except_pages: str | None = None, except_files: str | None = None) -> set[str]:
        """Corpus-relative paths recorded for every page and file but the given ones."""
        entries = [e for k, e in self.pages.items() if k != except_pages] \
            + [e for k, e in self.files.items() if k != except_files]
        return {e["path"] for e in entries if isinstance(e.get("path"), str)}


# ---- importing --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Source:
    kind: str   # "url" or "file"
    value: str  # normalised URL or absolute path
    given: str  # as the user wrote it


def _parse_source(text: object) -> _Source:
    if not isinstance(text, str) or not text.strip():
        raise ValueError("a source is empty: give an http(s) URL or a file")
    text = text.strip()
    if _SCHEME.match(text) and not os.path.lexists(text):
        return _Source("url", normalize_url(text), text)
    path = Path(text).expanduser()
    if not path.exists():
        hint = " (a web address needs http:// or https://)" if re.match(r"^(www\.|[\w-]+\.[a-z]{2,}/)", text) else ""
        raise ValueError(f"file not found: {text}{hint}")
    if path.is_dir():
        raise ValueError(f"{text} is a folder: give the files to import ({', '.join(LOCAL_SUFFIXES)})")
    if path.suffix.lower() not in LOCAL_SUFFIXES:
        raise ValueError(f"cannot import {text}: a local file must be one of {', '.join(LOCAL_SUFFIXES)}")
    return _Source("file", str(path.resolve()), text)


def _number(value: object, name: str, minimum: float, whole: bool = False, above: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, int if whole else (int, float)) \
            or (not whole and not math.isfinite(value)):
        raise ValueError(f"{name} must be a {'whole ' if whole else ''}number, not {value!r}")
    if value < minimum or (above and value == minimum):
        raise ValueError(f"{name} must be {'above' if above else 'at least'} {minimum:g}, not {value}")


def _describe(exc: Exception, timeout: float) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out after {timeout:g} s"
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect: {exc}" if str(exc) else "cannot connect"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


# what a request can raise besides an HTTP status: network, protocol, a header that is not ASCII
_REQUEST_ERRORS = (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError, UnicodeError)


class _Stop(Exception):
    """Ends one page's import with a result."""

    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


class _Importer:
    def __init__(self, corpus: Path, client: httpx.Client, delay: float, timeout: float, max_bytes: int) -> None:
        self.corpus = corpus
        self.root = corpus / IMPORTED_DIR
        self.client = client
        self.delay = delay
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.state = _State(self.root)
        self.robots: dict[tuple[str, str], RobotFileParser | None] = {}
        self.robots_notes: dict[tuple[str, str], str] = {}
        self.host_delay: dict[str, float] = {}
        self.last_request: dict[str, float] = {}
        self.final_urls: dict[str, str] = {}  # page address (after redirects) → URL it was imported as

    # -- politeness --
    def _pace(self, url: str) -> None:
        host = _host_key(url)
        last = self.last_request.get(host)
        if last is not None:
            wait = last + self.host_delay.get(host, self.delay) - time.monotonic()
            if wait > 0:
                time.sleep(wait)

    def _done(self, url: str) -> None:
        self.last_request[_host_key(url)] = time.monotonic()

    def _request(self, url: str, headers: dict[str, str], follow: bool = False) -> httpx.Response:
        request = self.client.build_request("GET", url, headers={"User-Agent": USER_AGENT, **headers},
                                            timeout=self.timeout)
        return self.client.send(request, stream=True, follow_redirects=follow)

    def _read_robots(self, origin: tuple[str, str]) -> RobotFileParser | None:
        """The site's robots.txt rules, None when everything is allowed (no robots.txt, or unreachable: then a
        note is kept for the site's first page)."""
        url = f"{origin[0]}://{origin[1]}/robots.txt"
        self._pace(url)
        response = None
        try:
            response = self._request(url, {"Accept": "text/plain, */*;q=0.1"}, follow=True)
            if 400 <= response.status_code < 500:
                return None  # missing (or forbidden): no rules (RFC 9309)
            if response.status_code != 200:
                self.robots_notes[origin] = f"robots.txt unreachable: HTTP {response.status_code}; fetched anyway"
                return None
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) >= ROBOTS_MAX_BYTES:
                    break
        except _REQUEST_ERRORS as exc:
            self.robots_notes[origin] = f"robots.txt unreachable: {_describe(exc, self.timeout)}; fetched anyway"
            return None
        finally:
            if response is not None:
                response.close()
            self._done(url)
        parser = RobotFileParser(url)
        parser.parse(bytes(body[:ROBOTS_MAX_BYTES]).decode("utf-8", "replace").splitlines())
        crawl_delay = parser.crawl_delay(USER_AGENT)
        if crawl_delay:
            host = _host_key(url)
            self.host_delay[host] = max(self.delay, min(float(crawl_delay), MAX_CRAWL_DELAY))
        return parser

    def _allowed(self, url: str, notes: list[str]) -> bool:
        origin = _origin(url)
        if origin not in self.robots:
            self.robots[origin] = self._read_robots(origin)
        note = self.robots_notes.pop(origin, None)  # said once, on the site's first page
        if note:
            notes.append(note)
        rules = self.robots[origin]
        return rules is None or rules.can_fetch(USER_AGENT, url)

    # -- where pages go --
    def _inside(self, relative: object) -> Path | None:
        """The corpus path for a state file's relative path, None unless it lies inside imported/."""
        if not isinstance(relative, str) or not relative:
            return None
        path = (self.corpus / relative).resolve()
        return path if path.is_relative_to(self.root.resolve()) else None

    def _relative(self, path: Path) -> str:
        return path.resolve().relative_to(self.corpus.resolve()).as_posix()

    def _shown(self, path: Path) -> Path:
        """A saved file's path as the corpus folder was given ("corpus/imported/…")."""
        return self.corpus / self._relative(path)

    def _target(self, folder: Path, stem: str, suffix: str, previous: Path | None, claimed: set[str],
                ours: Callable[[Path], bool]) -> Path:
        """The file for a page or file: where it was saved before, else ``stem``+``suffix`` in ``folder`` or
        ``stem-2``… when that name belongs to another source."""
        if previous is not None and previous.parent == folder.resolve() and previous.suffix == suffix:
            return previous
        for n in itertools.count(1):
            path = (folder / f"{stem}{'' if n == 1 else f'-{n}'}{suffix}").resolve()
            if self._relative(path) in claimed or (path.exists() and not ours(path)):
                continue
            return path
        raise AssertionError("unreachable")

    @staticmethod
    def _recorded_url(path: Path) -> str | None:
        """The source URL recorded in a saved page (its meta tag, or a PDF's sidecar)."""
        try:
            if path.suffix == ".pdf":
                return json.loads(_sidecar(path).read_text(encoding="utf-8")).get("url")
            with open(path, "rb") as handle:
                head = handle.read(8192).decode("utf-8", "ignore")
        except (OSError, ValueError, AttributeError):
            return None
        match = _SOURCE_URL.search(head)
        return html.unescape(match.group(1)) if match else None

    # -- one page --
    def import_url(self, url: str, want_links: bool) -> tuple[ImportResult, list[str]]:
        notes: list[str] = []
        entry = self.state.pages.get(url) or {}
        previous = self._inside(entry.get("path"))
        have_copy = previous is not None and previous.is_file() and \
            (previous.suffix != ".pdf" or _sidecar(previous).is_file())
        try:
            result, links = self._fetch(url, entry, previous if have_copy else None, want_links, notes)
        except _Stop as stop:
            result, links = ImportResult(url, stop.status, None, "; ".join([stop.message, *notes])), []
        return result, links

    def _fetch(self, url: str, entry: dict, copy: Path | None, want_links: bool,
               notes: list[str]) -> tuple[ImportResult, list[str]]:
        conditional = {}
        if copy is not None:
            if isinstance(entry.get("etag"), str):
                conditional["If-None-Match"] = entry["etag"]
            if isinstance(entry.get("last_modified"), str):
                conditional["If-Modified-Since"] = entry["last_modified"]
        current = url
        for _hop in range(MAX_REDIRECTS + 1):
            if not self._allowed(current, notes):
                raise _Stop(SKIPPED, "robots.txt" if current == url else f"robots.txt, redirected to {current}")
            asked = current
            self._pace(asked)
            try:
                response = self._request(asked, {"Accept": "text/html,application/xhtml+xml,application/pdf;q=0.9,"
                                                           "*/*;q=0.1", **conditional})
            except _REQUEST_ERRORS as exc:
                self._done(asked)
                raise _Stop(FAILED, _describe(exc, self.timeout)) from None
            try:
                if response.has_redirect_location:  # 301/302/303/307/308 with a Location
                    try:
                        current = normalize_url(urljoin(asked, response.headers["location"]))
                    except ValueError as exc:
                        raise _Stop(FAILED, f"redirected to an unusable address: {exc}") from None
                    continue
                return self._receive(url, asked, response, entry, copy, want_links, notes)
            finally:
                response.close()
                self._done(asked)
        raise _Stop(FAILED, f"more than {MAX_REDIRECTS} redirects")

    def _receive(self, url: str, final: str, response: httpx.Response, entry: dict, copy: Path | None,
                 want_links: bool, notes: list[str]) -> tuple[ImportResult, list[str]]:
        status = response.status_code
        if status == 304 and copy is not None:
            self.final_urls.setdefault(entry.get("url") or final, url)
            self._remember(url, entry, response)
            links = self._saved_links(copy, entry.get("url") or final) if want_links else []
            return ImportResult(url, UNCHANGED, self._shown(copy), "; ".join(notes)), links
        if status != 200:
            raise _Stop(FAILED, f"HTTP {status} {response.reason_phrase}".strip())
        content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        suffix = CONTENT_TYPES.get(content_type)
        if suffix is None:
            raise _Stop(SKIPPED, f"content type {content_type or 'missing'}")
        length = response.headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_bytes:
            raise _Stop(SKIPPED, f"too large: {int(length)} bytes > {self.max_bytes}")
        body = bytearray()
        try:
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > self.max_bytes:
                    raise _Stop(SKIPPED, f"too large: at least {len(body)} bytes > {self.max_bytes}")
        except _REQUEST_ERRORS as exc:
            raise _Stop(FAILED, _describe(exc, self.timeout)) from None
        body = bytes(body)
        self.final_urls.setdefault(final, url)
        key = url
        if not entry:  # a page imported before under another URL (it redirects there, or here): that copy
            key, entry, copy = self._alias(final, url)
        digest = _sha256(body)
        text = decode_html(body, response.charset_encoding) if suffix == ".html" else None
        links = same_site_links(text, final) if want_links and text is not None else []
        if copy is not None and copy.suffix == suffix and entry.get("sha256") == digest \
                and entry.get("url", final) == final:
            self._remember(key, entry, response)
            return ImportResult(url, UNCHANGED, self._shown(copy), "; ".join(notes)), links
        path, fetched_at = self._save(key, final, suffix, body, text, entry)
        self._remember(key, {**entry, "url": final, "path": self._relative(path), "content_type": content_type,
                             "sha256": digest, "fetched_at": fetched_at}, response)
        return ImportResult(url, SAVED, self._shown(path), "; ".join(notes)), links

    def _alias(self, final: str, url: str) -> tuple[str, dict, Path | None]:
        """The state key, entry and saved copy of another URL already imported as page ``final`` (e.g. before
        a redirect was added), else this URL's empty ones: one page, one file."""
        for key, entry in self.state.pages.items():
            if key != url and (entry.get("url") or key) == final:
                copy = self._inside(entry.get("path"))
                if copy is not None and copy.is_file():
                    return key, entry, copy
        return url, {}, None

    def _save(self, key: str, final: str, suffix: str, body: bytes, text: str | None,
              entry: dict) -> tuple[Path, str]:
        previous = self._inside(entry.get("path"))
        folder = self.root / host_folder(final)
        path = self._target(folder, url_slug(final), suffix, previous, self.state.claimed(except_pages=key),
                            lambda p: self._recorded_url(p) == final)
        fetched_at = _now()
        if text is not None:
            _atomic_write(path, with_source_meta(text, final, fetched_at).encode("utf-8"))
        else:  # the sidecar first: a PDF in the corpus always has its source
            record = {"url": final, "fetched_at": fetched_at}
            _atomic_write(_sidecar(path), (json.dumps(record, ensure_ascii=False, indent=1) + "\n").encode())
            _atomic_write(path, body)
        if previous is not None and previous != path and previous.is_file():  # moved (a redirect, a new type)
            previous.unlink()
            _sidecar(previous).unlink(missing_ok=True)
        return path, fetched_at

    def _remember(self, key: str, entry: dict, response: httpx.Response) -> None:
        entry = dict(entry)
        for header, name in (("etag", "etag"), ("last-modified", "last_modified")):
            if response.headers.get(header):
                entry[name] = response.headers[header]
            elif response.status_code != 304:
                entry.pop(name, None)  # a 200 without the validator: do not send a stale one next time
        entry["checked_at"] = _now()
        self.state.pages[key] = entry
        self.state.save()

    def _saved_links(self, path: Path, page_url: str) -> list[str]:
        if path.suffix != ".html":
            return []
        try:
            return same_site_links(path.read_text(encoding="utf-8", errors="replace"), page_url)
        except OSError:
            return []

    # -- one local file --
    def import_file(self, source: _Source) -> ImportResult:
        path = Path(source.value)
        try:
            size = path.stat().st_size
            if size > self.max_bytes:
                return ImportResult(source.given, SKIPPED, None, f"too large: {size} bytes > {self.max_bytes}")
            if path.is_relative_to(self.corpus.resolve()):
                return ImportResult(source.given, SKIPPED, None, "already in the corpus folder")
            data = path.read_bytes()
        except OSError as exc:
            return ImportResult(source.given, FAILED, None, f"cannot read it: {exc.strerror or exc}")
        entry = self.state.files.get(source.value) or {}
        folder = self.root / LOCAL_DIR
        suffix = path.suffix.lower()
        target = self._target(folder, safe_name(path.stem, "file"), suffix, self._inside(entry.get("path")),
                              self.state.claimed(except_files=source.value),
                              lambda p: p.read_bytes() == data)
        if target.is_file() and target.read_bytes() == data:
            status = UNCHANGED
        else:
            _atomic_write(target, data)
            status = SAVED
        self.state.files[source.value] = {"path": self._relative(target), "sha256": _sha256(data),
                                          "copied_at": entry.get("copied_at") if status == UNCHANGED
                                          and entry.get("copied_at") else _now()}
        self.state.save()
        return ImportResult(source.given, status, self._shown(target))


def import_sources(sources: Iterable[str], corpus_dir: str | Path = "corpus", *, depth: int = 0,
                   delay: float = DEFAULT_DELAY, timeout: float = DEFAULT_TIMEOUT,
                   max_bytes: int = DEFAULT_MAX_BYTES, max_pages: int = DEFAULT_MAX_PAGES,
                   client: httpx.Client | None = None,
                   on_result: Callable[[ImportResult], None] | None = None) -> list[ImportResult]:
    """Fetch web pages (http/https URLs) and copy local files (.html/.htm/.txt/.pdf/.md/.jsonl) into
    ``corpus_dir``/imported/, one ImportResult each (also passed to ``on_result`` as it comes).

    ``depth=1`` also fetches the pages a given page links to on the same site (see same_site_links);
    ``max_pages`` caps the pages fetched in all (the rest are reported as skipped). ``delay`` is the pause
    between two requests to one host, ``timeout`` the seconds to wait for a connection or for data,
    ``max_bytes`` the largest page (or file) taken. ``client`` is an httpx.Client to use (it is not closed).
    Bad arguments raise ValueError before anything is fetched; a page that cannot be fetched is a
    "failed" result, never an exception.
    """
    if isinstance(sources, (str, bytes)):
        sources = [sources]
    parsed = [_parse_source(s) for s in sources]
    if not parsed:
        raise ValueError("nothing to import: give one or more URLs or files")
    if isinstance(depth, bool) or depth not in range(MAX_DEPTH + 1):
        raise ValueError(f"depth must be 0 (the given pages) or 1 (and the pages they link to), not {depth!r}")
    _number(delay, "delay", 0)
    _number(timeout, "timeout", 0, above=True)
    _number(max_bytes, "max_bytes", 1, whole=True)
    _number(max_pages, "max_pages", 1, whole=True)
    corpus = Path(corpus_dir)
    if corpus.exists() and not corpus.is_dir():
        raise ValueError(f"corpus path is not a folder: {corpus}")
    if (corpus / IMPORTED_DIR).exists() and not (corpus / IMPORTED_DIR).is_dir():
        raise ValueError(f"{corpus / IMPORTED_DIR} is not a folder")

    own_client = client is None
    if client is None:
        client = httpx.Client(headers={"User-Agent": USER_AGENT}, timeout=timeout, follow_redirects=False)
    importer = _Importer(corpus, client, delay, timeout, max_bytes)
    results: list[ImportResult] = []

    def report(result: ImportResult) -> None:
        results.append(result)
        if on_result is not None:
            on_result(result)

    queue: deque[tuple[_Source, int]] = deque()
    seen: set[str] = set()
    for source in parsed:
        if source.value not in seen:
            seen.add(source.value)
            queue.append((source, depth))
    pages = 0
    try:
        while queue:
            source, hops = queue.popleft()
            if source.kind == "file":
                report(importer.import_file(source))
                continue
            if pages >= max_pages:
                report(ImportResult(source.value, SKIPPED, None, f"over the limit of {max_pages} pages"))
                continue
            pages += 1
            result, links = importer.import_url(source.value, want_links=hops > 0)
            report(result)
            for link in links:
                if link not in seen and link not in importer.final_urls:
                    seen.add(link)
                    queue.append((_Source("url", link, link), hops - 1))
    finally:
        if own_client:
            client.close()
    return results
