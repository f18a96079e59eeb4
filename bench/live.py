"""The real pipeline on this machine: warm search and ask latency, index build and rebuild, UI cold start.

Every part works on copies in a temporary folder; the repository's index/ is never written.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from growth import peak, percentiles, reset_peak, rss
from synthetic import add_case, write_case_corpus

from assistant.chunking import chunk_cases, sentence_texts
from assistant.conversation import Assistant
from assistant.corpus import load_corpus
from assistant.embedding import Embedder
from assistant.language import clean_query, detect_language, strip_contact_frame
from assistant.retriever import QUERY_LATENT_TOP_K, Retriever
from assistant.sparse import SparseIndex
from assistant.store import build_index, read_manifest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"


def default_index(work: Path) -> tuple[Path, Path]:
    """A copy of the bundled corpus and an index built from it (reusing index/'s vectors if fresh)."""
    corpus, index = work / "corpus", work / "index"
    shutil.copytree(CORPUS, corpus)
    if (ROOT / "index" / "manifest.json").exists():
        shutil.copytree(ROOT / "index", index)
    Retriever.load(index, corpus=corpus)  # builds or rebuilds only when missing or stale
    return corpus, index


def _questions() -> list[str]:
    rows = [json.loads(line) for line in (CORPUS / "questions.jsonl").read_text("utf-8").splitlines() if line.strip()]
    return [r["question"] for r in rows]


def _dialogues() -> list[list[str]]:
    rows = [json.loads(line) for line in (CORPUS / "dialogues.jsonl").read_text("utf-8").splitlines() if line.strip()]
    return [r["turns"] for r in rows]


def search_latency(index: Path, corpus: Path, rounds: int = 3) -> dict:
    """Warm ``Retriever.search`` beside its floor: the model calls the same question needs, made with
    the same model, measured alternately, query by query, in the same run. The floor is the question's
    embedding, plus its latent-term encoding for an English question (which the hybrid uses): one
    encoder pass with the one-pass engine, two without. Each language's search is also paired with one
    query encoding (the embedding alone)."""
    retriever = Retriever.load(index, corpus=corpus, rebuild=False)
    questions = _questions()
    embedder = retriever.embedder
    latent = retriever.data.latent_ids is not None and bool(retriever.config.latent_weight_en)

    def model_calls(text: str) -> tuple[float, float]:
        """Seconds for the model calls a search of ``text`` makes; the dense embedding's share apart."""
        started = time.perf_counter()
        embedder.embed([text], kind="query")
        dense = time.perf_counter() - started
        if latent and detect_language(text) == "en":
            started = time.perf_counter()
            if embedder.one_pass:
                embedder.embed_with_latent([strip_contact_frame(text)], "query", QUERY_LATENT_TOP_K)
            else:
                embedder.embed([strip_contact_frame(text)], kind="query")
                embedder.latent([strip_contact_frame(text)], top_k=QUERY_LATENT_TOP_K)
            return time.perf_counter() - started, dense
        return dense, dense

    for q in questions[:10]:  # warm up: model, caches
        retriever.search(q)
        model_calls(clean_query(q))
    floor, dense_floor, search, overhead, by_lang = [], [], [], [], {"da": [], "en": []}
    for _ in range(rounds):
        for q in questions:
            text = clean_query(q)
            retriever.clear_query_cache()  # measure the question as new, not a cache hit
            needed, dense = model_calls(text)
            started = time.perf_counter()
            retriever.search(q)
            took = time.perf_counter() - started
            floor.append(needed)
            dense_floor.append(dense)
            search.append(took)
            overhead.append(took - needed)
            by_lang[detect_language(text)].append((took, needed, dense))
    out = {"queries": len(questions), "rounds": rounds, "search": percentiles(search),
           "embed_floor": percentiles(floor), "dense_embedding": percentiles(dense_floor),
           "passages": len(retriever.data.passages), "dense_rows": len(retriever.data.dense),
           "one_pass": bool(latent and embedder.one_pass),
           "by_language": {lang: {"questions": len(v) // rounds, "search": percentiles([t for t, _, _ in v]),
                                  "floor": percentiles([f for _, f, _ in v]),
                                  "query_encoding": percentiles([d for _, _, d in v])}
                           for lang, v in by_lang.items() if v}}
    for part in out["by_language"].values():
        part["ratio_p50_vs_query_encoding"] = round(part["search"]["p50_ms"] / part["query_encoding"]["p50_ms"], 3)
    out["ratio_p50"] = round(out["search"]["p50_ms"] / out["embed_floor"]["p50_ms"], 3)
    out["ratio_p50_vs_dense_embedding"] = round(out["search"]["p50_ms"] / out["dense_embedding"]["p50_ms"], 3)
    out["overhead_p50_ms"] = round(statistics.median(overhead) * 1e3, 3)
    return out


def ask_latency(index: Path, corpus: Path) -> dict:
    """``Assistant.ask``: single questions, and each dialogue's later turns with their history."""
    assistant = Assistant(Retriever.load(index, corpus=corpus, rebuild=False))
    questions = _questions()
    for q in questions[:10]:
        assistant.ask(q)
    single = []
    for q in questions:
        assistant.retriever.clear_query_cache()
        started = time.perf_counter()
        assistant.ask(q)
        single.append(time.perf_counter() - started)
    follow = []
    for turns in _dialogues():
        for i in range(1, len(turns)):
            started = time.perf_counter()
            assistant.ask(turns[i], history=turns[:i])
            follow.append(time.perf_counter() - started)
    return {"single_question": percentiles(single), "follow_up_with_history": percentiles(follow)}


def coverage_cost(work: Path) -> dict:
    """What the check of a question's words (assistant/coverage.py) costs an answer: ``Assistant.ask`` on
    eval-tuning's 41 cases (the bundled page is too small to be checked) with the check and without it,
    alternately question by question, each uncached, in one run; and the background's share of the build."""
    corpus, index = ROOT / "eval-tuning" / "corpus", work / "coverage-index"
    started = time.perf_counter()
    retriever = Retriever.build(corpus, index)
    build_seconds = time.perf_counter() - started
    tokens = (read_manifest(index) or {}).get("tokens") or {}
    checked, unchecked = Assistant(retriever), Assistant(retriever)
    unchecked.MIN_CONTRAST = None
    rows = [json.loads(line) for line in (ROOT / "eval-tuning" / "questions.jsonl").read_text("utf-8").splitlines()
            if line.strip()]
    questions = [r["question"] for r in rows]
    for q in questions[:5]:
        checked.ask(q)
    on, off = [], []
    for i, q in enumerate(questions):
        for assistant, times in ((checked, on), (unchecked, off)) if i % 2 else ((unchecked, off), (checked, on)):
            retriever.clear_query_cache()
            started = time.perf_counter()
            assistant.ask(q)
            times.append(time.perf_counter() - started)
    background = 0  # the background is encoded inside the build; timed here on its own
    embedder = retriever.embedder
    by_case: dict[str, list[str]] = {}
    for p in retriever.data.passages:
        by_case.setdefault(p.case_id, []).append(p.indexed_text(retriever.cases[p.case_id]))
    started = time.perf_counter()
    for case_id in retriever.data.background.case_ids if retriever.data.background else ():
        for text in by_case.get(case_id, ()):
            embedder.token_states(text, "passage")
            background += 1
    background_seconds = time.perf_counter() - started
    return {"questions": len(questions), "ask_checked": percentiles(on), "ask_unchecked": percentiles(off),
            "ratio_p50": statistics.median(on) / statistics.median(off),
            "build_seconds": build_seconds, "background_passages": background,
            "background_seconds": background_seconds, "background_tokens": tokens.get("tokens")}


class TimedEmbedder(Embedder):
    """The same embedder, counting the seconds and texts it is asked to embed.

    With ``shadow=True`` every batch is also embedded once more by the raw encoder, timed apart
    (alternately before and after the real call): the raw encoder's time on exactly the same
    texts, under the same load at the same moment, which the build's time excludes.
    """

    def __init__(self, inner: Embedder, shadow: bool = False) -> None:
        self.inner = inner
        self.name, self.kind = inner.name, inner.kind
        self.shadow = shadow
        self.seconds = 0.0
        self.shadow_seconds = 0.0
        self.texts = 0
        self.latent_texts = 0
        self.calls = 0

    @property
    def dim(self) -> int:
        return self.inner.dim

    @property
    def fingerprint(self) -> str:
        return self.inner.fingerprint

    @property
    def latent_features(self) -> int:
        return self.inner.latent_features

    @property
    def latent_fingerprint(self) -> str | None:
        return self.inner.latent_fingerprint

    def _timed(self, call):
        """``call()`` timed; with ``shadow``, run once more beside it (alternately before and after),
        that second run's time kept apart as the raw encoder's."""
        self.calls += 1
        before = self.shadow and self.calls % 2
        if before:
            self._shadow(call)
        started = time.perf_counter()
        out = call()
        self.seconds += time.perf_counter() - started
        if self.shadow and not before:
            self._shadow(call)
        return out

    def _shadow(self, call) -> None:
        started = time.perf_counter()
        call()
        self.shadow_seconds += time.perf_counter() - started

    @property
    def one_pass(self) -> bool:
        return self.inner.one_pass

    def embed_with_latent(self, texts, kind, top_k):
        """Vectors and latent codes from one pass each (the one-pass engine), timed like ``embed``."""
        out = self._timed(lambda: self.inner.embed_with_latent(texts, kind, top_k))
        if out is not None:
            self.texts += len(texts)
            self.latent_texts += len(texts)
        return out

    def latent(self, texts, top_k):
        """The latent-term codes the build stores, timed (and shadowed) like ``embed``."""
        out = self._timed(lambda: self.inner.latent(texts, top_k))
        self.latent_texts += len(texts)
        return out

    def embed(self, texts, kind="passage"):
        out = self._timed(lambda: self.inner.embed(texts, kind=kind))
        self.texts += len(texts)
        return out


def _texts(corpus: Path) -> tuple[list[str], list[str]]:
    cases = load_corpus(corpus)
    by_id = {c.id: c for c in cases}
    passages = chunk_cases(cases)
    return ([p.indexed_text(by_id[p.case_id]) for p in passages],
            [t for p in passages for t in sentence_texts(p, by_id[p.case_id])])


def _build(corpus: Path, index: Path, embedder: Embedder, shadow: bool = False) -> dict:
    timed = TimedEmbedder(embedder, shadow)
    before = rss()
    reset = reset_peak()
    started = time.perf_counter()
    build_index(corpus, index, timed)
    seconds = time.perf_counter() - started - timed.shadow_seconds
    manifest = read_manifest(index)
    return {"seconds": round(seconds, 3), "embed_seconds": round(timed.seconds, 3), "embedded_texts": timed.texts,
            "latent_texts": timed.latent_texts,
            "raw_encoder_seconds": round(timed.shadow_seconds, 3) if shadow else None,
            "manifest_embedded": manifest["embedded"], "manifest_reused": manifest["reused_embeddings"],
            "passages": manifest["passages"], "sentence_vectors": manifest["sentence_vectors"],
            "dense_index": manifest["dense_index"], "dense_params": manifest.get("dense_params"),
            "peak_extra_bytes": (peak() - before) if reset else None, "process_peak_bytes": peak()}


def build_and_rebuild(work: Path, embedder: Embedder, cases: int) -> dict:
    """Full build of a synthetic corpus beside the raw encoder on the same texts (paired batch by
    batch, see TimedEmbedder); then a rebuild
    after adding one case and after changing one paragraph: only new texts may be embedded."""
    corpus, index = work / "big-corpus", work / "big-index"
    write_case_corpus(corpus, cases, CORPUS)
    passages, sentences = _texts(corpus)
    texts = passages + sentences
    embedder.embed(texts[:64], kind="passage")  # warm

    # the raw encoder on the same texts, batch by batch beside the build's own calls: the load
    # from other processes (which drifts by 3x within minutes on a shared machine) weighs on both alike
    full = _build(corpus, index, embedder, shadow=True)
    raw_seconds = full["raw_encoder_seconds"]
    started = time.perf_counter()
    SparseIndex.build(passages)
    sparse_seconds = time.perf_counter() - started
    old_keys = set(passages) | set(sentences)

    add_case(corpus, cases, CORPUS)
    new_passages, new_sentences = _texts(corpus)
    added = _build(corpus, index, embedder)
    added["expected_new_texts"] = len((set(new_passages) | set(new_sentences)) - old_keys)
    added["expected_new_passages"] = len(set(new_passages) - set(passages))

    # change one paragraph of the first case
    lines = (corpus / "cases.jsonl").read_text("utf-8").splitlines()
    row = json.loads(lines[0])
    paragraphs = row["text"].split("\n\n")
    paragraphs[1] = "Projektet blev i 2024 udvidet med et nyt samarbejde om regnvand og grønne tage. " + paragraphs[1]
    row["text"] = "\n\n".join(paragraphs)
    lines[0] = json.dumps(row, ensure_ascii=False)
    (corpus / "cases.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    changed_passages, changed_sentences = _texts(corpus)
    before_keys = set(new_passages) | set(new_sentences)
    changed = _build(corpus, index, embedder)
    changed["expected_new_texts"] = len((set(changed_passages) | set(changed_sentences)) - before_keys)
    changed["expected_new_passages"] = len(set(changed_passages) - set(new_passages))
    unchanged = _build(corpus, index, embedder)

    count = len(texts)
    return {
        "cases": cases, "passages": len(passages), "sentence_texts": len(sentences), "texts": count,
        "raw_encoder_seconds": round(raw_seconds, 3),
        "raw_encoder_texts_per_second": round(count / raw_seconds, 2),
        "raw_encoder_passages_per_second": round(len(passages) / raw_seconds, 2),
        "build": full, "build_texts_per_second": round(count / full["seconds"], 2),
        "build_passages_per_second": round(len(passages) / full["seconds"], 2),
        "build_vs_raw_throughput": round(raw_seconds / full["seconds"], 3),
        "bm25_build_seconds": round(sparse_seconds, 3),
        "rebuild_after_adding_a_case": added,
        "rebuild_added_vs_full": round(added["seconds"] / full["seconds"], 4),
        "rebuild_after_changing_a_paragraph": changed,
        "rebuild_changed_vs_full": round(changed["seconds"] / full["seconds"], 4),
        "rebuild_without_changes": unchanged,
        "cache_verified": (added["manifest_embedded"] == added["expected_new_texts"] == added["embedded_texts"]
                           and changed["manifest_embedded"] == changed["expected_new_texts"]
                           == changed["embedded_texts"] and unchanged["embedded_texts"] == 0
                           and (not full["latent_texts"] or (added["latent_texts"] == added["expected_new_passages"]
                                                              and changed["latent_texts"] == changed["expected_new_passages"]
                                                              and unchanged["latent_texts"] == 0))),
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cold_start(index: Path, corpus: Path, runs: int = 3, timeout: float = 120.0) -> dict:
    """``python ui.py`` with a built index, from process start to the first HTTP 200 of its page."""
    if not (ROOT / "assistant" / "webapp.py").exists():
        return {"error": "assistant/webapp.py does not exist"}
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    env.pop("ASSISTANT_AUTH", None)
    seconds, errors = [], []
    for _ in range(runs):
        port = _free_port()
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, str(ROOT / "ui.py"), "--port", str(port), "--index", str(index),
                                 "--corpus", str(corpus)], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            while time.perf_counter() - started < timeout:
                if proc.poll() is not None:
                    errors.append(f"exited {proc.returncode}: {proc.stderr.read().decode()[-300:]}")
                    break
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                        if response.status == 200:
                            seconds.append(time.perf_counter() - started)
                            break
                except OSError:
                    time.sleep(0.05)
            else:
                errors.append(f"no page within {timeout} s")
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    out = {"runs": [round(s, 2) for s in seconds], "errors": errors}
    if seconds:
        out["median_seconds"] = round(statistics.median(seconds), 2)
    return out


def load_average() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


