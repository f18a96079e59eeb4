"""`assistant import` and assistant.ingest.fetch against a local test site (127.0.0.1, a free port): saving
with the source recorded, state and conditional re-imports, depth 1, robots.txt, size and type limits,
local files, the incremental rebuild, and bad arguments as clean errors. Nothing here needs the internet."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
import time
from datetime import datetime
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from conftest import FakeEmbedder, assert_clean_failure
from conftest import run_cli as run

from assistant.ingest.fetch import (
    FAILED,
    SAVED,
    SKIPPED,
    UNCHANGED,
    USER_AGENT,
    ImportResult,
    import_sources,
    normalize_url,
    same_site_links,
    url_slug,
    with_source_meta,
)
from assistant.retriever import Retriever

pytestmark = pytest.mark.unit

SITE = Path(__file__).resolve().parent / "fixtures" / "site"
CASES = ("/cases/svendborg-reparationscafe", "/cases/viborg-regnbede", "/cases/hjoerring-delebiler")
PAGES = {  # URL path → fixture file, content type
    "/robots.txt": ("robots.txt", "text/plain; charset=utf-8"),
    "/katalog/": ("katalog.html", "text/html; charset=utf-8"),
    CASES[0]: ("svendborg-reparationscafe.html", "text/html; charset=utf-8"),
    CASES[1]: ("viborg-regnbede.html", "text/html; charset=utf-8"),
    CASES[2]: ("hjoerring-delebiler.html", "text/html; charset=utf-8"),
    "/cases/kolding-madspild": ("kolding-madspild.html", "text/html"),
    "/docs/handleplan.pdf": ("handleplan.pdf", "application/pdf"),
    "/intern/budget": ("intern-budget.html", "text/html; charset=utf-8"),
    "/om-os": ("om-os.html", "text/html; charset=utf-8"),
    "/kontakt": ("om-os.html", "text/html; charset=utf-8"),
}
LAST_MODIFIED = formatdate(1759305600, usegmt=True)  # 2025-10-01
CAP = 10_000


class Site:
    """What the test server serves and what it was asked."""

    def __init__(self) -> None:
        self.requests: list[tuple[float, str, dict[str, str], int]] = []  # time, path, headers, status
        self.robots_status = 200
        self.validators = True  # send ETag / Last-Modified and answer conditional requests with 304
        self.changed: dict[str, bytes] = {}  # path → other bytes to serve
        self.lock = threading.Lock()

    def paths(self) -> list[str]:
        return [path for _, path, _, _ in self.requests]


class Handler(BaseHTTPRequestHandler):
    server_version = "TestSite/1.0"

    def log_message(self, *args) -> None:  # quiet
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self._answer(self.server.site, self.path.split("?")[0])

    def _send(self, status: int, body: bytes = b"", content_type: str | None = None,
              headers: dict[str, str] | None = None, length: bool = True) -> int:
        site: Site = self.server.site
        with site.lock:  # recorded before the answer goes out, so a test never looks too early
            site.requests.append((time.monotonic(), self.path.split("?")[0], dict(self.headers.items()), status))
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)  # HTTP/1.0: without a length the body ends when the connection closes
        return status

    def _answer(self, site: Site, path: str) -> int:
        if path == "/robots.txt" and site.robots_status != 200:
            return self._send(site.robots_status, b"no", "text/plain")
        if path == "/logo.png":
            return self._send(200, b"\x89PNG\r\n\x1a\n" + bytes(200), "image/png")
        if path == "/stor":
            return self._send(200, b"<p>" + b"x" * (2 * CAP) + b"</p>", "text/html")
        if path == "/stor-uden-laengde":
            return self._send(200, b"<p>" + b"y" * (3 * CAP) + b"</p>", "text/html", length=False)
        if path == "/flyttet":
            return self._send(301, headers={"Location": CASES[0]})
        if path == "/langsom":
            time.sleep(1.5)
            return self._send(200, b"<p>sent</p>", "text/html")
        if path == "/fejl":
            return self._send(500, b"oops", "text/plain")
        if path not in PAGES:
            return self._send(404, b"not found", "text/plain")
        name, content_type = PAGES[path]
        body = site.changed.get(path) or (SITE / name).read_bytes()
        headers = {}
        if site.validators:
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            headers = {"ETag": etag, "Last-Modified": LAST_MODIFIED}
            if self.headers.get("If-None-Match") == etag or (
                    "If-None-Match" not in self.headers and self.headers.get("If-Modified-Since") == LAST_MODIFIED):
                return self._send(304, headers=headers, length=False)
        return self._send(200, body, content_type, headers)


@pytest.fixture
def site(monkeypatch):
    """The fixture site served on 127.0.0.1 at a free port; yields (base URL, Site)."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.site = Site()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server.site
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def fake_model(monkeypatch):
    monkeypatch.setattr("assistant.retriever.get_embedder", lambda model=None: FakeEmbedder())


def fetch(sources, corpus, **options) -> list[ImportResult]:
    options.setdefault("delay", 0)
    return import_sources(sources, corpus, **options)




def state(corpus: Path) -> dict:
    return json.loads((corpus / "imported" / ".imports.json").read_text(encoding="utf-8"))


def host_dir(corpus: Path, base: str) -> Path:
    return corpus / "imported" / f"127.0.0.1_{base.rsplit(':', 1)[1]}"


# ---- saving ---------------------------------------------------------------------------------------

def test_a_page_is_saved_with_its_url_and_fetch_time_and_remembered(site, tmp_path):
    base, served = site
    corpus = tmp_path / "corpus"
    url = base + CASES[0]
    (result,) = fetch([url], corpus)
    assert result == ImportResult(url, SAVED, host_dir(corpus, base) / "cases-svendborg-reparationscafe.html", "")
    text = result.path.read_text(encoding="utf-8")
    head = text.index("<head>") + len("<head>")
    assert text[head:].startswith(f'\n<meta name="assistant:source-url" content="{url}">\n'
                                  '<meta name="assistant:fetched-at" content="')
    fetched_at = text.split('name="assistant:fetched-at" content="')[1].split('"')[0]
    assert datetime.fromisoformat(fetched_at).tzinfo is not None
    assert "Reparationscafé på biblioteket" in text  # the page itself, as UTF-8

    body = (SITE / "svendborg-reparationscafe.html").read_bytes()
    entry = state(corpus)["pages"][url]
    assert entry["sha256"] == hashlib.sha256(body).hexdigest()
    assert entry["etag"] == '"' + entry["sha256"][:16] + '"'
    assert entry["last_modified"] == LAST_MODIFIED
    assert entry["path"] == result.path.relative_to(corpus).as_posix()
    assert entry["url"] == url and entry["fetched_at"] == fetched_at
    assert {headers["User-Agent"] for _, _, headers, _ in served.requests} == {USER_AGENT}
    assert served.paths() == ["/robots.txt", CASES[0]]


def test_a_pdf_is_saved_as_it_is_with_a_sidecar(site, tmp_path):
    base, _ = site
    corpus = tmp_path / "corpus"
    (result,) = fetch([base + "/docs/handleplan.pdf"], corpus)
    assert result.status == SAVED and result.path.name == "docs-handleplan.pdf"
    assert result.path.read_bytes() == (SITE / "handleplan.pdf").read_bytes()
    sidecar = json.loads((result.path.parent / "docs-handleplan.pdf.source.json").read_text(encoding="utf-8"))
    assert sidecar["url"] == base + "/docs/handleplan.pdf"
    assert datetime.fromisoformat(sidecar["fetched_at"])


def test_meta_tags_are_escaped_and_go_to_the_top_without_a_head():
    url = 'https://example.dk/a?x=1&y="2"<'
    tagged = with_source_meta("<p>hej</p>", url, "2025-10-01T08:00:00+00:00")
    assert tagged.startswith('<meta name="assistant:source-url" '
                             'content="https://example.dk/a?x=1&amp;y=&quot;2&quot;&lt;">\n')
    assert tagged.endswith("<p>hej</p>")
    # a page's own (forged) source tag is dropped; <header> is not <head>
    page = '<html><header>x</header><head><meta name="assistant:source-url" content="evil"></head></html>'
    tagged = with_source_meta(page, "https://example.dk/", "t")
    assert "evil" not in tagged
    assert tagged.index("assistant:source-url") > tagged.index("<head>")


def test_file_names_are_safe_and_unique(site, tmp_path):
    assert url_slug("https://example.dk/") == "index"
    assert url_slug("https://example.dk/Cases/Grøn%20Omstilling.html") == "cases-groen-omstilling"
    assert url_slug("https://example.dk/a/../../etc/passwd") == "etc-passwd"
    assert url_slug("https://example.dk/con") == "index-con"
    assert url_slug("https://example.dk/list?page=2") != url_slug("https://example.dk/list?page=3")
    assert len(url_slug("https://example.dk/" + "a" * 500)) <= 80
    base, _ = site
    corpus = tmp_path / "corpus"
    folder = host_dir(corpus, base)
    folder.mkdir(parents=True)
    (folder / "cases-viborg-regnbede.html").write_text("<p>someone else's file</p>", encoding="utf-8")
    (result,) = fetch([base + CASES[1]], corpus)
    assert result.path == folder / "cases-viborg-regnbede-2.html"
    assert (folder / "cases-viborg-regnbede.html").read_text(encoding="utf-8") == "<p>someone else's file</p>"


def test_a_redirect_is_followed_and_the_page_address_recorded(site, tmp_path):
    base, served = site
    corpus = tmp_path / "corpus"
    (result,) = fetch([base + "/flyttet"], corpus)
    assert result.status == SAVED and result.path.name == "cases-svendborg-reparationscafe.html"
    assert f'content="{base + CASES[0]}"' in result.path.read_text(encoding="utf-8")
    # importing the page under its own address later finds the same copy: one page, one file
    (again,) = fetch([base + CASES[0]], corpus)
    assert again.status == UNCHANGED and again.path == result.path
    assert len(list(result.path.parent.glob("*.html"))) == 1


# ---- depth 1 --------------------------------------------------------------------------------------

def test_links_are_the_same_site_case_pages_and_the_pdf():
    base = "http://127.0.0.1:8000"
    links = same_site_links((SITE / "katalog.html").read_text(encoding="utf-8"), base + "/katalog/")
    assert links == [base + CASES[0], base + CASES[1], base + CASES[2], base + "/docs/handleplan.pdf"]


def test_depth_one_fetches_exactly_the_linked_pages(site, tmp_path):
    base, served = site
    corpus = tmp_path / "corpus"
    results = fetch([base + "/katalog/"], corpus, depth=1)
    assert [(r.url_or_path, r.status) for r in results] == [
        (base + "/katalog/", SAVED), (base + CASES[0], SAVED), (base + CASES[1], SAVED),
        (base + CASES[2], SAVED), (base + "/docs/handleplan.pdf", SAVED)]
    # robots.txt once; not the <nav>/<header>/<footer> links, the image, the other sites or ports
    assert sorted(served.paths()) == sorted(["/robots.txt", "/katalog/", *CASES, "/docs/handleplan.pdf"])
    saved = sorted(p.name for p in host_dir(corpus, base).iterdir())
    assert saved == ["cases-hjoerring-delebiler.html", "cases-svendborg-reparationscafe.html",
                     "cases-viborg-regnbede.html", "docs-handleplan.pdf", "docs-handleplan.pdf.source.json",
                     "katalog.html"]


def test_depth_one_stops_at_max_pages(site, tmp_path):
    base, served = site
    results = fetch([base + "/katalog/"], tmp_path / "corpus", depth=1, max_pages=3)
    assert [r.status for r in results] == [SAVED, SAVED, SAVED, SKIPPED, SKIPPED]
    assert results[3].message == "over the limit of 3 pages"
    assert len([p for p in served.paths() if p != "/robots.txt"]) == 3


def test_depth_one_after_304_reads_the_links_from_the_saved_copy(site, tmp_path):
    base, served = site
    corpus = tmp_path / "corpus"
    fetch([base + "/katalog/"], corpus)
    results = fetch([base + "/katalog/"], corpus, depth=1)
    assert results[0].status == UNCHANGED
    assert [r.url_or_path for r in results[1:]] == [base + c for c in CASES] + [base + "/docs/handleplan.pdf"]


# ---- politeness and limits ------------------------------------------------------------------------

def test_robots_txt_is_honoured(site, tmp_path):
    base, served = site
    corpus = tmp_path / "corpus"
    results = fetch([base + "/intern/budget", base + CASES[0]], corpus)
    assert results[0] == ImportResult(base + "/intern/budget", SKIPPED, None, "robots.txt")
    assert results[0].line() == f"{base}/intern/budget: skipped (robots.txt)"
    assert results[1].status == SAVED
    assert "/intern/budget" not in served.paths()
    assert not list(host_dir(corpus, base).glob("intern*"))


def test_a_missing_robots_txt_allows_and_an_unreachable_one_is_reported(site, tmp_path):
    base, served = site
    served.robots_status = 404
    (result,) = fetch([base + "/intern/budget"], tmp_path / "a")
    assert result.status == SAVED and result.message == ""
    served.robots_status = 503
    first, second = fetch([base + "/intern/budget", base + CASES[0]], tmp_path / "b")
    assert first.status == SAVED
    assert first.message == "robots.txt unreachable: HTTP 503; fetched anyway"
    assert second.status == SAVED and second.message == ""  # said once per site


def test_requests_to_one_host_wait_the_delay(site, tmp_path):
    base, served = site
    fetch([base + CASES[0], base + CASES[1]], tmp_path / "corpus", delay=0.3)
    times = [t for t, _, _, _ in served.requests]
    assert len(times) == 3  # robots.txt and two pages
    assert all(later - earlier >= 0.29 for earlier, later in zip(times, times[1:], strict=False))


def test_a_page_over_the_size_cap_is_skipped(site, tmp_path):
    base, _ = site
    corpus = tmp_path / "corpus"
    declared, streamed = fetch([base + "/stor", base + "/stor-uden-laengde"], corpus, max_bytes=CAP)
    assert declared.status == SKIPPED and declared.message == f"too large: {2 * CAP + 7} bytes > {CAP}"
    assert streamed.status == SKIPPED and streamed.message.startswith("too large: at least ")
    assert streamed.message.endswith(f" bytes > {CAP}")
    assert not list(host_dir(corpus, base).glob("*"))


def test_other_content_types_are_skipped(site, tmp_path):
    base, _ = site
    (result,) = fetch([base + "/logo.png"], tmp_path / "corpus")
    assert result == ImportResult(base + "/logo.png", SKIPPED, None, "content type image/png")


def test_http_errors_and_timeouts_are_failures_not_exceptions(site, tmp_path):
    base, _ = site
    missing, error, slow = fetch([base + "/findes-ikke", base + "/fejl", base + "/langsom"], tmp_path / "c",
                                 timeout=0.5)
    assert (missing.status, missing.message) == (FAILED, "HTTP 404 Not Found")
    assert (error.status, error.message) == (FAILED, "HTTP 500 Internal Server Error")
    assert (slow.status, slow.message) == (FAILED, "timed out after 0.5 s")
    (refused,) = fetch(["http://127.0.0.1:1/x"], tmp_path / "c")
    assert refused.status == FAILED and refused.message.startswith("cannot connect")


# ---- re-importing ---------------------------------------------------------------------------------

def _freeze(path: Path) -> tuple[bytes, int]:
    os.utime(path, (946_684_800, 946_684_800))  # 2000-01-01: any rewrite would show
    return path.read_bytes(), path.stat().st_mtime_ns


def test_reimport_with_304_leaves_the_file_alone(site, tmp_path):
    base, served = site
    corpus = tmp_path / "corpus"
    (first,) = fetch([base + CASES[0]], corpus)
    before = _freeze(first.path)
    (second,) = fetch([base + CASES[0]], corpus)
    assert second == ImportResult(base + CASES[0], UNCHANGED, first.path, "")
    assert _freeze(first.path) == before
    _, path, headers, status = served.requests[-1]
    assert path == CASES[0] and status == 304
    assert headers["If-None-Match"] == state(corpus)["pages"][base + CASES[0]]["etag"]
    assert headers["If-Modified-Since"] == LAST_MODIFIED


def test_reimport_of_the_same_bytes_without_validators_leaves_the_file_alone(site, tmp_path):
    base, served = site
    served.validators = False
    corpus = tmp_path / "corpus"
    (first,) = fetch([base + "/docs/handleplan.pdf"], corpus)
    before = _freeze(first.path)
    (second,) = fetch([base + "/docs/handleplan.pdf"], corpus)
    assert second.status == UNCHANGED and second.path == first.path
    assert _freeze(first.path) == before
    _, _, headers, status = served.requests[-1]
    assert status == 200 and "If-None-Match" not in headers and "If-Modified-Since" not in headers


def test_a_changed_page_is_saved_again_in_the_same_file(site, tmp_path):
    base, served = site
    corpus = tmp_path / "corpus"
    (first,) = fetch([base + CASES[0]], corpus)
    served.changed[CASES[0]] = (SITE / "svendborg-reparationscafe.html").read_bytes().replace(
        b"hver anden torsdag", b"hver torsdag").replace(b"Hver anden torsdag", b"Hver torsdag")
    (second,) = fetch([base + CASES[0]], corpus)
    assert second.status == SAVED and second.path == first.path
    assert "Hver torsdag" in second.path.read_text(encoding="utf-8")
    assert state(corpus)["pages"][base + CASES[0]]["sha256"] == hashlib.sha256(served.changed[CASES[0]]).hexdigest()


def test_a_deleted_copy_is_fetched_again_unconditionally(site, tmp_path):
    base, served = site
    corpus = tmp_path / "corpus"
    (first,) = fetch([base + CASES[0]], corpus)
    first.path.unlink()
    (second,) = fetch([base + CASES[0]], corpus)
    assert second.status == SAVED and second.path == first.path and first.path.is_file()
    assert "If-None-Match" not in served.requests[-1][2]


def test_a_damaged_state_file_is_replaced_and_saved_pages_are_recognised(site, tmp_path, caplog):
    base, _ = site
    corpus = tmp_path / "corpus"
    (first,) = fetch([base + CASES[0]], corpus)
    (corpus / "imported" / ".imports.json").write_text("{not json", encoding="utf-8")
    with caplog.at_level("WARNING"):
        (second,) = fetch([base + CASES[0]], corpus)
    assert "is unreadable" in caplog.text
    assert second.status == SAVED and second.path == first.path  # its own file (by its recorded URL), no "-2"
    assert base + CASES[0] in state(corpus)["pages"]


# ---- local files ----------------------------------------------------------------------------------

def test_a_local_file_is_copied_and_then_unchanged(tmp_path):
    source = Path(__file__).resolve().parent / "fixtures" / "corpus" / "groenne-tage-aalborg.md"
    corpus = tmp_path / "corpus"
    (first,) = import_sources([str(source)], corpus)
    assert first == ImportResult(str(source), SAVED, corpus / "imported" / "local" / source.name, "")
    assert first.path.read_bytes() == source.read_bytes()
    before = _freeze(first.path)
    (second,) = import_sources([str(source)], corpus)
    assert second.status == UNCHANGED and _freeze(first.path) == before
    other = tmp_path / "elsewhere" / source.name
    other.parent.mkdir()
    other.write_text("---\ntitle: Noget andet\n---\nEn anden fil med samme navn.\n", encoding="utf-8")
    (third,) = import_sources([str(other)], corpus)
    assert third.status == SAVED and third.path.name == "groenne-tage-aalborg-2.md"


# ---- the CLI: rebuild, exit codes, bad arguments --------------------------------------------------

def test_cli_import_saves_and_rebuilds_the_index(site, tmp_path, fake_model):
    base, _ = site
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    result = run("import", base + "/katalog/", "--depth", "1", "--delay", "0",
                 "--corpus", str(corpus), "--index", str(index))
    assert result.exit_code == 0, result.output
    assert f"{base}/katalog/: saved → " in result.output
    assert result.output.count(": saved → ") == 5
    assert "Indexed " in result.output and f"into {index}/ with fake (" in result.output
    retriever = Retriever.load(index, embedder=FakeEmbedder())
    assert len(retriever.data.cases) >= 3
    text = " ".join(case.text for case in retriever.data.cases)
    for word in ("reparationer", "skybrud", "elbiler"):  # one from each case page (whatever the parser makes)
        assert word in text


def test_cli_import_embeds_only_the_new_page(site, tmp_path, fake_model):
    base, _ = site
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    assert run("import", *(base + c for c in CASES), "--delay", "0", "--corpus", str(corpus),
               "--index", str(index)).exit_code == 0
    first = json.loads((index / "manifest.json").read_text(encoding="utf-8"))
    result = run("import", base + "/cases/kolding-madspild", "--delay", "0", "--corpus", str(corpus),
                 "--index", str(index))
    assert result.exit_code == 0, result.output
    second = json.loads((index / "manifest.json").read_text(encoding="utf-8"))
    # what a build of the new page alone embeds is exactly what the second import embedded
    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copy(host_dir(corpus, base) / "cases-kolding-madspild.html", alone)
    expected = Retriever.build(alone, tmp_path / "alone-index", embedder=FakeEmbedder()).data.manifest["embedded"]
    assert second["embedded"] == expected > 0
    assert second["reused_embeddings"] == first["embedded"] + first["reused_embeddings"]
    assert f"({expected} embedded, {second['reused_embeddings']} reused)" in result.output
    # and nothing new: everything reused, the files untouched
    result = run("import", base + "/cases/kolding-madspild", "--delay", "0", "--corpus", str(corpus),
                 "--index", str(index))
    assert result.exit_code == 0 and ": unchanged → " in result.output and "(0 embedded, " in result.output


def test_cli_local_file_with_no_build(tmp_path):
    corpus = tmp_path / "corpus"
    source = Path(__file__).resolve().parent / "fixtures" / "corpus" / "klimaindsats.txt"
    result = run("import", str(source), "--corpus", str(corpus), "--index", str(tmp_path / "index"), "--no-build")
    assert result.exit_code == 0, result.output
    assert f"{source}: saved → " in result.output and "Indexed" not in result.output
    assert (corpus / "imported" / "local" / "klimaindsats.txt").read_bytes() == source.read_bytes()
    assert not (tmp_path / "index").exists()


def test_cli_exit_code_is_1_when_nothing_was_imported_or_a_page_failed(site, tmp_path):
    base, _ = site
    corpus = str(tmp_path / "corpus")
    result = run("import", base + "/intern/budget", "--delay", "0", "--corpus", corpus, "--no-build")
    assert f"{base}/intern/budget: skipped (robots.txt)" in result.output
    assert_clean_failure(result, "nothing was imported (every source was skipped)")
    result = run("import", base + CASES[0], base + "/findes-ikke", "--delay", "0", "--corpus", corpus, "--no-build")
    assert f"{base}/findes-ikke: failed (HTTP 404 Not Found)" in result.output
    assert_clean_failure(result, "1 of 2 imports failed")


@pytest.mark.parametrize("args, message", [
    (["ftp://example.dk/case.html"], "unsupported URL 'ftp://example.dk/case.html': only http:// and https:// "
                                     "pages can be imported, not ftp:"),
    (["javascript:alert(1)"], "unsupported URL 'javascript:alert(1)': only http:// and https://"),
    (["http:///no-host"], "invalid URL 'http:///no-host': it has no host"),
    (["https://user:secret@example.dk/"], "URL 'https://user:secret@example.dk/' holds a user name or password"),
    (["no/such/file.html"], "file not found: no/such/file.html"),
    (["www.example.dk/case"], "file not found: www.example.dk/case (a web address needs http:// or https://)"),
    (["https://example.dk/", "--depth", "2"], "depth must be 0 (the given pages) or 1 (and the pages they link to), "
                                              "not 2"),
    (["https://example.dk/", "--delay", "-1"], "delay must be at least 0, not -1.0"),
    (["https://example.dk/", "--timeout", "0"], "timeout must be above 0, not 0.0"),
    (["https://example.dk/", "--max-bytes", "0"], "max_bytes must be at least 1, not 0"),
    (["https://example.dk/", "--max-pages", "0"], "max_pages must be at least 1, not 0"),
])
def test_cli_bad_arguments_are_clean_errors(tmp_path, args, message):
    result = run("import", *args, "--corpus", str(tmp_path / "corpus"), "--no-build")
    assert_clean_failure(result, message)
    assert not (tmp_path / "corpus").exists()  # checked before anything was fetched or written


def test_cli_unsupported_file_types_and_folders_are_clean_errors(tmp_path):
    (tmp_path / "notes.docx").write_bytes(b"PK")
    result = run("import", str(tmp_path / "notes.docx"), "--corpus", str(tmp_path / "corpus"))
    assert_clean_failure(result, f"cannot import {tmp_path / 'notes.docx'}: a local file must be one of .html")
    result = run("import", str(tmp_path), "--corpus", str(tmp_path / "corpus"))
    assert_clean_failure(result, f"{tmp_path} is a folder")
    assert_clean_failure(run("import"), "Missing argument")


def test_urls_are_normalised():
    assert normalize_url("HTTP://Example.DK:80/a/../b#x") == "http://example.dk/b"
    assert normalize_url("https://example.dk") == "https://example.dk/"
    assert normalize_url("https://example.dk/s?q=1#f") == "https://example.dk/s?q=1"
    with pytest.raises(ValueError, match="spaces or control characters"):
        normalize_url("https://example.dk/a b")


def test_a_given_client_is_used_and_not_closed(site, tmp_path):
    base, served = site
    with httpx.Client() as client:
        (result,) = fetch([base + CASES[1]], tmp_path / "corpus", client=client)
        assert result.status == SAVED and not client.is_closed
    assert served.requests[-1][2]["User-Agent"] == USER_AGENT
