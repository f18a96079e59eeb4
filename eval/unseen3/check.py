#!/usr/bin/env python3
"""Self-check for the third held-out evaluation set in eval/unseen3/.

Standard library only; reads only files in this folder. It verifies that
  * every JSON / JSON Lines / CSV file parses and has the expected fields,
  * the PDF exists, is a PDF, has as many pages as its source in corpus-src/, and the text
    drawn on each PDF page (decoded from the PDF's own content streams) matches the source,
  * every case in cases-index.json is found in its page by its anchor, names its
    municipality, and carries exactly the indexed contact e-mails (in page order) and
    Verdensmål numbers; the CSV rows agree with the index field by field,
  * the Markdown page has no front matter (this set's Markdown shape),
  * every evidence phrase in questions.jsonl occurs exactly once in the corpus, on one line,
    inside a case of the expected municipality, and the expected e-mail belongs to that case;
    evidence for PDF cases is also found in the text decoded from the PDF itself,
  * dialogue answers point at a municipality with a case and one of its contacts,
  * list-question answer sets match the index for goal / region / goal-and-region / focus
    questions,
  * out-of-corpus municipalities and goals really are absent, and no municipality that the
    brief ruled out is mentioned anywhere in the corpus,
  * the minimum counts asked for in the brief are met.
Run:  python3 eval/unseen3/check.py
"""
import csv
import io
import json
import re
import sys
import zlib
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
SRC = HERE / "corpus-src"

# municipalities that have a case; only these may appear as "X Kommune" in the corpus
CASE_MUNIS = set("""Allerød Avannaata Billund Egedal Esbjerg Faaborg-Midtfyn Favrskov Gentofte Gladsaxe Greve
Hedensted Herning Hvidovre Kolding Lolland Norddjurs Odder Randers Solrød Vallensbæk Vejen""".split())
# municipalities the brief ruled out for this set: none may be mentioned anywhere in the corpus
FORBIDDEN = """Albertslund Bornholm Brøndby Fredericia Frederiksberg Gribskov Guldborgsund Haderslev Herlev
Holstebro Horsens Hørsholm Ikast-Brande Ishøj Kalundborg Køge Lejre Læsø Mariagerfjord Odense Qeqqata
Rebild Silkeborg Slagelse Struer Syddjurs Varde Vesthimmerland Aabenraa Assens Ballerup Fanø Frederikshavn
Halsnæs Hjørring Høje-Taastrup Kujalleq Lemvig Middelfart Næstved Odsherred Ringsted Sermersooq Skive
Sorø Svendborg Thisted Viborg Vordingborg Ærø""".split()
# goals that hold for every case on a single-goal theme page
PAGE_GOALS = {"inspirationskatalog-verdensmaal-7-energi.html": {7}}
# official Danish goal names (case-sensitive, as written on the pages)
GOAL_NAMES = {
    "Sundhed og trivsel": 3, "Kvalitetsuddannelse": 4, "Ligestilling mellem kønnene": 5,
    "Rent vand og sanitet": 6, "Bæredygtig energi": 7, "Mindre ulighed": 10,
    "Bæredygtige byer og lokalsamfund": 11, "Klimaindsats": 13, "Livet på land": 15,
    "Partnerskaber for handling": 17,
}
GOAL_RE = re.compile(
    r"(?<!\w)(?:verdensmål|mål|sdgs?|goals?)[\s:#*]*(?:nr\.\s*)?#?(\d{1,2})\b"
    r"((?:\s*(?:og|and|,|·|\+|&)\s*(?:(?:mål|sdgs?|verdensmål|nr\.)\s*)?#?\d{1,2}\b)*)",
    re.IGNORECASE,
)
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
UNCOVERED_GOALS = {1, 2, 14, 16}
# places used by out-of-corpus questions: must not occur in the corpus at all
ABSENT_PLACES = ["Rudersdal", "Stevns", "Hillerød", "Qeqertalik", "Tórshavn", "Klaksvík", "Jammerbugt",
                 "Aalborg", "Brønderslev", "Morsø", "Roskilde", "Tårnby"]
REGIONS = {"Hovedstaden", "Sjælland", "Syddanmark", "Midtjylland", "Nordjylland", "Grønland"}
FOCUS = {"social", "klima-og-miljø", "økonomisk", "partnerskaber"}
CSV_FIELDS = ["indsats_id", "kommune_navn", "titel", "resume", "sdg", "fokus", "kontakt_navn",
              "kontakt_titel", "kontakt_mail", "kontakt_tlf", "kilde_url", "sidst_opdateret"]

# what each list question is about; goal/region/focus ones are checked against the index
LIST_KIND = {
    "L01": ("goal", 7), "L02": ("goal", 3), "L03": ("goal", 6), "L04": ("goal", 17),
    "L05": ("goal", 12), "L06": ("goal", 5), "L07": ("goal", 14), "L08": ("goal", 9),
    "L09": ("region", "Sjælland"), "L10": ("region", "Hovedstaden"), "L11": ("region", "Nordjylland"),
    "L12": ("region", "Grønland"), "L13": ("region", "Midtjylland"),
    "L14": ("goal+region", (4, "Syddanmark")), "L15": ("goal+region", (13, "Hovedstaden")),
    "L16": ("region", "Syddanmark"), "L17": ("topic", None), "L18": ("topic", None),
    "L19": ("topic", None), "L20": ("goal", 15), "L21": ("topic", None),
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


def pdf_page_texts(raw):
    """Decode the text drawn on each page of a simple, fpdf2-made PDF (one content stream per page)."""
    out = []
    for s in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", raw, re.S):
        try:
            data = zlib.decompress(s)
        except zlib.error:
            data = s
        if b" Tj" not in data:
            continue
        parts = []
        for m in re.finditer(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", data, re.S):
            b = m.group(1)
            b = re.sub(rb"\\([0-7]{1,3})", lambda o: bytes([int(o.group(1), 8)]), b)
            b = re.sub(rb"\\(.)", rb"\1", b)
            parts.append(b.decode("latin-1"))
        out.append("\n".join(parts))
    return out


def norm(s):
    return " ".join(s.split())


# ---- pages ---------------------------------------------------------------
pages = {}
pdf_pages = {}
pdf_drawn = {}
csv_rows = {}
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
        for i, t in enumerate(s["pages"], 1):
            try:
                t.encode("latin-1")
            except UnicodeEncodeError as e:
                err(f"{src.name} page {i}: not Latin-1 ({e})")
        drawn = pdf_page_texts(raw)
        if len(drawn) != len(s["pages"]):
            err(f"{p.name}: decoded {len(drawn)} page texts, source has {len(s['pages'])}")
        else:
            for i, (d, t) in enumerate(zip(drawn, s["pages"]), 1):
                if norm(d) != norm(t):
                    err(f"{p.name}: text drawn on page {i} differs from the source")
        pdf_pages[p.name] = s["pages"]
        pdf_drawn[p.name] = drawn
        pages[p.name] = "\n\f\n".join(s["pages"])
    else:
        pages[p.name] = p.read_text(encoding="utf-8")
        if p.suffix == ".csv":
            reader = csv.DictReader(io.StringIO(pages[p.name]), delimiter=";")
            if reader.fieldnames != CSV_FIELDS:
                err(f"{p.name}: header {reader.fieldnames}")
            csv_rows[p.name] = list(reader)
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
    if c["file"].endswith(".pdf") != ("pdf_page" in c):
        err(f"{c['id']}: pdf_page must be given for PDF cases only")
if len({c["id"] for c in index}) != len(index):
    err("duplicate case ids in index")

# ---- locate case segments ------------------------------------------------
segments = {}
by_file = {}
for c in index:
    by_file.setdefault(c["file"], []).append(c)
for fname, cases in by_file.items():
    text = pages.get(fname, "")
    starts = []
    for c in cases:
        if text.count(c["anchor"]) != 1:
            err(f"{c['id']}: anchor {c['anchor']!r} occurs {text.count(c['anchor'])} times in {fname}")
        pos = text.find(c["anchor"])
        if pos < 0:
            continue
        starts.append((pos, c))
        if fname in pdf_pages:
            page_no = text.count("\f", 0, pos) + 1
            if page_no != c["pdf_page"]:
                err(f"{c['id']}: starts on PDF page {page_no}, index says {c['pdf_page']}")
    starts.sort(key=lambda t: t[0])
    for i, (pos, c) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else len(text)
        if c.get("end"):
            sp = text.find(c["end"], pos)
            if sp < 0:
                err(f"{c['id']}: end anchor {c['end']!r} missing")
            else:
                end = min(end, sp)
        elif i + 1 == len(starts) and not fname.endswith(".csv"):
            err(f"{c['id']}: last case on {fname} needs an end anchor")
        segments[c["id"]] = text[pos:end]

for c in index:
    seg = segments.get(c["id"], "")
    if c["municipality"] not in seg:
        err(f"{c['id']}: municipality {c['municipality']} not named in its case text")
    ordered = list(dict.fromkeys(EMAIL_RE.findall(seg)))
    if ordered != c["contacts"]:
        err(f"{c['id']}: e-mails in text {ordered} != index {c['contacts']}")
    if c["file"].endswith(".csv"):
        g = set()  # checked against the sdg field below
    else:
        g = goals_in(seg) | PAGE_GOALS.get(c["file"], set())
        if g != set(c["goals"]):
            err(f"{c['id']}: goals in text {sorted(g)} != index {c['goals']}")
    if set(c["goals"]) & UNCOVERED_GOALS:
        err(f"{c['id']}: uses a goal reserved for out-of-corpus questions")

# a case that spans two PDF pages (brief: one PDF case runs over a page break)
if not any("\f" in segments.get(c["id"], "") for c in index if c["file"].endswith(".pdf")):
    err("no PDF case spans two pages")

# ---- structured pages agree with the index --------------------------------
for fname, rows in csv_rows.items():
    for row in rows:
        cases = [c for c in index if c["file"] == fname and c["anchor"].startswith(row["indsats_id"] + ";")]
        if len(cases) != 1:
            err(f"{fname}: row {row['indsats_id']} matches {len(cases)} index rows")
            continue
        case = cases[0]
        if row["kommune_navn"] != case["municipality"]:
            err(f"{fname}: {row['indsats_id']} kommune_navn {row['kommune_navn']}")
        if sorted(int(x) for x in row["sdg"].split("|")) != case["goals"]:
            err(f"{fname}: {row['indsats_id']} sdg {row['sdg']} != {case['goals']}")
        if row["fokus"] != case["focus"]:
            err(f"{fname}: {row['indsats_id']} fokus {row['fokus']} != {case['focus']}")
        got = [row["kontakt_mail"]] if row["kontakt_mail"] else []
        if got != case["contacts"]:
            err(f"{fname}: {row['indsats_id']} kontakt_mail {row['kontakt_mail']!r}")
        if not row["kontakt_mail"] and (row["kontakt_navn"] or row["kontakt_tlf"]):
            err(f"{fname}: {row['indsats_id']} has contact details without e-mail")
for fname, text in pages.items():
    if fname.endswith(".md") and text.startswith("---"):
        err(f"{fname}: this set's Markdown page must not have front matter")

cases_of = {}
for c in index:
    cases_of.setdefault(c["municipality"], []).append(c)
case_by_id = {c["id"]: c for c in index}


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
    case = case_by_id[hits[0]]
    if case["municipality"] != mun:
        err(f"{tag}: evidence is in a {case['municipality']} case, expected {mun}")
    if case["file"] in pdf_drawn:
        if norm(evidence) not in norm("\n".join(pdf_drawn[case["file"]])):
            err(f"{tag}: evidence {evidence!r} not in the text decoded from the PDF")
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
for k, v in Counter(q.get("question") for q in qs).items():
    if v > 1:
        err(f"duplicate question text {k!r}")
role_qs = 0
named = 0
null_mail = 0
answered_cases = set()
for q in qs:
    if set(q) != {"id", "lang", "kind", "question", "municipality", "email", "evidence"}:
        err(f"{q.get('id')}: fields {sorted(q)}")
        continue
    if q["lang"] not in ("da", "en") or q["kind"] not in ("case", "contact", "none"):
        err(f"{q['id']}: bad lang/kind")
    if q["kind"] == "none":
        if q["municipality"] is not None or q["email"] is not None or q["evidence"] is not None:
            err(f"{q['id']}: none-question with municipality/email/evidence")
        for m in CASE_MUNIS:
            if re.search(r"(?<!\w)" + re.escape(m) + r"(?!\w)", q["question"]):
                err(f"{q['id']}: out-of-corpus question names case municipality {m}")
        continue
    if q["municipality"] not in cases_of:
        err(f"{q['id']}: {q['municipality']} has no case")
        continue
    if re.search(re.escape(q["municipality"]), q["question"], re.IGNORECASE):
        named += 1
    if q["email"] is None:
        null_mail += 1
    case = check_evidence(q["id"], q["municipality"], q["email"], q["evidence"], q["kind"])
    if case:
        answered_cases.add(case["id"])
        if q["kind"] == "contact" and q["email"] and q["email"] != case["contacts"][0]:
            role_qs += 1

n = len(qs)
lang = Counter(q["lang"] for q in qs)
kind = Counter(q["kind"] for q in qs)
if n < 90:
    err(f"only {n} questions")
if lang["en"] / max(n, 1) < 0.35:
    err(f"English share {lang['en']}/{n} below 35 %")
if kind["contact"] < 15:
    err(f"too few contact questions ({kind['contact']})")
if kind["none"] < 18:
    err(f"too few out-of-corpus questions ({kind['none']})")
if role_qs < 3:
    err(f"only {role_qs} role questions aimed at a second contact")
answerable = kind["case"] + kind["contact"]
if named > answerable / 2:
    err(f"{named} of {answerable} answerable questions name the municipality")
missing = sorted(set(case_by_id) - answered_cases)
if missing:
    err(f"cases without any question: {missing}")

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
    if not 2 <= len(d["turns"]) <= 3 or not all(isinstance(t, str) and t for t in d["turns"]):
        err(f"{d['id']}: turns must be 2-3 non-empty strings")
if len({d.get("id") for d in dl}) != len(dl):
    err("duplicate dialogue ids")
if len(dl) < 12:
    err(f"{len(dl)} dialogues, expected at least 12")
if Counter(d["lang"] for d in dl)["en"] < 4:
    err("fewer than 4 English dialogues")
if not any(d["email"] is None for d in dl):
    err("no dialogue ends on a case without contact")

# ---- list questions ------------------------------------------------------
lq = load_jsonl(HERE / "list-questions.jsonl")
if len({q.get("id") for q in lq}) != len(lq):
    err("duplicate list-question ids")
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
    elif kind_ == "focus":
        want = {c["municipality"] for c in index if c["focus"] == arg}
    if want is not None and set(ms) != want:
        err(f"{q['id']}: list {sorted(ms)} != {kind_} set {sorted(want)}")
if len(lq) < 15:
    err(f"only {len(lq)} list questions")
if Counter(q["lang"] for q in lq)["en"] / max(len(lq), 1) < 0.35:
    err("list questions: English share below 35 %")
if not any(not q["municipalities"] for q in lq):
    err("list questions: none with an empty answer")

# ---- corpus hygiene -------------------------------------------------------
for m in re.findall(r"([A-ZÆØÅ][\w-]+) Kommune\b", all_text):
    if m not in CASE_MUNIS:
        err(f"corpus mentions '{m} Kommune', which has no case")
for m in FORBIDDEN:
    if re.search(r"(?<!\w)" + re.escape(m) + r"(?!\w)", all_text):
        err(f"corpus mentions the ruled-out municipality {m}")
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
print(f"questions: {n}  lang: {dict(lang)}  kind: {dict(kind)}")
print("  kind by lang:", dict(Counter((q['kind'], q['lang']) for q in qs)))
print(f"  name the municipality: {named}/{answerable}  role questions: {role_qs}  email null: {null_mail}")
print(f"list questions: {len(lq)}  lang: {dict(Counter(q['lang'] for q in lq))}"
      f"  empty: {sum(1 for q in lq if not q['municipalities'])}")
print(f"dialogues: {len(dl)}  lang: {dict(Counter(d['lang'] for d in dl))}"
      f"  ending without contact: {sum(1 for d in dl if d['email'] is None)}")
if errors:
    print(f"\n{len(errors)} problem(s):")
    for e in errors:
        print("  -", e)
    sys.exit(1)
print("OK: all checks passed")
