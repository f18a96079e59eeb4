#!/usr/bin/env python3
"""Self-check for the second held-out evaluation set in eval/unseen2/.

Standard library only; reads only files in this folder. It verifies that
  * every JSON / JSON Lines file parses and has the expected fields,
  * the PDF exists, is a PDF, and has as many pages as its source in corpus-src/,
  * every case in cases-index.json is found in its page by its anchor, names its
    municipality (or, on the municipality's own page, only its web domain), and carries
    exactly the indexed contact e-mails (in page order) and Verdensmål numbers,
  * Markdown front matter and JSON Lines metadata agree with the index,
  * every evidence phrase in questions.jsonl occurs exactly once in the corpus, on one line,
    inside a case of the expected municipality, and the expected e-mail belongs to that case,
  * dialogue answers point at a municipality with a case and one of its contacts,
  * list-question answer sets match the index for goal / region / goal-and-region questions,
  * out-of-corpus municipalities and goals really are absent,
  * the minimum counts asked for in the brief are met.
Run:  python3 eval/unseen2/check.py
"""
import json
import re
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
SRC = HERE / "corpus-src"

# municipality names that may appear as "X Kommune" anywhere in the corpus
ALLOWED_KOMMUNE = set("""Aalborg Aarhus Albertslund Ballerup Frederikshavn Furesø Halsnæs Hjørring Jammerbugt
Langeland Lemvig Lyngby-Taarbæk Middelfart Næstved Odsherred Roskilde Samsø Skive Sorø Svendborg Sønderborg
Thisted Tårnby Vejle Viborg Vordingborg Ærø""".split())
# Greenlandic form: "Kommune Kujalleq"; "Bæredygtig Kommune" is the name of a (fictitious) website
SITE_NAMES = {"Bæredygtig"}
DOMAIN_ONLY = {"Tønder": "toender.dk"}
# goals that hold for every case on a single-goal theme page
PAGE_GOALS = {"tema-maal-14-livet-i-havet.html": {14}}
GOAL_NAMES = {
    "Livet i havet": 14, "Livet på land": 15, "Climate action": 13,
    "Ansvarligt forbrug og produktion": 12,
}
GOAL_RE = re.compile(
    r"(?:verdensmål|mål|sdg)[\s:*]*(?:nr\.\s*)?(\d{1,2})\b"
    r"((?:\s*(?:og|,)\s*(?:(?:mål|sdg|verdensmål|nr\.)\s*)?\d{1,2}\b)*)",
    re.IGNORECASE,
)
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
UNCOVERED_GOALS = {1, 2, 5, 16}
# municipalities used by out-of-corpus questions: must not occur in the corpus at all
ABSENT_PLACES = ["Gladsaxe", "Kolding", "Herning", "Ringsted", "Sermersooq", "Klaksvík", "Nuuk", "Rudersdal"]
REGIONS = {"Hovedstaden", "Sjælland", "Syddanmark", "Midtjylland", "Nordjylland", "Grønland"}
FOCUS = {"social", "klima-og-miljø", "økonomisk", "partnerskaber"}

# what each list question is about; goal/region ones are checked against the index
LIST_KIND = {
    "L01": ("goal", 14), "L02": ("goal", 6), "L03": ("goal", 17), "L04": ("goal", 3),
    "L05": ("goal", 10), "L06": ("goal", 9), "L07": ("goal", 4),
    "L08": ("region", "Nordjylland"), "L09": ("region", "Sjælland"), "L10": ("region", "Hovedstaden"),
    "L11": ("region", "Midtjylland"), "L12": ("region", "Syddanmark"), "L13": ("region", "Grønland"),
    "L14": ("goal+region", (13, "Syddanmark")), "L15": ("goal+region", (12, "Nordjylland")),
    "L16": ("topic", None), "L17": ("topic", None), "L18": ("topic", None), "L19": ("topic", None),
    "L20": ("goal", 5), "L21": ("topic", None), "L22": ("goal+region", (8, "Hovedstaden")),
    "L23": ("goal", 15),
}

errors = []


def err(msg):
    errors.append(msg)


def goals_in(text):
    found = set()
    for m in GOAL_RE.finditer(text):
        found.add(int(m.group(1)))
        found.update(int(n) for n in re.findall(r"\d{1,2}", m.group(2)))
    for name, n in GOAL_NAMES.items():
        if name in text:
            found.add(n)
    return found


def load_jsonl(path):
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as e:
            err(f"{path.name}:{n}: JSON error {e}")
    return rows


def front_matter(text):
    """Tiny YAML reader for the front matter shape used here (two levels, scalars only)."""
    if not text.startswith("---\n"):
        return None
    block = text[4:text.index("\n---\n", 4)]
    data, parent = {}, None
    for line in block.splitlines():
        if not line.strip():
            continue
        key, _, val = line.strip().partition(":")
        val = val.strip().strip('"')
        if line.startswith("  ") and parent is not None:
            data[parent][key] = val
        elif val == "":
            data[key] = {}
            parent = key
        else:
            data[key] = val
            parent = None
    return data


# ---- pages ---------------------------------------------------------------
pages = {}
pdf_pages = {}
for p in sorted(CORPUS.iterdir()):
    if not p.is_file():
        continue
    if p.suffix == ".pdf":
        raw = p.read_bytes()
        if not raw.startswith(b"%PDF"):
            err(f"{p.name}: not a PDF")
        src = SRC / (p.stem + ".json")
        if not src.exists():
            err(f"{p.name}: no source {src.name}")
            continue
        s = json.loads(src.read_text(encoding="utf-8"))
        if s.get("filename") != p.name:
            err(f"{src.name}: filename {s.get('filename')} != {p.name}")
        n_pages = len(re.findall(rb"/Type\s*/Page(?!s)", raw))
        if n_pages != len(s["pages"]):
            err(f"{p.name}: {n_pages} PDF pages but {len(s['pages'])} in source")
        if len(s["pages"]) < 2:
            err(f"{p.name}: PDF should have several pages")
        for i, t in enumerate(s["pages"], 1):
            try:
                t.encode("latin-1")
            except UnicodeEncodeError as e:
                err(f"{src.name} page {i}: not Latin-1 ({e})")
        pdf_pages[p.name] = s["pages"]
        pages[p.name] = "\n\f\n".join(s["pages"])
    else:
        pages[p.name] = p.read_text(encoding="utf-8")
all_text = "\n".join(pages.values())

index = json.loads((HERE / "cases-index.json").read_text(encoding="utf-8"))
for c in index:
    for key in ("id", "file", "anchor", "municipality", "region", "focus", "goals", "contacts"):
        if key not in c:
            err(f"{c.get('id')}: index row lacks {key}")
    if c["region"] not in REGIONS:
        err(f"{c['id']}: bad region {c['region']}")
    if c["focus"] not in FOCUS:
        err(f"{c['id']}: bad focus {c['focus']}")
    if c["file"] not in pages:
        err(f"{c['id']}: file {c['file']} missing")
if len({c["id"] for c in index}) != len(index):
    err("duplicate case ids in index")

# ---- locate case segments ------------------------------------------------
segments = {}
by_file = {}
for c in index:
    by_file.setdefault(c["file"], []).append(c)
for fname, cases in by_file.items():
    if fname in pdf_pages:
        for c in cases:
            text = pdf_pages[fname][c["pdf_page"] - 1]
            if not text.startswith(c["anchor"]):
                err(f"{c['id']}: PDF page {c['pdf_page']} does not start with {c['anchor']!r}")
            end = text.find(c["end"]) if c.get("end") else len(text)
            if end < 0:
                err(f"{c['id']}: end anchor {c['end']!r} missing")
                end = len(text)
            segments[c["id"]] = text[:end]
        continue
    text = pages.get(fname, "")
    starts = []
    for c in cases:
        pos = text.find(c["anchor"])
        if pos < 0:
            err(f"{c['id']}: anchor {c['anchor']!r} not in {fname}")
            continue
        starts.append((pos, c))
    starts.sort(key=lambda t: t[0])
    if len({s[0] for s in starts}) != len(starts):
        err(f"{fname}: two cases share an anchor position")
    for i, (pos, c) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else len(text)
        if c.get("end"):
            sp = text.find(c["end"], pos)
            if sp < 0:
                err(f"{c['id']}: end anchor {c['end']!r} missing")
            else:
                end = min(end, sp)
        segments[c["id"]] = text[pos:end]

for c in index:
    seg = segments.get(c["id"], "")
    mun = c["municipality"]
    if mun in DOMAIN_ONLY:
        if mun in pages[c["file"]]:
            err(f"{c['id']}: {mun} spelled out on its domain-only page")
        if DOMAIN_ONLY[mun] not in seg:
            err(f"{c['id']}: domain {DOMAIN_ONLY[mun]} not in case")
    elif mun not in seg:
        err(f"{c['id']}: municipality {mun} not named in its case text")
    mails = EMAIL_RE.findall(seg)
    ordered = list(dict.fromkeys(mails))
    if ordered != c["contacts"]:
        err(f"{c['id']}: e-mails in text {ordered} != index {c['contacts']}")
    g = goals_in(seg) | PAGE_GOALS.get(c["file"], set())
    if g != set(c["goals"]):
        err(f"{c['id']}: goals in text {sorted(g)} != index {c['goals']}")
    if set(c["goals"]) & UNCOVERED_GOALS:
        err(f"{c['id']}: uses a goal reserved for out-of-corpus questions")

# ---- structured pages agree with the index --------------------------------
for fname, text in pages.items():
    if fname.endswith(".md"):
        fm = front_matter(text)
        if fm is None:
            err(f"{fname}: no YAML front matter")
            continue
        for key in ("title", "municipality", "contact", "source"):
            if key not in fm:
                err(f"{fname}: front matter lacks {key}")
        contact = fm.get("contact") or {}
        for key in ("name", "role", "email"):
            if key not in contact:
                err(f"{fname}: contact lacks {key}")
        (case,) = [c for c in index if c["file"] == fname]
        if fm.get("municipality") != case["municipality"]:
            err(f"{fname}: front matter municipality {fm.get('municipality')}")
        if [contact.get("email")] != case["contacts"][:1]:
            err(f"{fname}: front matter e-mail {contact.get('email')}")
    if fname.endswith(".jsonl"):
        for row in load_jsonl(CORPUS / fname):
            for key in ("id", "title", "text", "municipality", "contact", "source"):
                if key not in row:
                    err(f"{fname}: row {row.get('id')} lacks {key}")
            (case,) = [c for c in index if c["file"] == fname and row["id"] in c["anchor"]]
            if row["municipality"] != case["municipality"]:
                err(f"{fname}: {row['id']} municipality {row['municipality']}")
            if row["contact"] is None:
                if case["contacts"]:
                    err(f"{fname}: {row['id']} contact null but index has {case['contacts']}")
            else:
                if set(row["contact"]) != {"name", "role", "email"}:
                    err(f"{fname}: {row['id']} contact keys {sorted(row['contact'])}")
                if row["contact"]["email"] != case["contacts"][0]:
                    err(f"{fname}: {row['id']} contact e-mail {row['contact']['email']}")

cases_of = {}
for c in index:
    cases_of.setdefault(c["municipality"], []).append(c)


def check_evidence(tag, mun, email, evidence, kind):
    if not evidence or "\n" in evidence:
        err(f"{tag}: evidence missing or spans lines: {evidence!r}")
        return None
    if all_text.count(evidence) != 1:
        err(f"{tag}: evidence {evidence!r} occurs {all_text.count(evidence)} times in corpus")
    hits = [cid for cid, seg in segments.items() if evidence in seg]
    if len(hits) != 1:
        err(f"{tag}: evidence {evidence!r} in {len(hits)} case segments")
        return None
    case = next(c for c in index if c["id"] == hits[0])
    if case["municipality"] != mun:
        err(f"{tag}: evidence is in a {case['municipality']} case, expected {mun}")
    if email is None:
        if case["contacts"]:
            err(f"{tag}: email null but case has contacts {case['contacts']}")
    else:
        if email not in case["contacts"]:
            err(f"{tag}: email {email} not a contact of {case['id']}")
        if kind == "case" and email != case["contacts"][0]:
            err(f"{tag}: case question should expect first contact {case['contacts'][0]}")
    return case


# ---- questions -----------------------------------------------------------
qs = load_jsonl(HERE / "questions.jsonl")
for k, v in Counter(q.get("id") for q in qs).items():
    if v > 1:
        err(f"duplicate question id {k}")
role_qs = 0
named = 0
for q in qs:
    if set(q) != {"id", "lang", "kind", "question", "municipality", "email", "evidence"}:
        err(f"{q.get('id')}: fields {sorted(q)}")
        continue
    if q["lang"] not in ("da", "en") or q["kind"] not in ("case", "contact", "none"):
        err(f"{q['id']}: bad lang/kind")
    if q["kind"] == "none":
        if q["municipality"] is not None or q["email"] is not None or q["evidence"] is not None:
            err(f"{q['id']}: none-question with municipality/email/evidence")
        continue
    if q["municipality"] not in cases_of:
        err(f"{q['id']}: {q['municipality']} has no case")
        continue
    if re.search(re.escape(q["municipality"]), q["question"], re.IGNORECASE):
        named += 1
    case = check_evidence(q["id"], q["municipality"], q["email"], q["evidence"], q["kind"])
    if case and q["kind"] == "contact" and q["email"] and q["email"] != case["contacts"][0]:
        role_qs += 1

n = len(qs)
lang = Counter(q["lang"] for q in qs)
kind = Counter(q["kind"] for q in qs)
if n < 80:
    err(f"only {n} questions")
if lang["en"] / max(n, 1) < 0.35:
    err(f"English share {lang['en']}/{n} below 35 %")
if kind["contact"] < 15 or kind["none"] < 15:
    err(f"too few contact ({kind['contact']}) or none ({kind['none']}) questions")
if role_qs < 3:
    err(f"only {role_qs} role questions aimed at a second contact")
answerable = kind["case"] + kind["contact"]
if named > answerable / 2:
    err(f"{named} of {answerable} answerable questions name the municipality")

# ---- dialogues -----------------------------------------------------------
dl = load_jsonl(HERE / "dialogues.jsonl")
for d in dl:
    if set(d) != {"id", "lang", "turns", "municipality", "email"}:
        err(f"{d.get('id')}: fields {sorted(d)}")
        continue
    mun, email = d["municipality"], d["email"]
    if mun not in cases_of:
        err(f"{d['id']}: {mun} has no case")
        continue
    contacts = [e for c in cases_of[mun] for e in c["contacts"]]
    if email is None:
        if all(c["contacts"] for c in cases_of[mun]):
            err(f"{d['id']}: email null but {mun} cases all have contacts")
    elif email not in contacts:
        err(f"{d['id']}: email {email} not a {mun} contact")
    if len(d["turns"]) < 2 or not all(isinstance(t, str) and t for t in d["turns"]):
        err(f"{d['id']}: turns must be 2+ non-empty strings")
if len(dl) != 12:
    err(f"{len(dl)} dialogues, expected 12")
if Counter(d["lang"] for d in dl)["en"] < 4:
    err("fewer than 4 English dialogues")
if not any(d["email"] is None for d in dl):
    err("no dialogue ends on a case without contact")

# ---- list questions ------------------------------------------------------
lq = load_jsonl(HERE / "list-questions.jsonl")
for q in lq:
    if set(q) != {"id", "lang", "question", "municipalities"}:
        err(f"{q.get('id')}: fields {sorted(q)}")
        continue
    ms = q["municipalities"]
    if len(set(ms)) != len(ms):
        err(f"{q['id']}: duplicate municipalities")
    for m in ms:
        if m not in cases_of:
            err(f"{q['id']}: {m} has no case")
    kind_, arg = LIST_KIND.get(q["id"], (None, None))
    if kind_ is None:
        err(f"{q['id']}: not described in LIST_KIND")
        continue
    want = None
    if kind_ == "goal":
        want = {c["municipality"] for c in index if arg in c["goals"]}
    elif kind_ == "region":
        want = {c["municipality"] for c in index if c["region"] == arg}
    elif kind_ == "goal+region":
        want = {c["municipality"] for c in index if arg[0] in c["goals"] and c["region"] == arg[1]}
    if want is not None and set(ms) != want:
        err(f"{q['id']}: list {sorted(ms)} != {kind_} set {sorted(want)}")
if len(lq) < 20:
    err(f"only {len(lq)} list questions")
if Counter(q["lang"] for q in lq)["en"] / max(len(lq), 1) < 0.35:
    err("list questions: English share below 35 %")
if sum(1 for q in lq if not q["municipalities"]) < 2:
    err("list questions: fewer than 2 with an empty answer")

# ---- corpus hygiene -------------------------------------------------------
for m in re.findall(r"([A-ZÆØÅ][\w-]+) Kommune\b", all_text):
    if m not in ALLOWED_KOMMUNE and m not in SITE_NAMES:
        err(f"corpus mentions non-permitted '{m} Kommune'")
for place in ABSENT_PLACES:
    if place in all_text:
        err(f"out-of-corpus place {place} occurs in corpus")
if len(pages) < 9 or len(index) < 28:
    err(f"too few pages ({len(pages)}) or cases ({len(index)})")

# ---- summary -------------------------------------------------------------
persons = {e for c in index for e in c["contacts"]}
print(f"pages: {len(pages)}  cases: {len(index)}  municipalities: {len(cases_of)}")
print(f"cases with contact: {sum(1 for c in index if c['contacts'])}  without: "
      f"{sum(1 for c in index if not c['contacts'])}  with two contacts: "
      f"{sum(1 for c in index if len(c['contacts']) > 1)}  contact addresses: {len(persons)}")
print("regions (cases):", dict(Counter(c["region"] for c in index)))
print("focus:", dict(Counter(c["focus"] for c in index)))
print(f"questions: {n}  lang: {dict(lang)}  kind: {dict(kind)}  name the municipality: {named}/{answerable}"
      f"  role questions: {role_qs}")
print(f"list questions: {len(lq)}  lang: {dict(Counter(q['lang'] for q in lq))}"
      f"  empty: {sum(1 for q in lq if not q['municipalities'])}")
print(f"dialogues: {len(dl)}  lang: {dict(Counter(d['lang'] for d in dl))}")
if errors:
    print(f"\n{len(errors)} problem(s):")
    for e in errors:
        print("  -", e)
    sys.exit(1)
print("OK: all checks passed")
