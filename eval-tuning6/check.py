#!/usr/bin/env python3
"""Consistency check for the eval-tuning6 tuning set (standard library only).

Run from anywhere:  python3 eval-tuning6/check.py

It verifies that
  * every case in cases-index.json is found in its file (title) and its e-mails lie inside the case,
    and every case e-mail uses the web domain of the case's municipality;
  * every evidence phrase occurs exactly once in the whole corpus (HTML: after stripping tags and
    collapsing whitespace, and also in the raw file), inside the case of the expected municipality;
    the PDF is not parsed: its text is taken from the generator make_pdf.py (full_text());
  * every expected e-mail belongs to that case, and case questions expect the case's first contact;
  * "none" questions have null municipality, e-mail and evidence;
  * dialogue and list answers are consistent with the index (goal and region lists are recomputed);
  * no case municipality was a case municipality in eval-tuning, eval-tuning4 or eval-tuning5 or is on
    the excluded list, and the partner-only municipality (Sorø) has no case;
  * ids are unique and the set has the promised size;
and prints the counts. It exits 1 on any problem.
"""
import html
import json
import re
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
errors = []


def err(msg):
    errors.append(msg)


def collapse(s):
    return re.sub(r"\s+", " ", s).strip()


def html_text(raw):
    s = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", raw)
    s = re.sub(r"(?s)<!--.*?-->", " ", s)
    s = re.sub(r"(?s)<[^>]+>", " ", s)
    return collapse(html.unescape(s))


def jsonl_text(raw, name):
    parts = []
    for n, line in enumerate(raw.splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as e:
            err(f"{name}:{n}: invalid JSON ({e})")
            continue
        for key in ("id", "title", "text", "municipality", "contact", "source", "goals"):
            if key not in rec:
                err(f"{name}:{n}: missing key {key}")
        contacts = rec.get("contacts") or ([rec["contact"]] if rec.get("contact") else [])
        bits = [rec.get("title", ""), rec.get("text", ""), rec.get("municipality", "")]
        for c in contacts:
            bits += [c.get("name", ""), c.get("role", ""), c.get("email", ""), c.get("phone", "")]
        bits.append(rec.get("source", ""))
        parts.append(collapse(" ".join(bits)))
    return " \n ".join(parts)


def pdf_text():
    sys.dont_write_bytecode = True  # keep eval-tuning6/ free of __pycache__
    sys.path.insert(0, str(HERE))
    try:
        import make_pdf  # noqa: E402  (no fpdf needed for full_text)
    finally:
        sys.path.pop(0)
    return collapse(make_pdf.full_text())


# ---------------------------------------------------------------- corpus
texts, raws = {}, {}
for p in sorted(CORPUS.iterdir()):
    if p.name.startswith("questions"):
        err(f"corpus/{p.name}: question files must not live in corpus/")
    if p.suffix == ".pdf":
        if not p.read_bytes().startswith(b"%PDF"):
            err(f"corpus/{p.name}: not a PDF")
        texts[p.name] = pdf_text()
        continue
    raw = p.read_text(encoding="utf-8")
    raws[p.name] = collapse(raw)
    if p.suffix == ".html":
        texts[p.name] = html_text(raw)
    elif p.suffix == ".jsonl":
        texts[p.name] = jsonl_text(raw, p.name)
    else:
        texts[p.name] = collapse(raw)

index = json.loads((HERE / "cases-index.json").read_text(encoding="utf-8"))
case_munis = {c["municipality"] for c in index}

DOMAINS = {
    "Aalborg": "aalborg.dk", "Esbjerg": "esbjerg.dk", "Frederiksberg": "frederiksberg.dk",
    "Hedensted": "hedensted.dk", "Herlev": "herlev.dk", "Odense": "odense.dk", "Ringsted": "ringsted.dk",
    "Tårnby": "taarnby.dk", "Vallensbæk": "vallensbaek.dk", "Vordingborg": "vordingborg.dk",
}
if set(DOMAINS) != case_munis:
    err(f"domain map out of date: {sorted(case_munis ^ set(DOMAINS))}")

# case municipalities of the earlier tuning sets (from their READMEs) and the excluded ones
EARLIER = {
    # eval-tuning
    "Albertslund", "Kerteminde", "Hillerød", "Ringkøbing-Skjern", "Solrød", "Stevns", "Fredensborg",
    "Rødovre", "Brønderslev", "Hvidovre", "Langeland", "Lyngby-Taarbæk", "Favrskov", "Faaborg-Midtfyn",
    "Holbæk", "Assens", "Greve", "Nordfyns", "Odder", "Jammerbugt", "Skanderborg", "Billund", "Faxe",
    "Glostrup", "Egedal", "Helsingør", "Frederikssund", "Nyborg", "Furesø", "Rudersdal", "Dragør",
    "København", "Morsø", "Allerød",
    # eval-tuning4
    "Kolding", "Svendborg", "Holstebro", "Aabenraa", "Gladsaxe", "Roskilde", "Thisted", "Ishøj",
    "Middelfart", "Silkeborg", "Lejre", "Guldborgsund", "Rebild", "Kalundborg", "Næstved", "Lolland",
    "Køge", "Varde", "Horsens", "Skive", "Viborg", "Ballerup", "Sønderborg", "Herning",
    # eval-tuning5
    "Vesthimmerland", "Ikast-Brande", "Gentofte", "Haderslev", "Mariagerfjord", "Brøndby", "Hørsholm",
    "Slagelse", "Hjørring", "Syddjurs", "Fredericia", "Odsherred", "Gribskov", "Randers", "Lemvig",
    "Vejen", "Halsnæs", "Samsø", "Læsø", "Fanø", "Ærø", "Bornholm", "Struer", "Tønder",
    # excluded by the brief
    "Frederikshavn", "Vejle", "Høje-Taastrup", "Norddjurs", "Aarhus",
}
PARTNER_ONLY = {"Sorø"}
for m in sorted(case_munis & EARLIER):
    err(f"{m} was a case municipality in an earlier tuning set or is excluded")
for m in sorted(case_munis & PARTNER_ONLY):
    err(f"partner-only municipality {m} has a case")
for c in index:
    for e in c["emails"]:
        if not e.endswith("@" + DOMAINS.get(c["municipality"], "?")):
            err(f"index: {e} does not use the domain of {c['municipality']}")
    if set(c) != {"file", "municipality", "title", "emails", "goals"}:
        err(f"index: bad keys for {c.get('title')}")

# case segments. A file with one case: the whole file (contacts may sit in front matter before the
# title). Otherwise: from the (last) occurrence of the title to the next case title in the same file.
segments = []  # (file, start, end, case)
by_file = {}
for c in index:
    if c["file"] not in texts:
        err(f"index: file {c['file']} not in corpus")
        continue
    pos = texts[c["file"]].rfind(c["title"])
    if pos < 0:
        err(f"index: title not found in {c['file']}: {c['title']}")
        continue
    by_file.setdefault(c["file"], []).append((pos, c))
for f, lst in by_file.items():
    lst.sort(key=lambda x: x[0])
    for i, (pos, c) in enumerate(lst):
        start = 0 if len(lst) == 1 else pos
        end = lst[i + 1][0] if i + 1 < len(lst) else len(texts[f])
        segments.append((f, start, end, c))
        seg = texts[f][start:end]
        found = [e for e in re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", seg)]
        for e in c["emails"]:
            if e not in seg:
                err(f"index: {e} not inside case '{c['title']}' ({f})")
        case_like = [e for e in found if e in {x for cc in index for x in cc["emails"]}]
        order = list(dict.fromkeys(case_like))
        if order != c["emails"]:
            err(f"index: e-mails of '{c['title']}' in page order are {order}, index says {c['emails']}")
for f in texts:
    if f not in by_file:
        err(f"corpus file {f} has no case in the index")

all_emails = Counter(e for c in index for e in c["emails"])
for e, n in all_emails.items():
    if n > 1:
        err(f"index: e-mail {e} listed for {n} cases")


def locate(evidence):
    hits = []
    for f, t in texts.items():
        start = 0
        while True:
            i = t.find(evidence, start)
            if i < 0:
                break
            hits.append((f, i))
            start = i + 1
    return hits


def case_at(f, off):
    for sf, s, e, c in segments:
        if sf == f and s <= off < e:
            return c
    return None


def check_answer(tag, muni, email, evidence=None):
    if muni is None:
        if email is not None:
            err(f"{tag}: e-mail without municipality")
        return None
    if muni not in case_munis:
        err(f"{tag}: municipality {muni!r} has no case")
        return None
    cases = [c for c in index if c["municipality"] == muni]
    if evidence is None:
        if email is None:
            if not any(not c["emails"] for c in cases):
                err(f"{tag}: email null but every {muni} case names a contact")
        elif not any(email in c["emails"] for c in cases):
            err(f"{tag}: {email} is not a contact of a {muni} case")
        return None
    hits = locate(evidence)
    if len(hits) != 1:
        err(f"{tag}: evidence occurs {len(hits)} times: {evidence!r}")
        return None
    f, off = hits[0]
    if f.endswith(".html") and raws[f].count(evidence) != 1:
        err(f"{tag}: evidence not exactly once in the raw HTML of {f}: {evidence!r}")
    c = case_at(f, off)
    if c is None:
        err(f"{tag}: evidence is outside every case in {f}: {evidence!r}")
        return None
    if c["municipality"] != muni:
        err(f"{tag}: evidence is in a {c['municipality']} case, expected {muni}")
        return None
    if email is None:
        if c["emails"]:
            err(f"{tag}: email null but the case '{c['title']}' names {c['emails']}")
    elif email not in c["emails"]:
        err(f"{tag}: {email} is not a contact of the case '{c['title']}'")
    n = len(evidence.split())
    if not 5 <= n <= 15:
        err(f"{tag}: evidence has {n} words (want 5-15): {evidence!r}")
    return c


def read_jsonl(name):
    rows = []
    for n, line in enumerate((HERE / name).read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as e:
                err(f"{name}:{n}: invalid JSON ({e})")
    return rows


# ---------------------------------------------------------------- questions
questions = read_jsonl("questions.jsonl")
keys = ["id", "lang", "kind", "question", "municipality", "email", "evidence"]
for i, n in Counter(q.get("id") for q in questions).items():
    if n > 1:
        err(f"questions: duplicate id {i}")
for t, n in Counter(q.get("question", "").strip().lower() for q in questions).items():
    if n > 1:
        err(f"questions: duplicate question {t!r}")
covered = Counter()
for q in questions:
    tag = q.get("id")
    if list(q.keys()) != keys:
        err(f"{tag}: keys {list(q.keys())} != {keys}")
        continue
    if q["lang"] not in ("da", "en"):
        err(f"{tag}: bad lang")
    if q["kind"] not in ("case", "contact", "none"):
        err(f"{tag}: bad kind")
    if q["kind"] == "none":
        if any(q.get(k) is not None for k in ("municipality", "email", "evidence")):
            err(f"{tag}: none question must have null municipality/email/evidence")
        continue
    if not q.get("evidence") or not q.get("municipality"):
        err(f"{tag}: answerable question without municipality or evidence")
        continue
    c = check_answer(tag, q["municipality"], q["email"], q["evidence"])
    if c:
        covered[c["title"]] += 1
        if q["kind"] == "case" and (q["email"] != (c["emails"][0] if c["emails"] else None)):
            err(f"{tag}: case question should expect the first contact {c['emails'][:1]}")
for c in index:
    if not covered[c["title"]]:
        err(f"questions: no answerable question for case '{c['title']}' ({c['municipality']})")

# ---------------------------------------------------------------- dialogues
dialogues = read_jsonl("dialogues.jsonl")
dkeys = ["id", "lang", "turns", "municipality", "email"]
for d in dialogues:
    tag = d.get("id")
    if list(d.keys()) != dkeys:
        err(f"{tag}: keys {list(d.keys())} != {dkeys}")
        continue
    if d["lang"] not in ("da", "en"):
        err(f"{tag}: bad lang")
    if not 2 <= len(d["turns"]) <= 5:
        err(f"{tag}: {len(d['turns'])} turns (want 2-5)")
    check_answer(tag, d["municipality"], d["email"])
if len({d["id"] for d in dialogues}) != len(dialogues):
    err("dialogues: duplicate ids")

# ---------------------------------------------------------------- list questions
REGIONS = {
    "Hovedstaden": {"Frederiksberg", "Herlev", "Tårnby", "Vallensbæk"},
    "Sjælland": {"Ringsted", "Vordingborg"},
    "Syddanmark": {"Esbjerg", "Odense"},
    "Midtjylland": {"Hedensted"},
    "Nordjylland": {"Aalborg"},
}
REGION_WORDS = {
    "Hovedstaden": ["hovedstaden", "capital region"],
    "Sjælland": ["region sjælland", "zealand"],
    "Syddanmark": ["syddanmark", "southern denmark"],
    "Midtjylland": ["midtjylland", "central denmark", "central jutland"],
    "Nordjylland": ["nordjylland", "north denmark", "north jutland"],
}
if set().union(*REGIONS.values()) != case_munis:
    err("region map out of date")
lists = read_jsonl("list-questions.jsonl")
for l in lists:
    tag = l.get("id")
    if list(l.keys()) != ["id", "lang", "question", "municipalities"]:
        err(f"{tag}: bad keys {list(l.keys())}")
        continue
    ms = l["municipalities"]
    if ms != sorted(ms):
        err(f"{tag}: municipalities not sorted")
    if len(set(ms)) != len(ms):
        err(f"{tag}: duplicate municipality in list")
    for m in ms:
        if m not in case_munis:
            err(f"{tag}: {m} has no case")
    ql = l["question"].lower()
    g = re.search(r"(?:goal|mål|sdg)\s*(?:nr\.\s*)?(\d{1,2})\b", ql)
    if g:
        want = {c["municipality"] for c in index if int(g.group(1)) in c["goals"]}
        if set(ms) != want:
            err(f"{tag}: goal {g.group(1)} list {sorted(ms)} != index {sorted(want)}")
    for r, words in REGION_WORDS.items():
        if any(w in ql for w in words):
            if not set(ms) <= REGIONS[r]:
                err(f"{tag}: {sorted(set(ms) - REGIONS[r])} not in region {r}")
            if "har cases" in ql or "have cases" in ql or "er med" in ql or "sustainability cases" in ql:
                if set(ms) != REGIONS[r]:
                    err(f"{tag}: whole-region list {sorted(ms)} != {sorted(REGIONS[r])}")
if len({l["id"] for l in lists}) != len(lists):
    err("list questions: duplicate ids")

# ---------------------------------------------------------------- promised size
kinds = Counter(q["kind"] for q in questions)
en_share = sum(q["lang"] == "en" for q in questions) / max(1, len(questions))
none_en = sum(q["kind"] == "none" and q["lang"] == "en" for q in questions)
d_en = sum(d["lang"] == "en" for d in dialogues) / max(1, len(dialogues))
d_null = sum(d["municipality"] is None for d in dialogues)
need = [
    (len(texts) == 8, f"want 8 corpus files, have {len(texts)}"),
    (len(index) >= 26, f"want >= 26 cases, have {len(index)}"),
    # every municipality that is still free (see README): 10 case municipalities + partner-only Sorø
    (len(case_munis) >= 10, f"want >= 10 municipalities, have {len(case_munis)}"),
    (len(questions) >= 90, f"want >= 90 questions, have {len(questions)}"),
    (en_share >= 0.45, f"want >= 45 % English questions, have {en_share:.0%}"),
    (kinds["contact"] >= 20, f"want >= 20 contact questions, have {kinds['contact']}"),
    (kinds["none"] >= 25, f"want >= 25 none questions, have {kinds['none']}"),
    (0.4 <= none_en / max(1, kinds["none"]) <= 0.6, f"about half the none questions should be English ({none_en}/{kinds['none']})"),
    (len(dialogues) >= 40, f"want >= 40 dialogues, have {len(dialogues)}"),
    (0.4 <= d_en <= 0.6, f"about half the dialogues should be English ({d_en:.0%})"),
    (5 <= d_null <= 8, f"want about 6 dialogues ending out of corpus, have {d_null}"),
    (len(lists) >= 10, f"want >= 10 list questions, have {len(lists)}"),
]
for ok, msg in need:
    if not ok:
        err(msg)

# ---------------------------------------------------------------- report
print(f"corpus files: {len(texts)}")
print(f"cases: {len(index)}  municipalities: {len(case_munis)}  "
      f"with 2 contacts: {sum(len(c['emails']) == 2 for c in index)}  "
      f"without contact: {sum(not c['emails'] for c in index)}")
print(f"questions: {len(questions)}  by lang: {dict(Counter(q['lang'] for q in questions))} ({en_share:.0%} en)  "
      f"by kind: {dict(kinds)}")
for k in ("case", "contact", "none"):
    print(f"  {k:8s} " + str(dict(Counter(q['lang'] for q in questions if q['kind'] == k))))
print(f"dialogues: {len(dialogues)}  by lang: {dict(Counter(d['lang'] for d in dialogues))}  "
      f"turns: {dict(sorted(Counter(len(d['turns']) for d in dialogues).items()))}  "
      f"ending out of corpus: {sum(d['municipality'] is None for d in dialogues)}")
print(f"list questions: {len(lists)}  by lang: {dict(Counter(l['lang'] for l in lists))}")
if errors:
    print(f"\nFAILED: {len(errors)} problem(s)")
    for e in errors:
        print("  - " + e)
    sys.exit(1)
print("\nOK: all checks passed")
