#!/usr/bin/env python3
"""Consistency check for the eval-tuning4 tuning set (standard library only).

Run from anywhere:  python3 eval-tuning4/check.py

It verifies that
  * every case in cases-index.json is found in its file (title) and its e-mails lie inside the case;
  * every evidence phrase occurs exactly once in the whole corpus (HTML: after stripping tags and
    collapsing whitespace, and also in the raw file), inside the case of the expected municipality;
  * every expected e-mail occurs in the corpus and belongs to that case;
  * "none" questions have null municipality, e-mail and evidence;
  * dialogue and list answers are consistent with the index (goal and region lists are recomputed);
and prints the counts.
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
        for key in ("id", "title", "text", "municipality", "source"):
            if key not in rec:
                err(f"{name}:{n}: missing key {key}")
        contacts = rec.get("contacts") or ([rec["contact"]] if rec.get("contact") else [])
        bits = [rec.get("title", ""), rec.get("text", ""), rec.get("municipality", "")]
        for c in contacts:
            bits += [c.get("name", ""), c.get("role", ""), c.get("email", ""), c.get("phone", "")]
        bits.append(rec.get("source", ""))
        parts.append(collapse(" ".join(bits)))
    return " \n ".join(parts)


# ---------------------------------------------------------------- corpus
texts, raws = {}, {}
for p in sorted(CORPUS.iterdir()):
    if p.name.startswith("questions"):
        err(f"corpus/{p.name}: question files must not live in corpus/")
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

# case segments: from the (last) occurrence of the title to the next case title in the same file
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
        end = lst[i + 1][0] if i + 1 < len(lst) else len(texts[f])
        segments.append((f, pos, end, c))
        seg = texts[f][pos:end]
        for e in c["emails"]:
            if e not in seg:
                err(f"index: {e} not inside case '{c['title']}' ({f})")
for f in texts:
    if f not in by_file:
        err(f"corpus file {f} has no case in the index")

all_emails = Counter(e for c in index for e in c["emails"])
for e, n in all_emails.items():
    if n > 1:
        err(f"index: e-mail {e} listed for {n} cases")


def locate(evidence):
    """Return list of (file, offset) of every occurrence in the tag-stripped corpus text."""
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
    if email is not None and not any(email in t for t in texts.values()):
        err(f"{tag}: {email} not in corpus")
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
ids = Counter(q.get("id") for q in questions)
for i, n in ids.items():
    if n > 1:
        err(f"questions: duplicate id {i}")
qtexts = Counter(q.get("question") for q in questions)
for t, n in qtexts.items():
    if n > 1:
        err(f"questions: duplicate question {t!r}")
covered = Counter()
for q in questions:
    tag = q.get("id")
    if list(q.keys()) != keys:
        err(f"{tag}: keys {list(q.keys())} != {keys}")
    if q.get("lang") not in ("da", "en"):
        err(f"{tag}: bad lang")
    if q.get("kind") not in ("case", "contact", "none"):
        err(f"{tag}: bad kind")
    if q["kind"] == "none":
        if any(q.get(k) is not None for k in ("municipality", "email", "evidence")):
            err(f"{tag}: none question must have null municipality/email/evidence")
        continue
    if not q.get("evidence"):
        err(f"{tag}: answerable question without evidence")
        continue
    c = check_answer(tag, q["municipality"], q["email"], q["evidence"])
    if c:
        covered[c["title"]] += 1
        if q["kind"] == "case" and c["emails"] and q["email"] != c["emails"][0]:
            err(f"{tag}: case question should expect the first contact {c['emails'][0]}")
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
    if d.get("lang") not in ("da", "en"):
        err(f"{tag}: bad lang")
    if not 2 <= len(d.get("turns", [])) <= 5:
        err(f"{tag}: {len(d.get('turns', []))} turns (want 2-5)")
    check_answer(tag, d["municipality"], d["email"])
if len({d["id"] for d in dialogues}) != len(dialogues):
    err("dialogues: duplicate ids")

# ---------------------------------------------------------------- list questions
REGIONS = {
    "Hovedstaden": {"Ballerup", "Gladsaxe", "Ishøj"},
    "Sjælland": {"Guldborgsund", "Kalundborg", "Køge", "Lejre", "Lolland", "Næstved", "Roskilde"},
    "Syddanmark": {"Aabenraa", "Kolding", "Middelfart", "Svendborg", "Sønderborg", "Varde"},
    "Midtjylland": {"Herning", "Holstebro", "Horsens", "Silkeborg", "Skive", "Viborg"},
    "Nordjylland": {"Rebild", "Thisted"},
}
REGION_WORDS = {
    "Hovedstaden": ["hovedstaden", "capital region"],
    "Sjælland": ["region sjælland", "zealand"],
    "Syddanmark": ["syddanmark", "southern denmark"],
    "Midtjylland": ["midtjylland", "central denmark", "central jutland"],
    "Nordjylland": ["nordjylland", "north denmark", "north jutland"],
}
assert set().union(*REGIONS.values()) == case_munis, "region map out of date"
lists = read_jsonl("list-questions.jsonl")
for l in lists:
    tag = l.get("id")
    if list(l.keys()) != ["id", "lang", "question", "municipalities"]:
        err(f"{tag}: bad keys {list(l.keys())}")
    ms = l.get("municipalities", [])
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
        if any(w in ql for w in words) and not set(ms) <= REGIONS[r]:
            err(f"{tag}: {sorted(set(ms) - REGIONS[r])} not in region {r}")
if len({l["id"] for l in lists}) != len(lists):
    err("list questions: duplicate ids")

# ---------------------------------------------------------------- report
print(f"corpus files: {len(texts)}")
print(f"cases: {len(index)}  municipalities: {len(case_munis)}  "
      f"with 2 contacts: {sum(len(c['emails']) == 2 for c in index)}  "
      f"without contact: {sum(not c['emails'] for c in index)}")
print(f"questions: {len(questions)}  by lang: {dict(Counter(q['lang'] for q in questions))}  "
      f"by kind: {dict(Counter(q['kind'] for q in questions))}")
for k in ("case", "contact", "none"):
    print(f"  {k:8s} " + str(dict(Counter(q['lang'] for q in questions if q['kind'] == k))))
print(f"dialogues: {len(dialogues)}  by lang: {dict(Counter(d['lang'] for d in dialogues))}  "
      f"turns: {dict(sorted(Counter(len(d['turns']) for d in dialogues).items()))}")
print(f"list questions: {len(lists)}  by lang: {dict(Counter(l['lang'] for l in lists))}")
if errors:
    print(f"\nFAILED: {len(errors)} problem(s)")
    for e in errors:
        print("  - " + e)
    sys.exit(1)
print("\nOK: all checks passed")
