"""The browser chat (Gradio): `python ui.py` or `assistant chat`.

A chat over :class:`Assistant` with example questions in Danish and English; every answer comes
with source cards (``assistant.cards``: municipality, case, section, the passage with the question's words
marked, score, contacts with ``mailto:`` links, source). Settings: number of results and municipality, goal
and region filters. Answers take 👍/👎 votes (``assistant.feedback``) and offer their cases as CSV. A second
tab lists every case (``assistant.casetab``). ``main`` loads (on first start: builds) the index, builds the
app and serves it on 127.0.0.1:7860 unless told otherwise; never through a public share link.

Everything shown is escaped: the cards are built from escaped pieces and the user's own messages are
escaped before the chat renders them, so a question like ``<img src=x onerror=alert(1)>`` is shown as text.
"""

from __future__ import annotations

import time

_STARTED = time.perf_counter()  # fallback for the startup time where /proc is missing

import argparse  # noqa: E402
import atexit  # noqa: E402
import dataclasses  # noqa: E402
import ipaddress  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

import gradio as gr  # noqa: E402

from . import casetab  # noqa: E402
from .cards import _TEXTS, CARD_CSS, EMPTY_CARDS, _contact_html, highlight, query_stems, render_cards, user_markdown  # noqa: E402,F401
from .conversation import Assistant  # noqa: E402
from .fairness import FairGate, GateError  # noqa: E402
from .feedback import feedback_path, record_vote  # noqa: E402
from .language import detect_language  # noqa: E402
from .markup import mailto, safe_url  # noqa: E402,F401 (mailto: part of this module's API)
from .records import Case, Hit, Reply  # noqa: E402
from .roles import contacts_for  # noqa: E402

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7860
AUTH_ENV = "ASSISTANT_AUTH"
ALL = "Alle"
MAX_K = 10
# Fair queueing (assistant/fairness.py): the model encodes one text at a time, so the order in which
# questions reach it is decided by a FairGate rather than by Gradio's first-come-first-served queue.
ANSWER_SLOTS = 2  # questions answered at once, all users together (one encodes while one is ranked/rendered)
MAX_WAITING_PER_CLIENT = 8  # a user's questions waiting besides the one being answered; more are refused at once
MAX_WAIT_SECONDS = 60.0  # a question waiting longer for a slot gets "the server is busy, try again"
# Answering events Gradio runs at once (the chat and /ask share this limit). They spend their waiting in
# the FairGate, so this is set well above ANSWER_SLOTS: a flood from one user occupies at most
# 1 + MAX_WAITING_PER_CLIENT of these places and the rest stay open for others. It must stay below
# Gradio's worker threads (launch(max_threads=40), shared with every other event), since each waiting
# question holds a thread; requests beyond it wait in Gradio's own queue (max_size QUEUE_SIZE).
CONCURRENCY = 32
QUEUE_SIZE = 256  # requests Gradio holds before it answers "queue is full"
EXAMPLES = [  # each one makes sense on its own: no follow-ups that need an earlier question
    "Hvilken kommune samarbejder med en virksomhed om biodiversitet?",
    "Hvem kan jeg kontakte om Bæredygtig Herning?",
    "Who can I contact about the partnership with Halmstad?",
    "Hvad er Bæredygtig Herning?",
    "Which municipality built its management around the Global Goals?",
    "Hvor har man lavet et rum for verdensmål på et bibliotek?",
]
# ---- answering (UI-independent) ---------------------------------------------------------------
@dataclass(frozen=True)
class Answer:
    """A reply plus the hits shown as cards (filtered when a municipality is chosen)."""

    reply: Reply
    hits: list[Hit]
    municipality: str | None


def check_k(k: object) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, float)) or k != int(k) or not 1 <= k <= MAX_K:
        raise ValueError(f"k must be a whole number from 1 to {MAX_K}, not {k!r}")
    return int(k)


def answer(assistant: Assistant, message: str, history: list[str | dict] | None = None, k: int = 5,
           municipality: str | None = None, goal: int | str | None = None, region: str | None = None) -> Answer:
    """Ask ``assistant``; with a municipality filter, the cards are that municipality's best passages.

    ``history`` is the user's earlier messages (strings, or ``{"role": "user", "content": ...}`` dicts;
    ``Assistant.ask`` checks the items). ``goal`` (1-17, or "17") and ``region`` ("Nordjylland") narrow
    the cases; "Alle" or None means no filter. Raises ValueError for an unusable question, history, k,
    municipality, goal or region.
    """
    k = check_k(k)
    municipality = None if not municipality or municipality == ALL else municipality
    goal, region = casetab.parse_goal(goal), casetab.parse_region(region)
    reply = assistant.ask(message, history=list(history or [])[-8:], k=k, municipality=municipality,
                          goal=goal, region=region)
    hits = reply.hits
    return Answer(reply, hits, municipality)


def answer_cases(reply: Reply) -> list[Case]:
    """The cases an answer returned: ``reply.cases``, else the cases of its hits (best first, once each)."""
    cases = list(reply.cases)
    if cases:
        return cases
    seen: dict[str, Case] = {}
    for hit in reply.hits:
        seen.setdefault(hit.case.id, hit.case)
    return list(seen.values())


HISTORY_FORMAT = ("history must be a JSON list of the user's earlier messages (strings, or objects like "
                  '{{"role": "user", "content": "..."}}), oldest first; not {}')


def parse_history(history: object) -> list | None:
    """The /ask ``history``: a list, or a JSON list in a string ("" and None mean none).

    Raises ValueError with the expected format for anything else; the items are left to ``Assistant.ask``.
    """
    if history is None:
        return None
    shown = repr(history) if len(repr(history)) <= 60 else repr(history)[:57] + "..."
    if isinstance(history, str):
        if not history.strip():
            return []
        try:
            history = json.loads(history)
        except ValueError:  # json.JSONDecodeError
            raise ValueError(HISTORY_FORMAT.format(shown)) from None
    if not isinstance(history, list):
        raise ValueError(HISTORY_FORMAT.format(shown))
    return history


def client_key(request: gr.Request | None) -> str:
    """Who is asking, for fair queueing: the client's IP address; for a loopback or missing address
    (a local reverse proxy, a local script) the Gradio session, so users behind one proxy are told apart."""
    host = getattr(getattr(request, "client", None), "host", None) if request is not None else None
    if host:
        try:
            address = ipaddress.ip_address(host.split("%", 1)[0])
            mapped = getattr(address, "ipv4_mapped", None)  # ::ffff:127.0.0.1
            loopback = (mapped or address).is_loopback
        except ValueError:  # not an address ("testclient", a socket path)
            loopback = host == "localhost"
        if not loopback:
            return f"ip:{host}"
    session = getattr(request, "session_hash", None) if request is not None else None
    if session:
        return f"session:{session}"
    return f"ip:{host}" if host else "local"


def contact_json(contact) -> dict | None:
    return None if contact is None else dataclasses.asdict(contact)


def _hit_json(hit: Hit) -> dict:
    return {"rank": hit.rank, "score": hit.score, "municipality": hit.case.municipality, "case": hit.case.title,
            "section": hit.passage.heading, "text": hit.text, "source": str(hit.source),
            "contact": contact_json(hit.case.contact), "contacts": [contact_json(c) for c in hit.case.contacts],
            "goals": list(hit.case.goals), "focus": hit.case.focus}


# ---- the app ----------------------------------------------------------------------------------
def build_app(assistant: Assistant, title: str = "Verdensmål-assistenten", gate: FairGate | None = None,
              feedback_file: Path | None = None) -> gr.Blocks:
    """The chat (first tab) and the case table (second tab) as a Gradio Blocks app (queued); nothing
    is loaded here, ``assistant`` is ready.

    Every answer (chat and /ask) is computed inside ``gate`` (default: a FairGate with ANSWER_SLOTS,
    MAX_WAITING_PER_CLIENT, MAX_WAIT_SECONDS), keyed by :func:`client_key`. 👍/👎 votes on answers go
    to ``feedback_file`` (default :func:`feedback_path` of the index folder; none without an index folder).
    """
    retriever = assistant.retriever
    tokenizer = retriever.data.sparse.tokenizer
    if gate is None:
        gate = FairGate(ANSWER_SLOTS, MAX_WAITING_PER_CLIENT, MAX_WAIT_SECONDS)
    index_dir = getattr(retriever, "path", None)
    if feedback_file is None and index_dir is not None:
        feedback_file = feedback_path(index_dir)
    downloads = Path(tempfile.mkdtemp(prefix="assistant-csv-"))  # the CSV files offered for download
    atexit.register(shutil.rmtree, downloads, ignore_errors=True)

    def chat(message: str, shown: list, asked: list[str], votes: dict, k: float, municipality: str | None,
             goal: str | None = None, region: str | None = None, request: gr.Request | None = None):
        message = (message or "").strip()
        if not message:
            return shown, asked, votes, gr.skip(), "", gr.skip()
        shown = list(shown or []) + [{"role": "user", "content": user_markdown(message)}]
        try:
            with gate.slot(client_key(request)):
                result = answer(assistant, message, asked, int(k), municipality, goal, region)
        except GateError as exc:
            t = _TEXTS[detect_language(message)]
            shown.append({"role": "assistant", "content": user_markdown(t["busy"].format(exc))})
            return shown, asked, votes, gr.skip(), "", gr.skip()
        except ValueError as exc:
            t = _TEXTS[detect_language(message)]
            shown.append({"role": "assistant", "content": user_markdown(t["bad_question"].format(exc))})
            return shown, asked, votes, EMPTY_CARDS, "", gr.DownloadButton(value=None, visible=False)
        reply = result.reply
        shown.append({"role": "assistant", "content": reply.answer})
        cards = render_cards(result.hits, reply.query or message, reply.language, reply.found, tokenizer, result.municipality)
        cases = answer_cases(reply)
        # what a vote on this answer records (its index in the chat): never who asked
        # (the cases the answer gave: none for "not found", so a 👍 on it drafts an out-of-corpus question)
        votes = {**(votes or {}), len(shown) - 1: {"question": message, "history": list(asked or []),
                                                   "cases": list(reply.cases), "language": reply.language,
                                                   "answer": reply.answer}}
        download = gr.DownloadButton(value=casetab.csv_file(cases, downloads, "answer-cases") if cases else None,
                                     visible=bool(cases))
        return shown, list(asked or []) + [message], votes, cards, "", download

    def vote(votes: dict, data: gr.LikeData) -> None:
        """Record a 👍/👎 on an answer (what was asked and returned; no IP, login or session)."""
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        entry = (votes or {}).get(index)
        if entry is None or data.liked not in (True, False):  # an error message, or a vote taken back
            return
        if feedback_file is None:
            gr.Info("Stemmen gemmes ikke (intet indeks-mappe) / The vote is not stored (no index folder).")
            return
        try:
            record_vote(feedback_file, question=entry["question"], history=entry["history"], cases=entry["cases"],
                        vote="up" if data.liked else "down", answer=entry["answer"], language=entry["language"])
        except (ValueError, OSError) as exc:
            gr.Warning(f"Stemmen kunne ikke gemmes / The vote could not be stored: {exc}")
            return
        gr.Info("Tak for din stemme! / Thanks for your vote!", duration=3)

    def ask(message: str, history: list[str | dict] | str | None = None, k: int = 5,
            municipality: str | None = None, goal: int | str | None = None, region: str | None = None,
            request: gr.Request | None = None) -> dict:
        """Answer ``message`` given the user's earlier messages: a list (or a JSON list) of strings or of
        ``{"role": "user", "content": ...}`` objects, oldest first."""
        try:
            history = parse_history(history)
            with gate.slot(client_key(request)):
                result = answer(assistant, message, history, k, municipality, goal, region)
        except (ValueError, TypeError) as exc:  # bad input (and GateError: busy) -> a message, not a bug
            raise gr.Error(str(exc), print_exception=False) from None
        reply = result.reply
        case = reply.case
        return {"answer": reply.answer, "found": reply.found, "language": reply.language,
                "municipality": case.municipality if case else None, "case": case.title if case else None,
                "contact": None if case is None or case.contact is None else
                {"name": case.contact.name, "role": case.contact.role, "email": case.contact.email},
                "contacts": [] if case is None else [contact_json(c) for c in contacts_for(case, message)],
                "cases": [{"municipality": c.municipality, "title": c.title, "goals": list(c.goals),
                           "contacts": [contact_json(x) for x in contacts_for(c, message)]}
                          for c in reply.cases],
                "hits": [_hit_json(h) for h in result.hits]}

    placeholder = ("**Spørg om kommunernes verdensmålscases** — hvem gør hvad, og hvem kan man kontakte?  \n"
                   "*Ask in Danish or English.*")
    with gr.Blocks(title=title, analytics_enabled=False) as demo:
        gr.Markdown(f"# {title}\nSpørgsmål på dansk eller engelsk om kommunale cases om verdensmålene "
                    f"({', '.join(retriever.municipalities)}). Svarene bygger kun på casene; "
                    "kontaktpersoner opfindes aldrig.")
        asked = gr.State([])
        votes = gr.State({})  # per session: assistant message index -> what a 👍/👎 on it records
        with gr.Tabs():
            with gr.Tab("Chat", id="chat-tab", elem_id="tab-chat"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3, min_width=360):
                        chatbot = gr.Chatbot(label="Chat", height=520, elem_id="chat", sanitize_html=True,
                                             allow_tags=False, latex_delimiters=[], placeholder=placeholder,
                                             feedback_options=("Like", "Dislike"))
                        with gr.Row():
                            box = gr.Textbox(placeholder="Skriv et spørgsmål … / Ask a question …", show_label=False,
                                             scale=5, elem_id="question", max_length=2000, autofocus=True)
                            send = gr.Button("Spørg / Ask", variant="primary", scale=1, elem_id="send")
                        answer_csv = gr.DownloadButton("Hent svarets cases som CSV / Download the answer's cases as CSV",
                                                       size="sm", visible=False, elem_id="answer-csv")
                        gr.Examples(EXAMPLES, inputs=[box], label="Eksempler / Examples")
                        with gr.Accordion("Indstillinger / Settings", open=False):
                            k = gr.Slider(1, MAX_K, value=min(assistant.k, MAX_K), step=1,
                                          label="Antal resultater / Number of results", elem_id="k")
                            with gr.Row():
                                municipality = gr.Dropdown([ALL, *retriever.municipalities], value=ALL,
                                                           label="Kommune / Municipality", elem_id="municipality")
                                goal = gr.Dropdown(casetab.goal_choices(retriever.data.cases), value=ALL,
                                                   label="Verdensmål / Goal", elem_id="goal")
                                region = gr.Dropdown(casetab.region_choices(retriever.data.cases), value=ALL, label="Region",
                                                     elem_id="region")
                        clear = gr.Button("Ny samtale / New chat", size="sm")
                    with gr.Column(scale=2, min_width=320):
                        cards = gr.HTML(EMPTY_CARDS, elem_id="cards", css_template=CARD_CSS, js_on_load=None,
                                        max_height=760)
            with gr.Tab("Cases", id="cases-tab", elem_id="tab-cases"):
                casetab.build_cases_tab(retriever, downloads)
        inputs = [box, chatbot, asked, votes, k, municipality, goal, region]
        outputs = [chatbot, asked, votes, cards, box, answer_csv]
        # the three answering events share one concurrency group (CONCURRENCY); the FairGate orders them
        box.submit(chat, inputs, outputs, api_visibility="private", concurrency_id="answer")
        send.click(chat, inputs, outputs, api_visibility="private", concurrency_id="answer")
        chatbot.like(vote, [votes], None, api_visibility="private")
        clear.click(lambda: ([], [], {}, EMPTY_CARDS, "", gr.DownloadButton(value=None, visible=False)), None,
                    [chatbot, asked, votes, cards, box, answer_csv], api_visibility="private")
        # the chat's own 🗑 button empties the chat: forget its questions and what votes on it would record
        chatbot.clear(lambda: ([], {}, EMPTY_CARDS, gr.DownloadButton(value=None, visible=False)), None,
                      [asked, votes, cards, answer_csv], api_visibility="private")
        gr.api(ask, api_name="ask", concurrency_id="answer")
    demo.queue(default_concurrency_limit=CONCURRENCY, max_size=QUEUE_SIZE)
    return demo


def serve(demo: gr.Blocks, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
          auth: tuple[str, str] | None = None) -> str:
    """Start serving ``demo`` in the background (never with a share link); returns the local URL."""
    _, url, _ = demo.launch(server_name=host, server_port=port, auth=auth, share=False, prevent_thread_lock=True,
                            quiet=True, ssr_mode=False, show_error=True, mcp_server=False)
    return url


# ---- command line -----------------------------------------------------------------------------
def parse_auth(value: str | None) -> tuple[str, str] | None:
    """``user:password`` (from $ASSISTANT_AUTH) as a tuple; None when unset. ValueError if malformed."""
    if value is None or value == "":
        return None
    user, sep, password = value.partition(":")
    if not sep or not user.strip() or not password:
        raise ValueError(f"${AUTH_ENV} must be 'user:password' (both non-empty), e.g. {AUTH_ENV}=anna:s3cret")
    return user.strip(), password


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"port must be a number, not {value!r}") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 1-65535, not {port}")
    return port


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    env_port = os.environ.get("GRADIO_SERVER_PORT") or str(DEFAULT_PORT)
    parser = argparse.ArgumentParser(
        prog="ui.py", description="The Verdensmål case assistant as a browser chat.",
        epilog=f"Login: set {AUTH_ENV}=user:password. There is never a public share link.")
    parser.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME") or DEFAULT_HOST,
                        help="address to listen on (default $GRADIO_SERVER_NAME or 127.0.0.1)")
    parser.add_argument("--port", type=_port, default=None,
                        help="port (default $GRADIO_SERVER_PORT or 7860)")
    parser.add_argument("--index", default=None, help="index folder (default index/ or $ASSISTANT_INDEX)")
    parser.add_argument("--corpus", default=None, help="corpus folder (default: the index's, else corpus/)")
    args = parser.parse_args(argv)
    if args.port is None:
        try:
            args.port = _port(env_port)
        except argparse.ArgumentTypeError as exc:
            parser.error(f"$GRADIO_SERVER_PORT: {exc}")
    return args


def _build_progress() -> Callable[[int, int], None]:
    """Prints the embedding progress of an index build (only called when the index is built)."""
    shown: list[int] = []

    def progress(done: int, total: int) -> None:
        if not shown:
            print(f"Building the index (first start, or the corpus or model changed): {total} texts to embed",
                  file=sys.stderr, flush=True)
            shown.append(0)
        if done > shown[-1] and (done >= total or done - shown[-1] >= max(1, total // 10)):
            print(f"  embedded {done}/{total} ({100 * done // max(total, 1)} %)", file=sys.stderr, flush=True)
            shown.append(done)

    return progress


def _process_age() -> float:
    """Seconds since this process started (from /proc), else since this module was imported."""
    try:
        with open("/proc/self/stat") as stat, open("/proc/uptime") as uptime:
            ticks = int(stat.read().rsplit(")", 1)[1].split()[19])
            return float(uptime.read().split()[0]) - ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return time.perf_counter() - _STARTED


def main(argv: list[str] | None = None) -> int:
    """Load (or build) the index, then serve the chat until interrupted. Returns an exit code."""
    args = parse_args(argv)
    try:
        auth = parse_auth(os.environ.get(AUTH_ENV))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from .retriever import Retriever

    print("Loading the index and the model …", file=sys.stderr, flush=True)
    try:
        retriever = Retriever.load(args.index, corpus=args.corpus, progress=_build_progress())
        retriever.search("verdensmål", k=1)  # warm the model so the first question is fast
    except (ValueError, OSError) as exc:  # CorpusError, IndexLoadError, ModelLoadError are ValueErrors
        print(f"error: {exc}", file=sys.stderr)
        return 1
    demo = build_app(Assistant(retriever))
    try:
        url = serve(demo, args.host, args.port, auth)
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"note: listening on {args.host}: reachable from other machines"
              + ("" if auth else f" without a login (set {AUTH_ENV}=user:password)"), file=sys.stderr)
    print(f"Ready at {url} after {_process_age():.1f} s"
          + (" (login required)" if auth else "") + ". Press Ctrl+C to stop.", flush=True)
    if threading.current_thread() is threading.main_thread():  # SIGTERM stops it like Ctrl+C does
        signal.signal(signal.SIGTERM, _interrupt)
    demo.block_thread()  # until Ctrl+C
    demo.close()
    return 0


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt
