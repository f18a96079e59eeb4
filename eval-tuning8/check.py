#!/usr/bin/env python3
"""Consistency check for the eval-tuning8 tuning set (standard library only).

Run from anywhere:  python3 eval-tuning8/check.py

It verifies that
  * every case in cases-index.json is found in its file (title), its e-mails lie inside the case (or in
    the case's entry of a page-wide contact section) in the index's order, and every case e-mail uses
    the web domain of the case's municipality; no case municipality is a Greenland/Faroe municipality;
  * the one joint case (two municipalities, one text) is listed once per municipality with the same
    title; each entry holds only the e-mails of its own municipality;
  * every e-mail in the corpus that uses a case municipality's domain is either a case contact or one
    of the known general mailboxes, and no general mailbox is a case contact;
  * every evidence phrase (5-15 words) occurs exactly once in the whole corpus (HTML: after stripping
    tags and collapsing whitespace, and also in the raw file), inside the case of the expected
    municipality (or inside that case's entry in a contact section); the PDF is not parsed: its text
    is taken from the generator make_pdf.py (full_text());
  * every expected e-mail belongs to that case, and case questions expect the case's first contact;
  * no question contains the full title of the case that answers it;
  * "none" questions have null municipality, e-mail and evidence and say why (seven kinds);
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
EMAIL = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
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


def pdf_text():
    sys.dont_write_bytecode = True  # keep eval-tuning8/ free of __pycache__
    sys.path.insert(0, str(HERE))
    try:
        import make_pdf  # noqa: E402  (no fpdf needed for full_text)
    finally:
        sys.path.pop(0)
    return collapse(make_pdf.full_text())


def fold(s):
    return s.lower().replace("ø", "o").replace("æ", "ae").replace("å", "aa")


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
    "Aabenraa": "aabenraa.dk", "Albertslund": "albertslund.dk", "Assens": "assens.dk", "Bornholm": "brk.dk",
    "Faaborg-Midtfyn": "fmk.dk", "Frederiksberg": "frederiksberg.dk", "Frederikshavn": "frederikshavn.dk",
    "Haderslev": "haderslev.dk", "Hillerød": "hillerod.dk", "Holstebro": "holstebro.dk",
    "Kalundborg": "kalundborg.dk", "Lemvig": "lemvig.dk", "Lolland": "lolland.dk",
    "Mariagerfjord": "mariagerfjord.dk", "Odder": "odder.dk", "Rebild": "rebild.dk",
    "Ringkøbing-Skjern": "rksk.dk", "Skanderborg": "skanderborg.dk", "Sorø": "soroe.dk",
    "Sønderborg": "sonderborg.dk", "Vordingborg": "vordingborg.dk",
}
# general mailboxes: footers, colophons, "send us a story" lines only - never a case contact
GENERAL = {"kl@kl.dk", "verdensmaal@kl.dk", "nyheder@kl.dk", "sonderborg@sonderborg.dk",
           "holstebro@holstebro.dk", "post@rksk.dk"}
if set(DOMAINS) != case_munis:
    err(f"domain map out of date: {sorted(case_munis ^ set(DOMAINS))}")
NOT_DANISH = {"Sermersooq", "Kujalleq", "Qeqqata", "Avannaata", "Qeqertalik", "Tórshavn", "Klaksvík",
              "Runavík", "Vágur", "Sørvágur", "Fuglafjørður", "Eystur"}
for m in sorted(case_munis & NOT_DANISH):
    err(f"{m} is a Greenland/Faroe municipality and must not have cases")
for c in index:
    if list(c) != ["file", "municipality", "title", "emails", "goals"]:
        err(f"index: bad keys for {c.get('title')}")
    for e in c["emails"]:
        if not e.endswith("@" + DOMAINS.get(c["municipality"], "?")):
            err(f"index: {e} does not use the domain of {c['municipality']}")
for e in sorted(GENERAL & all_case_emails):
    err(f"index: general mailbox {e} used as a case contact")
case_domains = set(DOMAINS.values())
for f, t in texts.items():
    for e in set(re.findall(EMAIL, t)):
        if e.split("@")[1] in case_domains and e not in all_case_emails and e not in GENERAL:
            err(f"{f}: stray e-mail {e} (neither a case contact nor a known general mailbox)")

# Pages whose contacts are gathered at the bottom: the contact section starts at the marker and is
# split into entries at the given pattern; an entry belongs to the case whose e-mail it holds.
CONTACT_SECTIONS = {
    "laesevisning-faellesskaber-der-virker.txt": (
        "Kontaktpersoner Ungemiddage i Holstebro:",
        r"Ungemiddage i Holstebro: |Buschauffører i Albertslund: |Ungepuljen på Lolland: |"
        r"Mandehuset i Odder: |Har du en idé til en historie\?"),
}

# segments: (file, start, end, [entries]); a joint case has two entries with the same title
segments = []
by_file = {}
for c in index:
    if c["file"] not in texts:
        err(f"index: file {c['file']} not in corpus")
        continue
    pos = texts[c["file"]].rfind(c["title"])
    if pos < 0:
        err(f"index: title not found in {c['file']}: {c['title']}")
        continue
    by_file.setdefault(c["file"], {}).setdefault(pos, []).append(c)

case_of_email = {e: c for c in index for e in c["emails"]}
for f, groups in by_file.items():
    for pos, grp in groups.items():
        if len({c["title"] for c in grp}) != 1 or len({c["municipality"] for c in grp}) != len(grp):
            err(f"{f}: entries at one position must share the title and differ in municipality")
    starts_sorted = sorted(groups)
    t = texts[f]
    cs_start = len(t)
    if f in CONTACT_SECTIONS:
        marker, split = CONTACT_SECTIONS[f]
        cs_start = t.find(marker)
        if cs_start < 0:
            err(f"{f}: contact section marker not found")
            cs_start = len(t)
        else:
            starts = [cs_start + m.start() for m in re.finditer(split, t[cs_start:])] + [len(t)]
            for a, b in zip(starts, starts[1:]):
                ems = [e for e in re.findall(EMAIL, t[a:b]) if e in all_case_emails]
                owners = {id(case_of_email[e]) for e in ems}
                if len(owners) > 1:
                    err(f"{f}: a contact entry names e-mails of several cases: {ems}")
                if ems:
                    segments.append((f, a, b, [case_of_email[ems[0]]]))
    for i, pos in enumerate(starts_sorted):
        end = starts_sorted[i + 1] if i + 1 < len(starts_sorted) else cs_start
        segments.append((f, pos, end, groups[pos]))
for f in texts:
    if f not in by_file:
        err(f"corpus file {f} has no case in the index")

for f, s, e, grp in segments:
    munis = {c["municipality"] for c in grp}
    for em in re.findall(EMAIL, texts[f][s:e]):
        if em in all_case_emails and case_of_email[em]["municipality"] not in munis:
            err(f"{f}: e-mail {em} of another case lies inside '{grp[0]['title']}'")

for c in index:
    found = []
    for sf, s, e, grp in sorted(segments, key=lambda x: (x[0], x[1])):
        if any(cc is c for cc in grp):
            found += re.findall(EMAIL, texts[sf][s:e])
    dom = "@" + DOMAINS.get(c["municipality"], "?")
    order = list(dict.fromkeys(x for x in found if x in all_case_emails and x.endswith(dom)))
    if order != c["emails"]:
        err(f"index: e-mails of '{c['title']}' ({c['municipality']}) in page order are {order}, "
            f"index says {c['emails']}")

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


def cases_at(f, off, length):
    for sf, s, e, grp in segments:
        if sf == f and s <= off and off + length <= e:
            return grp
    return []


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
    if f in raws and raws[f].count(evidence) != 1:
        err(f"{tag}: evidence not exactly once in the raw text of {f}: {evidence!r}")
    grp = cases_at(f, off, len(evidence))
    if not grp:
        err(f"{tag}: evidence is outside every case in {f}: {evidence!r}")
        return None
    mine = [c for c in grp if c["municipality"] == muni]
    if not mine:
        err(f"{tag}: evidence is in a {grp[0]['municipality']} case, expected {muni}")
        return None
    c = mine[0]
    if email is None:
        if c["emails"]:
            err(f"{tag}: email null but the case '{c['title']}' names {c['emails']}")
    elif email not in c["emails"]:
        err(f"{tag}: {email} is not a contact of the case '{c['title']}' ({muni})")
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


def names_case_muni(text):
    t = text.lower()
    return [m for m in DOMAINS if m.lower() in t or fold(m) in fold(text)]


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
for k, q in enumerate(questions, 1):
    if q.get("id") != f"t8-{k:03d}":
        err(f"questions: id {q.get('id')} out of sequence (want t8-{k:03d})")
        break
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
        covered[(c["title"], c["municipality"])] += 1
        if q["kind"] == "case" and (q["email"] != (c["emails"][0] if c["emails"] else None)):
            err(f"{tag}: case question should expect the first contact {c['emails'][:1]}")
        if c["title"].lower() in q["question"].lower():
            err(f"{tag}: question repeats the case title")
for c in index:
    if covered[(c["title"], c["municipality"])] < 2:
        err(f"questions: fewer than 2 answerable questions for case '{c['title']}' ({c['municipality']})")

# none questions of kind (b) must name a municipality that has cases; (c) and (d) must not
for q in questions:
    if q["kind"] != "none":
        continue
    named = names_case_muni(q["question"])
    if q["why"] == "muni-without-topic" and not named:
        err(f"{q['id']}: kind b should name a case municipality")
    if q["why"] in ("muni-without-cases", "greenland-faroe") and named:
        err(f"{q['id']}: kind {q['why']} names a case municipality {named}")

# ---------------------------------------------------------------- dialogues
dialogues = read_jsonl("dialogues.jsonl")
dkeys = ["id", "lang", "turns", "municipality", "email"]
for k, d in enumerate(dialogues, 1):
    tag = d.get("id")
    if tag != f"t8d-{k:02d}":
        err(f"dialogues: id {tag} out of sequence (want t8d-{k:02d})")
    if list(d.keys()) != dkeys:
        err(f"{tag}: keys {list(d.keys())} != {dkeys}")
        continue
    if d["lang"] not in ("da", "en"):
        err(f"{tag}: bad lang")
    if not 2 <= len(d["turns"]) <= 4:
        err(f"{tag}: {len(d['turns'])} turns (want 2-4)")
    check_answer(tag, d["municipality"], d["email"])
if len({d["id"] for d in dialogues}) != len(dialogues):
    err("dialogues: duplicate ids")

# ---------------------------------------------------------------- list questions
REGIONS = {
    "Hovedstaden": {"Albertslund", "Bornholm", "Frederiksberg", "Hillerød"},
    "Sjælland": {"Kalundborg", "Lolland", "Sorø", "Vordingborg"},
    "Syddanmark": {"Aabenraa", "Assens", "Faaborg-Midtfyn", "Haderslev", "Sønderborg"},
    "Midtjylland": {"Holstebro", "Lemvig", "Odder", "Ringkøbing-Skjern", "Skanderborg"},
    "Nordjylland": {"Frederikshavn", "Mariagerfjord", "Rebild"},
}
REGION_WORDS = {
    "Hovedstaden": ["hovedstaden", "capital region"],
    "Sjælland": ["region sjælland", "region zealand", "sjællandske"],
    "Syddanmark": ["syddanmark", "southern denmark"],
    "Midtjylland": ["midtjylland", "central denmark", "central jutland"],
    "Nordjylland": ["nordjylland", "north denmark", "north jutland"],
}
if set().union(*REGIONS.values()) != case_munis:
    err("region map out of date")
# topic lists: list-question id -> titles of the cases that answer it
T = {c["title"]: c for c in index}
TOPICS = {
    "t8l-11": ["Vejrabatterne slås først, når blomsterne har sat frø",
               "Skolernes græsplæner bliver til blomsterenge"],
    "t8l-12": ["Skybrudsveje leder regnen uden om byen og ned til havnen",
               "Storå-projektet: mere plads til åen, når den går over sine bredder"],
    "t8l-13": ["Aftensmad for unge, der bor alene", "Et værksted for mænd, der har mistet deres kone"],
    "t8l-14": ["Tøj og tekstiler samles ind i opgangenes kældre", "Genbrugshallen: møbler og ting, som alle må tage",
               "Nyt børnehus bygget af en gammel skole", "Brugte computere til skolerne"],
    "t8l-15": ["Muslingeliner fjerner kvælstof fra fjorden",
               "To kommuner og én bugt: stenrev og fælles vandplan for Helnæs Bugt",
               "Gydebanker for laks i Storåens sideløb"],
    "t8l-16": ["Heat pump apprentices trained on both sides of the border",
               "Energy checks for small firms under an Interreg project",
               "Learning from our twin town Tartu about technology in elderly care"],
    "t8l-17": ["Landsbyen fik sit eget fjernvarmeværk med en stor varmepumpe",
               "Solceller på 38 kommunale tage", "Boligselskaber og kommune deler energivejledere",
               "Skraldebilerne kører på gas fra borgernes madaffald",
               "Energy checks for small firms under an Interreg project"],
}
lists = read_jsonl("list-questions.jsonl")
checked = Counter()
for k, l in enumerate(lists, 1):
    tag = l.get("id")
    if tag != f"t8l-{k:02d}":
        err(f"list questions: id {tag} out of sequence (want t8l-{k:02d})")
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
            if t not in T:
                err(f"{tag}: topic title not in index: {t}")
        want = {c["municipality"] for c in index if c["title"] in TOPICS[tag]}
        if set(ms) != want:
            err(f"{tag}: topic list {sorted(ms)} != {sorted(want)}")
    if not g and tag not in TOPICS and not any(w in ql for ws in REGION_WORDS.values() for w in ws):
        err(f"{tag}: list question is not checkable (no goal, region or topic entry)")
if len({l["id"] for l in lists}) != len(lists):
    err("list questions: duplicate ids")

# ---------------------------------------------------------------- promised size
n_cases = len({(c["file"], c["title"]) for c in index})
kinds = Counter(q["kind"] for q in questions)
en_share = sum(q["lang"] == "en" for q in questions) / max(1, len(questions))
d_en = sum(d["lang"] == "en" for d in dialogues) / max(1, len(dialogues))
whys = Counter(q["why"] for q in questions if q["kind"] == "none")
d_null = sum(d["municipality"] is None for d in dialogues)
per_muni = Counter(c["municipality"] for c in index)
multi = sum(1 for m in case_munis if per_muni[m] >= 2)
need = [
    (9 <= len(texts) <= 10, f"want 9-10 corpus files, have {len(texts)}"),
    (32 <= n_cases <= 40, f"want 32-40 cases, have {n_cases}"),
    (len(case_munis) >= 18, f"want about 20 municipalities, have {len(case_munis)}"),
    (multi * 2 >= len(case_munis) - 2, f"about half the municipalities should have 2-3 cases ({multi}/{len(case_munis)})"),
    (max(per_muni.values()) <= 3, "a municipality has more than 3 cases"),
    (140 <= len(questions) <= 165, f"want about 150 questions, have {len(questions)}"),
    (en_share >= 0.55, f"want >= 55 % English questions, have {en_share:.0%}"),
    (30 <= kinds["contact"] <= 40, f"want about 35 contact questions, have {kinds['contact']}"),
    (40 <= kinds["none"] <= 50, f"want about 45 none questions, have {kinds['none']}"),
    (len(whys) == 7 and min(whys.values()) >= 5, f"none questions should cover all 7 kinds: {dict(whys)}"),
    (45 <= len(dialogues) <= 55, f"want about 50 dialogues, have {len(dialogues)}"),
    (d_en >= 0.60, f"want >= 60 % English dialogues, have {d_en:.0%}"),
    (d_null >= 10, f"want dialogues ending out of corpus, have {d_null}"),
    (len(lists) >= 15, f"want >= 15 list questions, have {len(lists)}"),
]
for ok, msg in need:
    if not ok:
        err(msg)

# ---------------------------------------------------------------- report
print(f"corpus files: {len(texts)}")
print(f"cases: {n_cases} (index entries: {len(index)}, one joint case listed per municipality)  "
      f"municipalities: {len(case_munis)} ({multi} with 2-3 cases)  "
      f"with 2+ contacts: {sum(len(c['emails']) >= 2 for c in index)}  "
      f"without contact: {sum(not c['emails'] for c in index)}")
print(f"questions: {len(questions)}  by lang: {dict(Counter(q['lang'] for q in questions))} ({en_share:.0%} en)  "
      f"by kind: {dict(kinds)}")
for k in ("case", "contact", "none"):
    print(f"  {k:8s} " + str(dict(Counter(q['lang'] for q in questions if q['kind'] == k))))
print(f"  none by why: {dict(sorted(whys.items()))}")
print(f"dialogues: {len(dialogues)}  by lang: {dict(Counter(d['lang'] for d in dialogues))} ({d_en:.0%} en)  "
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
