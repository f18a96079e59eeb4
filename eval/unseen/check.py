#!/usr/bin/env python3
"""Self-check for the held-out evaluation set in eval/unseen/.

Reads only files in this folder. Verifies that
  * every JSON / JSON Lines file parses,
  * every case in cases-index.json can be located in its page (by its anchor),
    names its municipality (or, for the municipality's own page, only its web domain),
    carries exactly the listed contact e-mails and the listed Verdensmål numbers,
  * every expected e-mail and evidence phrase in questions.jsonl / dialogues.jsonl
    occurs verbatim in the corpus, inside a case of the expected municipality,
  * list-question answer sets match the index (for goal / region questions),
  * only the permitted municipality names are used.
Run:  python3 eval/unseen/check.py
"""
import json
import re
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"

ALLOWED = """Albertslund Allerød Assens Billund Bornholm Brøndby Brønderslev Dragør Egedal Esbjerg
Favrskov Faxe Fredensborg Fredericia Frederiksberg Frederikssund Furesø Faaborg-Midtfyn Gentofte
Glostrup Greve Gribskov Guldborgsund Haderslev Hedensted Helsingør Herlev Hillerød Holbæk Holstebro
Horsens Hvidovre Hørsholm Ikast-Brande Ishøj Jammerbugt Kalundborg Kerteminde København Køge
Langeland Lejre Læsø Mariagerfjord Morsø Nordfyns Nyborg Odder Odense Randers Rebild
Ringkøbing-Skjern Rudersdal Rødovre Silkeborg Skanderborg Slagelse Solrød Stevns Struer Syddjurs
Tårnby Vallensbæk Varde Vesthimmerland Avannaata Qeqqata Qeqertalik""".split()

# where each case starts (and, for the last case of a page, where it ends)
ANCHORS = {
    "C01": ("Ådalen får lov at blive våd", None),
    "C02": ("Solstrøm fra rådhustaget", None),
    "C03": ("Hvad gør man, når skolegården", None),
    "C04": ("Gamle materialer i nye klubhuse", None),
    "C05": ("Rabatter med vilde blomster", "Vil din kommune med i kataloget?"),
    "C06": ("Spisevenner mod ensomhed", None),
    "C07": ("Ungeguider i boligområdet", None),
    "C08": ("Sundhedsbussen kører ud", None),
    "C09": ("Cykelkursus og sprogcafé baner vej til job", "Relateret indhold"),
    "C10": ("Mål 11: Trygge stier", None),
    "C11": ("Fredericia – overskudsvarme", None),
    "C12": ("Gribskov – borgerne", None),
    "C13": ("Holstebro – virksomheder", None),
    "C14": ("Læsø – fælles ordning", "Har I et partnerskab"),
    "C15": ("Odense Kommune er gået over", None),
    "C16": ("Horsens Kommune stiller", "<blockquote>"),
    "C17": ("Guldborgsund Kommune har delt", None),
    "C18": ("Herlev Kommune har afskaffet", "Fælles for de fire eksempler"),
    "C19": ("Repair café på biblioteket", None),
    "C20": ("Plantebaseret frokost i daginstitutionerne", '<section class="related">'),
    "C21": ("Lokal fangst på menuen", None),
    "C22": ("Solceller på bygdeskolen", "<footer>"),
    "C23": ("---", None),
    "C24": ("---", None),
    "C25": ('"id": "silkeborg-vandloeb-01"', None),
    "C26": ('"id": "frederiksberg-toejbibliotek-01"', None),
    "C27": ('"id": "kalundborg-procesoperatoer-01"', None),
    "C28": ('"id": "ikast-brande-klimabudget-01"', None),
    "C29": ('"id": "syddjurs-naturdage-01"', None),
}
DOMAIN_ONLY = {"Hørsholm": "hoersholm.dk"}
# cases whose text says only "kommunen"; the municipality is named once at the top of the page
PAGE_LEVEL = {"C22"}
NAME_FORMS = {"Bornholm": "Bornholms", "Vesthimmerland": "Vesthimmerlands", "Qeqqata": "Qeqqata Kommunia"}
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
GOAL_RE = re.compile(
    r"(?:verdensmål|mål|sdg)[\s:*]*(?:nr\.\s*)?(\d{1,2})\b"
    r"((?:\s*(?:og|,)\s*(?:til\s+)?(?:(?:mål|sdg|verdensmål|nr\.)\s*)?\d{1,2}\b)*)",
    re.IGNORECASE,
)

errors = []


def err(msg):
    errors.append(msg)


def goals_in(text):
    found = set()
    for m in GOAL_RE.finditer(text):
        found.add(int(m.group(1)))
        found.update(int(n) for n in re.findall(r"\d{1,2}", m.group(2)))
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


pages = {p.name: p.read_text(encoding="utf-8") for p in sorted(CORPUS.iterdir()) if p.is_file()}
for name, text in pages.items():
    if name.endswith(".jsonl"):
        for row in load_jsonl(CORPUS / name):
            for key in ("id", "title", "text", "municipality", "contact", "source"):
                if key not in row:
                    err(f"{name}: row {row.get('id')} lacks {key}")
    if name.endswith(".md") and not text.startswith("---\n"):
        err(f"{name}: no YAML front matter")
all_text = "\n".join(pages.values())

index = json.loads((HERE / "cases-index.json").read_text(encoding="utf-8"))

# ---- locate case segments ------------------------------------------------
segments = {}
by_file = {}
for c in index:
    by_file.setdefault(c["file"], []).append(c)
for fname, cases in by_file.items():
    text = pages[fname]
    starts = []
    for c in cases:
        a, _ = ANCHORS[c["case"]]
        pos = text.find(a)
        if pos < 0:
            err(f"{c['case']}: anchor {a!r} not in {fname}")
            continue
        starts.append((pos, c))
    starts.sort(key=lambda t: t[0])
    for i, (pos, c) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else len(text)
        stop = ANCHORS[c["case"]][1]
        if stop:
            sp = text.find(stop, pos)
            if sp < 0:
                err(f"{c['case']}: end anchor {stop!r} missing")
            else:
                end = min(end, sp)
        segments[c["case"]] = text[pos:end]

for c in index:
    seg = segments.get(c["case"], "")
    mun = c["municipality"]
    if mun not in ALLOWED:
        err(f"{c['case']}: municipality {mun} not allowed")
    if mun in DOMAIN_ONLY:
        if mun in pages[c["file"]]:
            err(f"{c['case']}: {mun} spelled out on its domain-only page")
        if DOMAIN_ONLY[mun] not in seg:
            err(f"{c['case']}: domain {DOMAIN_ONLY[mun]} not in case")
    elif c["case"] in PAGE_LEVEL:
        if NAME_FORMS.get(mun, mun) not in pages[c["file"]].split(seg)[0]:
            err(f"{c['case']}: municipality {mun} not named above the case")
    elif mun not in seg and NAME_FORMS.get(mun, mun) not in seg:
        err(f"{c['case']}: municipality {mun} not named in its case text")
    mails = set(EMAIL_RE.findall(seg))
    if mails != set(c["contacts"]):
        err(f"{c['case']}: e-mails in text {sorted(mails)} != index {c['contacts']}")
    g = goals_in(seg)
    if g != set(c["goals"]):
        err(f"{c['case']}: goals in text {sorted(g)} != index {c['goals']}")

cases_of = {}
for c in index:
    cases_of.setdefault(c["municipality"], []).append(c)


def check_evidence(tag, mun, email, evidence, kind):
    hits = [cid for cid, seg in segments.items() if evidence in seg]
    if all_text.count(evidence) != 1:
        err(f"{tag}: evidence {evidence!r} occurs {all_text.count(evidence)} times in corpus")
    if len(hits) != 1:
        err(f"{tag}: evidence {evidence!r} in {len(hits)} case segments")
        return
    case = next(c for c in index if c["case"] == hits[0])
    if case["municipality"] != mun:
        err(f"{tag}: evidence is in a {case['municipality']} case, expected {mun}")
    if email is None:
        if case["contacts"]:
            err(f"{tag}: email null but case has contacts {case['contacts']}")
    else:
        if email not in all_text:
            err(f"{tag}: email {email} not in corpus")
        if email not in case["contacts"]:
            err(f"{tag}: email {email} not a contact of {case['case']}")
        if kind == "case" and email != case["contacts"][0]:
            err(f"{tag}: case question should expect first contact {case['contacts'][0]}")


# ---- questions -----------------------------------------------------------
qs = load_jsonl(HERE / "questions.jsonl")
ids = Counter(q["id"] for q in qs)
for k, v in ids.items():
    if v > 1:
        err(f"duplicate id {k}")
for q in qs:
    for key in ("id", "lang", "kind", "question", "municipality", "email", "evidence"):
        if key not in q:
            err(f"{q.get('id')}: missing {key}")
    if q["lang"] not in ("da", "en") or q["kind"] not in ("case", "contact", "none"):
        err(f"{q['id']}: bad lang/kind")
    if q["kind"] == "none":
        if q["municipality"] is not None or q["email"] is not None:
            err(f"{q['id']}: none-question with municipality/email")
        continue
    if q["municipality"] not in cases_of:
        err(f"{q['id']}: {q['municipality']} has no case")
    check_evidence(q["id"], q["municipality"], q["email"], q["evidence"], q["kind"])

# ---- list questions ------------------------------------------------------
REGION_WORDS = {
    "Nordjylland": "Nordjylland", "Capital Region": "Hovedstaden", "Zealand": "Sjælland",
    "Syddanmark": "Syddanmark", "Central Denmark": "Midtjylland", "Greenlandic": "Grønland",
}
lq = load_jsonl(HERE / "list-questions.jsonl")
for q in lq:
    ms = q["municipalities"]
    for m in ms:
        if m not in cases_of:
            err(f"{q['id']}: {m} has no case")
    text = q["question"]
    gm = re.search(r"(?:mål|SDG|verdensmål)\s*(\d{1,2})", text, re.IGNORECASE)
    rm = [v for k, v in REGION_WORDS.items() if k in text]
    if gm and not rm:
        want = sorted({c["municipality"] for c in index if int(gm.group(1)) in c["goals"]})
        if sorted(ms) != want:
            err(f"{q['id']}: list {ms} != goal set {want}")
    if rm and not gm and "sociale" not in text:
        want = sorted({c["municipality"] for c in index if c["region"] == rm[0]})
        if sorted(ms) != want:
            err(f"{q['id']}: list {ms} != region set {want}")

# ---- dialogues -----------------------------------------------------------
dl = load_jsonl(HERE / "dialogues.jsonl")
for d in dl:
    mun, email = d["municipality"], d["email"]
    if mun not in cases_of:
        err(f"{d['id']}: {mun} has no case")
        continue
    contacts = [e for c in cases_of[mun] for e in c["contacts"]]
    if email is None:
        if not any(not c["contacts"] for c in cases_of[mun]):
            err(f"{d['id']}: email null but {mun} cases all have contacts")
    elif email not in contacts or email not in all_text:
        err(f"{d['id']}: email {email} not a {mun} contact in corpus")
    if len(d["turns"]) < 2:
        err(f"{d['id']}: not multi-turn")

# ---- municipality names used anywhere in the corpus ------------------------
for m in re.findall(r"([A-ZÆØÅ][\w-]+) Kommune\b", all_text):
    if m not in ALLOWED and m.rstrip("s") not in ALLOWED:
        err(f"corpus mentions non-permitted '{m} Kommune'")

# ---- summary -------------------------------------------------------------
persons = {e for c in index for e in c["contacts"]}
print(f"pages: {len(pages)}  cases: {len(index)}  municipalities: {len({c['municipality'] for c in index})}")
print(f"cases with contact: {sum(1 for c in index if c['contacts'])}  without: {sum(1 for c in index if not c['contacts'])}"
      f"  with two contacts: {sum(1 for c in index if len(c['contacts']) > 1)}  contact persons: {len(persons)}")
print("regions:", dict(Counter(c["region"] for c in index)))
print(f"questions: {len(qs)}  lang: {dict(Counter(q['lang'] for q in qs))}  kind: {dict(Counter(q['kind'] for q in qs))}")
print(f"list questions: {len(lq)}  dialogues: {len(dl)}  lang: {dict(Counter(d['lang'] for d in dl))}")
if errors:
    print(f"\n{len(errors)} problem(s):")
    for e in errors:
        print("  -", e)
    sys.exit(1)
print("OK: all checks passed")
