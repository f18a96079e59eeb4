"""Fair queueing under a flood: how long an ordinary question waits while one client sends many long ones.

    .venv/bin/python bench/fairness.py [--flood 16] [--rounds 5]

One client ("attacker") submits ``--flood`` questions of 2,000 characters at once; right after, another
client asks an ordinary question. Measured with the real model on the bundled corpus, in-process (the
same ``answer`` call the chat makes), twice per round: behind the UI's FairGate, and behind a plain
first-come-first-served gate of the same number of slots (what a FIFO queue gives). Prints and writes
bench/results/fairness.json: the ordinary question's latency (median over rounds) and the flood's.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

LONG = ("Hvordan arbejder kommunerne med partnerskaber, bæredygtighed, verdensmål, biodiversitet, klima, "
        "uddannelse og virksomheder i hele landet, og hvem står for det? ") * 16
ORDINARY = "Hvilken kommune samarbejder med en virksomhed om biodiversitet?"


class FifoGate:
    """First come, first served over ``slots`` slots: no notion of clients."""

    def __init__(self, slots: int) -> None:
        self._semaphore = threading.Semaphore(slots)

    @contextmanager
    def slot(self, client):
        with self._semaphore:
            yield


def one_round(assistant, gate, flood: int) -> dict:
    from assistant.webapp import answer

    assistant.retriever.clear_query_cache()
    times: dict[str, list[float]] = {"flood": [], "ordinary": []}
    started = threading.Event()

    def ask(client: str, question: str, kind: str) -> None:
        t0 = time.perf_counter()
        with gate.slot(client):
            answer(assistant, question[:2000], [], 5, None)
        times[kind].append(time.perf_counter() - t0)

    threads = [threading.Thread(target=ask, args=("attacker", f"{i} {LONG}", "flood")) for i in range(flood)]
    for thread in threads:
        thread.start()
    started.wait(0.2)  # the flood is queued first
    ordinary = threading.Thread(target=ask, args=("user", ORDINARY, "ordinary"))
    ordinary.start()
    for thread in [*threads, ordinary]:
        thread.join()
    return {"ordinary_s": times["ordinary"][0], "flood_median_s": statistics.median(times["flood"]),
            "flood_max_s": max(times["flood"])}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--flood", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from assistant import Assistant, Retriever
    from assistant.fairness import FairGate
    from assistant.webapp import ANSWER_SLOTS, MAX_WAIT_SECONDS, MAX_WAITING_PER_CLIENT

    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        (corpus / "partnerskaber-for-handling.txt").write_bytes(
            (ROOT / "corpus" / "partnerskaber-for-handling.txt").read_bytes())
        assistant = Assistant(Retriever.build(corpus, Path(tmp) / "index"))
        assistant.ask(ORDINARY)  # warm up
        fair_gate = FairGate(ANSWER_SLOTS, max(MAX_WAITING_PER_CLIENT, args.flood), MAX_WAIT_SECONDS)
        rows = {"fair": [], "fifo": []}
        for _ in range(args.rounds):  # alternate, so both see the same load
            rows["fair"].append(one_round(assistant, fair_gate, args.flood))
            rows["fifo"].append(one_round(assistant, FifoGate(ANSWER_SLOTS), args.flood))
    summary = {kind: {key: round(statistics.median(r[key] for r in runs), 3) for key in runs[0]}
               for kind, runs in rows.items()}
    ratio = summary["fifo"]["ordinary_s"] / summary["fair"]["ordinary_s"]
    result = {"flood": args.flood, "rounds": args.rounds, "slots": ANSWER_SLOTS, "median": summary,
              "ordinary_fifo_over_fair": round(ratio, 1), "rounds_raw": rows, "load_average": os.getloadavg(),
              "when": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "fairness.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(f"{args.flood} questions of 2,000 characters from one client, then one ordinary question "
          f"(medians of {args.rounds} rounds, {ANSWER_SLOTS} slots):")
    print(f"  ordinary question  fair gate {summary['fair']['ordinary_s']:.2f} s   "
          f"FIFO {summary['fifo']['ordinary_s']:.2f} s   ({ratio:.1f}x)")
    print(f"  flood, last answer fair gate {summary['fair']['flood_max_s']:.2f} s   "
          f"FIFO {summary['fifo']['flood_max_s']:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
