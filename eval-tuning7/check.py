#!/usr/bin/env python3
"""Consistency check for the eval-tuning7 tuning set (standard library only).

Run from anywhere:  python3 eval-tuning7/check.py

It verifies that
  * every case in cases-index.json is found in its file (title), its e-mails lie inside the case (or in
    the case's entry of a page-wide contact section) in the index's order, and every case e-mail uses
    the web domain of the case's municipality; no case municipality is a Greenland/Faroe municipality;
  * every evidence phrase occurs exactly once in the whole corpus (HTML: after stripping tags and
    collapsing whitespace, and also in the raw file), inside the case of the expected municipality
    (or inside that case's entry in a contact section); the PDF is not parsed: its text is taken from
    the generator make_pdf.py (full_text());
  * every expected e-mail belongs to that case, and case questions expect the case's first contact;
  * "none" questions have null municipality, e-mail and evidence and say why (a-g);
  * dialogue and list answers are consistent with the index (goal, region and topic lists recomputed);
  * ids and question texts are unique and the set has the promised size;
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
        c = rec.get("contact")
        bits = [rec.get("title", ""), rec.get("text", ""), rec.get("municipality", "")]
        if c:
            bits += [c.get("name", ""), c.get("role", ""), c.get("email", ""), c.get("phone", "")]
        bits.append(rec.get("source", ""))
        parts.append(collapse(" ".join(bits)))
    return " \n ".join(parts)


def pdf_text():
    sys.dont_write_bytecode = True  # keep eval-tuning7/ free of __pycache__
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
    elif p.suffix in (".txt", ".md"):
        texts[p.name] = collapse(raw)
        if p.suffix == ".txt" and not raw.startswith("Kilde: https://"):
            err(f"corpus/{p.name}: first line must be 'Kilde: https://...'")
    else:
        err(f"corpus/{p.name}: unexpected file type")

index = json.loads((HERE / "cases-index.json").read_text(encoding="utf-8"))
case_munis = {c["municipality"] for c in index}
all_case_emails = {e for c in index for e in c["emails"]}

DOMAINS = {
    "Aarhus": "aarhus.dk", "Gentofte": "gentofte.dk", "Greve": "greve.dk", "Guldborgsund": "guldborgsund.dk",
    "Helsingør": "helsingor.dk", "Holbæk": "holbaek.dk", "Horsens": "horsens.dk", "Kolding": "kolding.dk",
    "København": "kk.dk", "Køge": "koege.dk", "Middelfart": "middelfart.dk", "Næstved": "naestved.dk",
    "Randers": "randers.dk", "Roskilde": "roskilde.dk", "Silkeborg": "silkeborg.dk", "Skive": "skive.dk",
    "Svendborg": "svendborg.dk", "Thisted": "thisted.dk", "Varde": "varde.dk", "Viborg": "viborg.dk",
}
if set(DOMAINS) != case_munis:
    err(f"domain map out of date: {sorted(case_munis ^ set(DOMAINS))}")
NOT_DANISH = {"Sermersooq", "Kujalleq", "Qeqqata", "Avannaata", "Qeqertalik", "Tórshavn", "Klaksvík", "Runavík"}
for m in sorted(case_munis & NOT_DANISH):
    err(f"{m} is a Greenland/Faroe municipality and must not have cases")
for c in index:
    if set(c) != {"file", "municipality", "title", "emails", "goals"}:
        err(f"index: bad keys for {c.get('title')}")
    for e in c["emails"]:
        if not e.endswith("@" + DOMAINS.get(c["municipality"], "?")):
            err(f"index: {e} does not use the domain of {c['municipality']}")

# Pages whose contacts are gathered at the bottom: the contact section starts at the marker and is
# split into entries at the given pattern; an entry belongs to the case whose e-mail it holds.
CONTACT_SECTIONS = {
    "kl-energi-bygninger-og-transport.html": ("Kontakt Spørgsmål om", r"Spørgsmål om |Generelle spørgsmål"),
    "kolding-nyhed-reparation-og-lokal-mad.html": ("Kontaktpersoner Reparationscaféen:",
                                                  r"Reparationscaféen: |Lokal mad i køkkenerne: |Presse: "),
}

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

case_of_email = {e: c for c in index for e in c["emails"]}
for f, lst in by_file.items():
    lst.sort(key=lambda x: x[0])
    t = texts[f]
    cs_start = len(t)
    if f in CONTACT_SECTIONS:
        marker, split = CONTACT_SECTIONS[f]
        cs_start = t.find(marker)
        if cs_start < 0:
            err(f"{f}: contact section marker not found")
            cs_start = len(t)
        else:
            starts = [m.start() for m in re.finditer(split, t[cs_start:])]
            starts = [cs_start + s for s in starts] + [len(t)]
            for a, b in zip(starts, starts[1:]):
                ems = [e for e in re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", t[a:b]) if e in all_case_emails]
                owners = {id(case_of_email[e]) for e in ems}
                if len(owners) > 1:
                    err(f"{f}: a contact entry names e-mails of several cases: {ems}")
                if ems:
                    segments.append((f, a, b, case_of_email[ems[0]]))
    for i, (pos, c) in enumerate(lst):
        end = lst[i + 1][0] if i + 1 < len(lst) else cs_start
        segments.append((f, pos, end, c))
for f in texts:
    if f not in by_file:
        err(f"corpus file {f} has no case in the index")

for c in index:
    found = []
    for sf, s, e, cc in sorted(segments, key=lambda x: (x[0], x[1])):
        if cc is c:
            found += re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", texts[sf][s:e])
    order = list(dict.fromkeys(x for x in found if x in all_case_emails))
    if order != c["emails"]:
        err(f"index: e-mails of '{c['title']}' in page order are {order}, index says {c['emails']}")

for e, n in Counter(e for c in index for e in c["emails"]).items():
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


def case_at(f, off, length):
    for sf, s, e, c in segments:
        if sf == f and s <= off and off + length <= e:
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
    c = case_at(f, off, len(evidence))
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
WHY = {"a": "topic", "b": "muni-without-topic", "c": "muni-without-cases", "d": "greenland-faroe",
       "e": "citizen-errand", "f": "goal-not-named", "g": "chit-chat"}
for i, n in Counter(q.get("id") for q in questions).items():
    if n > 1:
        err(f"questions: duplicate id {i}")
for t, n in Counter(q.get("question", "").strip().lower() for q in questions).items():
    if n > 1:
        err(f"questions: duplicate question {t!r}")
covered = Counter()
for q in questions:
    tag = q.get("id")
    want = keys + (["why"] if q.get("kind") == "none" else [])
    if list(q.keys()) != want:
        err(f"{tag}: keys {list(q.keys())} != {want}")
        continue
    if q["lang"] not in ("da", "en"):
        err(f"{tag}: bad lang")
    if q["kind"] not in ("case", "contact", "none"):
        err(f"{tag}: bad kind")
    if q["kind"] == "none":
        if any(q.get(k) is not None for k in ("municipality", "email", "evidence")):
            err(f"{tag}: none question must have null municipality/email/evidence")
        if q["why"] not in WHY.values():
            err(f"{tag}: bad why {q['why']!r}")
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
    if covered[c["title"]] < 2:
        err(f"questions: fewer than 2 answerable questions for case '{c['title']}' ({c['municipality']})")

# none questions of kind (b) must name a municipality that has cases; (c) one that has none
for q in questions:
    if q["kind"] != "none":
        continue
    named = [m for m in DOMAINS if m.lower() in q["question"].lower()
             or m.lower().replace("ø", "o").replace("æ", "ae").replace("å", "aa") in q["question"].lower()]
    if q["why"] == "muni-without-topic" and not named:
        err(f"{q['id']}: kind b should name a case municipality")
    if q["why"] == "muni-without-cases" and named:
        err(f"{q['id']}: kind c names a case municipality {named}")

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
    "Hovedstaden": {"København", "Gentofte", "Helsingør"},
    "Sjælland": {"Køge", "Holbæk", "Guldborgsund", "Roskilde", "Næstved", "Greve"},
    "Syddanmark": {"Svendborg", "Kolding", "Middelfart", "Varde"},
    "Midtjylland": {"Randers", "Silkeborg", "Viborg", "Horsens", "Aarhus", "Skive"},
    "Nordjylland": {"Thisted"},
}
REGION_WORDS = {
    "Hovedstaden": ["hovedstaden", "capital region"],
    "Sjælland": ["region sjælland", "region zealand"],
    "Syddanmark": ["syddanmark", "southern denmark"],
    "Midtjylland": ["midtjylland", "central denmark", "central jutland"],
    "Nordjylland": ["nordjylland", "north denmark", "north jutland"],
}
if set().union(*REGIONS.values()) != case_munis:
    err("region map out of date")
# topic lists: list-question id -> titles of the cases that answer it
TOPICS = {
    "t7l-13": ["Twin towns by the sea learn from each other's floods", "Trained Wadden Sea guides on both sides of the border",
               "Reusing bricks and beams with a Latvian partner", "Plastic-free beaches from Greve to Klaipėda"],
    "t7l-14": ["2) Cykelværkstedet, der giver job til folk på kanten", "LADCYKLER TIL BØRNEHAVERNE",
               "Cykelbussen kører fra villavejene", "Hjemmeplejen skifter bilen ud med elcykel"],
    "t7l-15": ["Reparationscaféen på Kolding Bibliotek", "1) Arbejdstøj i genanvendt polyester og med reparation i kontrakten",
               "BYTTEMARKED FOR BØRNETØJ I SPØTTRUP", "Reusing bricks and beams with a Latvian partner",
               "2) Cykelværkstedet, der giver job til folk på kanten"],
    "t7l-16": ["Våde enge ved Gudenåen binder CO2", "Kvæg fra lokale gårde holder heden lysåben"],
    "t7l-17": ["Varmen fra renseanlægget ender i radiatorerne", "Oliefyret ud – hjælp fra start til slut"],
}
titles = {c["title"]: c for c in index}
lists = read_jsonl("list-questions.jsonl")
checked = Counter()
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
        checked["goal"] += 1
        want = {c["municipality"] for c in index if int(g.group(1)) in c["goals"]}
        if set(ms) != want:
            err(f"{tag}: goal {g.group(1)} list {sorted(ms)} != index {sorted(want)}")
    for r, words in REGION_WORDS.items():
        if any(w in ql for w in words):
            checked["region"] += 1
            if set(ms) != REGIONS[r]:
                err(f"{tag}: region list {sorted(ms)} != {sorted(REGIONS[r])}")
    if tag in TOPICS:
        checked["topic"] += 1
        for t in TOPICS[tag]:
            if t not in titles:
                err(f"{tag}: topic title not in index: {t}")
        want = {titles[t]["municipality"] for t in TOPICS[tag] if t in titles}
        if set(ms) != want:
            err(f"{tag}: topic list {sorted(ms)} != {sorted(want)}")
    if not g and tag not in TOPICS and not any(w in ql for ws in REGION_WORDS.values() for w in ws):
        err(f"{tag}: list question is not checkable (no goal, region or topic entry)")
if len({l["id"] for l in lists}) != len(lists):
    err("list questions: duplicate ids")

# ---------------------------------------------------------------- promised size
kinds = Counter(q["kind"] for q in questions)
en_share = sum(q["lang"] == "en" for q in questions) / max(1, len(questions))
whys = Counter(q["why"] for q in questions if q["kind"] == "none")
d_null = sum(d["municipality"] is None for d in dialogues)
multi = sum(1 for m in case_munis if sum(c["municipality"] == m for c in index) >= 2)
need = [
    (9 <= len(texts) <= 10, f"want 9-10 corpus files, have {len(texts)}"),
    (len(index) >= 30, f"want >= 30 cases, have {len(index)}"),
    (multi * 2 >= len(case_munis) - 2, f"about half the municipalities should have 2-3 cases ({multi}/{len(case_munis)})"),
    (max(Counter(c["municipality"] for c in index).values()) <= 3, "a municipality has more than 3 cases"),
    (len(questions) >= 130, f"want >= 130 questions, have {len(questions)}"),
    (en_share >= 0.45, f"want >= 45 % English questions, have {en_share:.0%}"),
    (kinds["contact"] >= 25, f"want >= 25 contact questions, have {kinds['contact']}"),
    (kinds["none"] >= 45, f"want >= 45 none questions, have {kinds['none']}"),
    (len(whys) == 7 and min(whys.values()) >= 5, f"none questions should cover all 7 kinds evenly: {dict(whys)}"),
    (len(dialogues) >= 40, f"want >= 40 dialogues, have {len(dialogues)}"),
    (d_null >= 5, f"want some dialogues ending out of corpus, have {d_null}"),
    (len(lists) >= 15, f"want >= 15 list questions, have {len(lists)}"),
]
for ok, msg in need:
    if not ok:
        err(msg)

# ---------------------------------------------------------------- report
print(f"corpus files: {len(texts)}")
print(f"cases: {len(index)}  municipalities: {len(case_munis)} ({multi} with 2-3 cases)  "
      f"with 2 contacts: {sum(len(c['emails']) == 2 for c in index)}  "
      f"without contact: {sum(not c['emails'] for c in index)}")
print(f"questions: {len(questions)}  by lang: {dict(Counter(q['lang'] for q in questions))} ({en_share:.0%} en)  "
      f"by kind: {dict(kinds)}")
for k in ("case", "contact", "none"):
    print(f"  {k:8s} " + str(dict(Counter(q['lang'] for q in questions if q['kind'] == k))))
print(f"  none by why: {dict(sorted(whys.items()))}")
print(f"dialogues: {len(dialogues)}  by lang: {dict(Counter(d['lang'] for d in dialogues))}  "
      f"turns: {dict(sorted(Counter(len(d['turns']) for d in dialogues).items()))}  "
      f"ending out of corpus: {d_null}  ending on a case without contact: "
      f"{sum(d['municipality'] is not None and d['email'] is None for d in dialogues)}")
print(f"list questions: {len(lists)}  by lang: {dict(Counter(l['lang'] for l in lists))}  checked: {dict(checked)}")
if errors:
    print(f"\nFAILED: {len(errors)} problem(s)")
    for e in errors:
        print("  - " + e)
    sys.exit(1)
print("\nOK: all checks passed")
