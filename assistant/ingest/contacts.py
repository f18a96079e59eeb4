"""Contacts: every person or mailbox a case gives, read from its text; e-mails and phones validated.

Each e-mail address (or a phone number with no address near it) anchors one contact. Around it, in
the same clause, the reader looks for a person's name (two to four capitalised words that are not
a municipality, a department or a heading), a role (the lower-case words just before the name, or
the ones after it between commas) and a department ("afdeling for …", "Center for …", "… og Miljø",
or a department run into a name without a space: "Mette HolmKlima og Miljø"). Forms seen on real
pages:

    Kontakt verdensmålsambassadør Lise Dam på lida@x.dk
    … kan du kontakte Jens Holm, e-mail: jeho@x.dk
    Jens Holm jeho@x.dk – tlf.: 45112233
    projektleder Jens Holm på jeho@x.dk eller 45 11 22 33
    Kontakt til afdeling for bæredygtighed: baeredygtighed@x.dk        (a mailbox: no name)
    Borgmester (formand)  /  Jens Holm, borgmester, jeho@x.dk          (a list headed by roles)

Nothing is guessed: no name means a mailbox contact (department or address only), never a name
made up from a heading or a municipality.
"""

from __future__ import annotations

import re

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from ..municipalities import municipalities_in
from ..records import Contact
from .common import _EMAIL, warn

# words that never start or end a person's name here (headings, institutions, places)
_NOT_NAME = {
    "kommune", "kommunes", "kommunen", "afdeling", "afdelingen", "center", "centret", "centeret", "forvaltning",
    "forvaltningen", "sekretariat", "sekretariatet", "team", "teamet", "enhed", "enheden", "kontakt", "kontakte",
    "kontaktperson", "vil", "læs", "mere", "mail", "e-mail", "email", "tlf", "telefon", "mobil", "skriv", "ring",
    "region", "kl", "byråd", "byrådet", "udvalg", "udvalget", "miljø", "klima", "teknik", "plan", "by",
    "bæredygtighed", "borgerservice", "direktionen", "rådhus", "rådhuset", "tema", "case", "mål", "verdensmål",
    "fn", "fns", "sdg", "projekt", "projektet", "partnerskab", "partnerskaber", "foto", "billede", "kilde",
    "facebook", "linkedin", "twitter", "instagram", "print", "del", "og", "i", "for", "på", "med", "the", "and",
}
_NAME_WORD = r"[A-ZÆØÅÉÜÖ][a-zæøåéüöäA-ZÆØÅ’'.-]*[a-zæøåéüöä]"
_NAME = re.compile(rf"{_NAME_WORD}(?:\s+(?:(?:de|van|von|la|le)\s+)?{_NAME_WORD}){{1,4}}")
# a department named in the clause (the mailbox's owner, or the person's unit)
_DEPARTMENT = re.compile(
    r"\b((?:[Aa]fdeling(?:en)?|[Cc]enter|[Ss]ekretariat(?:et)?|[Ee]nhed(?:en)?|[Tt]eam(?:et)?|[Ff]orvaltning(?:en)?)"
    r"\s+(?:for|til)\s+[\wæøåÆØÅ -]{3,60}?(?=\s*(?:[:,;(–]|\bpå\b|\bi\b|$))"
    r"|[A-ZÆØÅ][\wæøå]+(?:,\s*[A-ZÆØÅa-zæøå][\wæøå]+)*\s+og\s+[A-ZÆØÅ][\wæøå]+(?:forvaltning(?:en)?)?"
    r"|[A-ZÆØÅ][\wæøå]*(?:forvaltning(?:en)?|afdeling(?:en)?|sekretariat(?:et)?))")
# a word naming a job (at the start of a sentence it is capitalised like a name)
_ROLE_NOUN = re.compile(r"(?:leder|chef|konsulent|koordinator|ansvarlig|direktør|ambassadør|formand|borgmester|"
                        r"medarbejder|rådgiver|specialist|assistent|sekretær|inspektør|guide|manager|planlægger|"
                        r"arkitekt|ingeniør|fuldmægtig|rådmand|forstander|underviser|lærer|pedel|vejleder|pædagog|"
                        r"plejerske|terapeut|psykolog|biolog|økonom|analytiker|tovholder|"
                        r"consultant|coordinator|officer|advis[eo]r|director|planner|engineer|assistant|head)$",
                        re.IGNORECASE)
# words that lead in to a name rather than being its role ("… kan du kontakte Jens Holm")
# a job and a preposition right before a run of capitalised words: its first word is the job's unit
_UNIT_BEFORE = re.compile(r"\w*(?:" + _ROLE_NOUN.pattern.removesuffix(")$").removeprefix("(?:") + r")\s+(?:for|i|af|ved)\s+$",
                          re.IGNORECASE)
_LEAD_IN = {"kontakt", "kontakte", "kontaktperson", "kontaktpersonen", "til", "ved", "hos", "du", "os", "kan", "mere",
            "vide", "vil", "eller", "og", "med", "skriv", "ring", "contact", "please", "or", "and", "er", "is"}
_GENERIC_LABEL = {"ansvarlig", "ansvarlige", "responsible", "overordnet", "overall"}  # "Overordnet ansvarlig:"
_ROLE_WORD = re.compile(r"^[a-zæøå][\wæøå()-]*$")
_CUE = re.compile(r"^\s*(?:(?:kontakt(?:e|person(?:en)?)?|contact(?:\s+person)?)(?:\s+(?:i|hos|på|for|in|at)\s+"
                  r"(?:kommunen|forvaltningen|projektet|the\s+council|the\s+municipality|the\s+project))?|skriv\s+til|ring\s+til|ved|hos|til|på|via|eller|"
                  r"kan\s+du|du\s+kan|vil\s+du\s+vide\s+mere[,?]?)\b\s*:?\s*", re.IGNORECASE)
_GLUE = re.compile(r"\b(på|on|at|eller|or|e-?mail|mail|tlf|telefon|mobil|phone)\b\.?\s*:?", re.IGNORECASE)
_AFTER_ADDRESS = re.compile(r"@[\w-]+(?:\.[\w-]+)+[\s,;·|/–-]*$")  # "jeho@x.dk, 12 34 56 78", "… · 12 34 56 78"
_PHONE_WORD = re.compile(r"\b(?:tlf|telefon|phone|tel|mobil|mob|direkte)\b\.?", re.IGNORECASE)
_PHONE_CUE = re.compile(r"(?:tlf|telefon|phone|tel|mobil|mob|ring|eller|på|or)\.?\s*:?\s*$", re.IGNORECASE)


def valid_email(value: object, source: str = "") -> str | None:
    """``value`` as a normalised e-mail address, or None (with a warning) when it is not one: an
    invalid address is dropped, never shown as a link."""
    if value is None or value == "":
        return None
    where = f"{source}: " if source else ""
    if not isinstance(value, str):
        warn(f"{where}dropped a contact e-mail that is not text ({type(value).__name__})")
        return None
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        warn(f"{where}dropped the invalid contact e-mail {value[:80]!r} ({exc})")
        return None


def valid_phone(value: str) -> str | None:
    """A Danish (or +-prefixed foreign) phone number as E.164 ("+4545112233"), or None."""
    try:
        number = phonenumbers.parse(value, "DK")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(phone: str | None) -> str:
    """A stored phone number for people: "+4545112233" -> "+45 45 11 22 33" (others as they are)."""
    if not phone:
        return ""
    try:
        number = phonenumbers.parse(phone, "DK")
    except phonenumbers.NumberParseException:
        return phone
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def _phones(text: str) -> list[tuple[int, int, str]]:
    """(start, end, E.164) of the phone numbers in ``text``: 8 Danish digits (grouped or not), or +CC …"""
    found = []
    for match in re.finditer(r"(?<![\w@.+-])(\+\d{2}[\s-]?)?(?:\d{2}[\s-]?){3}\d{2}(?![\w@-])", text):
        number = valid_phone(match.group(0))
        # a bare 8-digit number needs a cue ("tlf.", "eller", "på") or to sit right after an address
        cued = match.group(1) or _PHONE_CUE.search(text[max(0, match.start() - 12):match.start()]) \
            or _AFTER_ADDRESS.search(text[max(0, match.start() - 80):match.start()]) \
            or not (text[:match.start()] + text[match.end():]).strip(" .·")  # a line that is only the number

        if number and cued:
            found.append((match.start(), match.end(), number))
    return found


def _is_name(candidate: str) -> bool:
    words = candidate.replace("-", " ").split()
    if not 2 <= len(words) <= 5:
        return False
    lowered = [w.lower().strip(".’'") for w in words]
    if lowered[0] in _NOT_NAME or lowered[-1] in _NOT_NAME or any(w in {"kommune", "kommunes"} for w in lowered):
        return False
    return not municipalities_in(candidate) or len(words) >= 3 and not municipalities_in(" ".join(words[-1:]))


def _split_glued(text: str) -> str:
    """'Mette HolmKlima og Miljø' -> 'Mette Holm, Klima og Miljø' (a name and a department run together)."""
    return re.sub(r"(?<=[a-zæøå])(?=[A-ZÆØÅ][a-zæøå])", "; ", text)


# words that make what follows them the topic a contact answers for ("for questions about …", "spørgsmål om …")
_TOPIC_IN = {"about", "regarding", "concerning", "om", "angående", "vedrørende", "vedr."}


def _person(clause: str) -> tuple[str | None, str | None, str | None]:
    """(name, role, department) read from the text of one contact's clause (its address removed)."""
    clause = _split_glued(clause)
    department_match = _DEPARTMENT.search(clause)
    department = department_match.group(0).strip(" ,;:") if department_match else None
    lead_role = None
    cut = (department_match.start(), department_match.end()) if department_match else None
    while department and lead_role is None:
        head, comma, tail = department.partition(",")
        if not comma or len(head.split()) != 1:
            break
        if _ROLE_NOUN.search(head.strip()):  # "Klimakoordinator, Natur og Klima": a job, then its unit
            lead_role = head.strip().lower()
        elif not re.search(r"[A-ZÆØÅ][\wæøå-]+ $", clause[:cut[0]]):
            break
        # (else "Jens Holm, Teknik og Miljø": the first word is the end of a name, not part of the unit)
        department = tail.strip() or None
        cut = (clause.index(",", cut[0]) + 1, cut[1])
    rest = clause[:cut[0]] + " , " + clause[cut[1]:] if cut else clause
    rest = _CUE.sub(" ", rest)
    name, role = None, None
    for match in _NAME.finditer(rest):
        candidate = match.group(0).strip()
        first_word = candidate.split()[0]
        if len(candidate.split()) >= 3 and _ROLE_NOUN.search(first_word):  # "Ungdomsskoleleder Per Mølgaard"
            rest = rest[:match.start()] + " " + first_word.lower() + " " + rest[match.start() + len(first_word):]
            candidate = candidate[len(first_word):].strip()
            match = re.search(re.escape(candidate), rest)
        if len(candidate.split()) >= 3 and _UNIT_BEFORE.search(rest[:match.start()]):
            # "afdelingschef for Mobilitet Henrik Toft Lassen": the first capitalised word is the job's unit
            unit_word = candidate.split()[0]
            department = department or unit_word
            candidate = candidate[len(unit_word):].strip()
            match = re.search(re.escape(candidate), rest)
        last_word = candidate.split()[-1]
        if len(candidate.split()) >= 3 and _ROLE_NOUN.search(last_word):  # "Jonas Bech Ravn Udviklingskonsulent"
            rest = rest[:match.end() - len(last_word)] + ", " + last_word.lower() + rest[match.end():]
            candidate = candidate[:-len(last_word)].strip()
            match = re.search(re.escape(candidate), rest)
        if _is_name(candidate):
            name = candidate
            before = rest[:match.start()]
            after = rest[match.end():]
            before = before.split(".")[-1]
            if before.count(":") and before.rsplit(":", 1)[1].strip(" ,;-–()"):
                before = before.rsplit(":", 1)[1]  # "Spørgsmål om økonomien: bygningschef Anders …": the job after it
            before = _GLUE.sub(" ", _CUE.sub(" ", before)).strip(" ,;:-–()").split()
            cut = max((j + 1 for j, w in enumerate(before) if w.lower().strip(",:") in _LEAD_IN), default=0)
            role_words = [w.lower() if _ROLE_NOUN.search(w) else w for w in before[cut:]]
            lead = before[cut - 1].lower().strip(",:") if cut else None
            topical = any(w.lower().strip(",:") in _TOPIC_IN for w in before) \
                or (bool(before) and before[0].lower() == "for")  # "For the twin town agreement, Henrik …"
            if topical and lead in (None, "and", "og", "or", "eller"):
                # "for questions about the technology and the care itself, Birgitte …": a topic, not a job (but
                # "Spørgsmål om …, kan rettes til familierådgiver Thomas …" names the job after its lead-in)
                role_words = []
            role_words = [w for w in role_words if _ROLE_WORD.match(w)]
            while role_words and role_words[-1] in ("for", "i", "til", "ved", "hos", "af", "of", "in", "at"):
                role_words.pop()  # "afdelingschef for <department>": the department is read on its own
            role = " ".join(role_words) if role_words and len(before) - cut <= 3 else None
            labelled = role is not None and rest[:match.start()].rstrip().endswith(":") \
                and not any(_ROLE_NOUN.search(w) and w not in _GENERIC_LABEL for w in role_words)  # (a job is)
            if labelled:  # "Overordnet ansvarlig: Inger Toft, chef for Klima": the job after the name, if any,
                label, role = role, None  # is the role; the label only when none follows
            if role is None:
                tail = _GLUE.sub(" ", after).strip()
                first = re.split(r"\s*[,;–·|]\s*", tail.lstrip(" ,;:–-·"), maxsplit=1)[0].strip(" .·")
                # "energikonsulent (spørgsmål fra borgere og fra andre landsbyer)": what the job answers for, in
                # brackets after it, is no part of it
                first = re.sub(r"\s*\((?:[^()\s]+\s+){2,}[^()]*\)\s*$", "", first)
                if first.count("(") != first.count(")"):  # "skolechef (ansvarlig)" keeps its brackets
                    first = first.strip("()")
                words = first.split()
                # a job after the name: ", konsulent i <unit>", ", UU-vejleder", ", International Coordinator",
                # or with no comma a job noun ("Marianne Holt ældrekonsulent")
                job = bool(words) and len(words) <= 6 and (_ROLE_NOUN.search(words[0].split("-")[-1])
                                                           or _ROLE_NOUN.search(words[-1].split("-")[-1]))
                if first and (after.lstrip().startswith(",") and (re.fullmatch(r"[a-zæøå][\wæøå -]{2,50}", first)
                                                                  or job)
                              or len(words) == 1 and first.islower() and job):
                    role = re.sub(r"(?:\s+(?:for|i|til|ved|hos|of|in|at))+$", "", first)  # "konsulent i <unit>"
                    later = [w for w in role.split()[1:] if len(w) > 3]
                    if role[:1].isupper() and not re.search(r"[A-ZÆØÅ]{2}", role) and (all(w[:1].isupper() for w in later)
                                                               or not any(w[:1].isupper() for w in later)):
                        role = role.lower()  # "International Coordinator", "Pædagogisk konsulent";
                        # "UU-vejleder" and "chef for Ungeområdet" are kept
            if labelled and role is None:
                role = label
            break
    if department and name and department.lower().startswith(name.lower()):
        department = None
    return name, role or (lead_role if name else None), department


def parse_contacts(text: str) -> list[Contact]:
    """Every contact in ``text`` (a contact line or a paragraph), in order; [] when it gives no way to
    reach anyone. Each address anchors one contact; a phone goes with the address before it."""
    text = re.sub(r"\s+", " ", text).strip()
    emails = [(m.start(), m.end(), m.group(0).rstrip(".")) for m in _EMAIL.finditer(text)]
    phones = _phones(text)
    anchors = sorted([(s, e, "email", v) for s, e, v in emails]
                     + [(s, e, "phone", v) for s, e, v in phones
                        if not any(es <= s < ee for es, ee, _ in emails)])
    contacts: list[Contact] = []
    previous_end = 0
    pending_phone_for: int | None = None
    for i, (start, end, kind, value) in enumerate(anchors):
        between = _PHONE_WORD.sub(" ", text[previous_end:start])  # "… · Tlf. 88 88 52 71" goes with the address
        if kind == "phone" and pending_phone_for is not None and not re.search(r"[A-ZÆØÅ]", between):
            contacts[pending_phone_for] = _with_phone(contacts[pending_phone_for], value)
            previous_end = end
            continue
        # the clause: back to the previous anchor or sentence end, not past a ':' list opener
        clause_start = previous_end
        sentence = max(text.rfind(". ", clause_start, start), text.rfind("? ", clause_start, start))
        if sentence >= 0 and not re.search(r"[A-ZÆØÅ]\w+\s+[A-ZÆØÅ]", text[sentence:start]):
            sentence = -1  # the name is before the full stop ("Jens Holm. Mail: …" is rare); keep the clause
        clause = text[sentence + 2 if sentence >= 0 else clause_start:start]
        name, role, department = _person(clause)
        if name is None:  # "jeho@x.dk, Jens Holm" or "mail: … (Jens Holm, projektleder)"
            after = text[end:anchors[i + 1][0] if i + 1 < len(anchors) else len(text)]
            if not _EMAIL.search(after):
                name, role_after, department_after = _person(after.split(".")[0])
                role, department = role or (role_after if name else None), department or department_after
        email = valid_email(value) if kind == "email" else None
        phone = value if kind == "phone" else None
        if name is None and email and contacts and contacts[-1].email is None and previous_end and \
                not re.search(r"[A-ZÆØÅ]\w+\s+[A-ZÆØÅ]", text[previous_end:start]):
            # "Sanne Krog, Tlf.: 44 77 34 56, sakr@…": the address completes the contact before it
            last = contacts[-1]
            contacts[-1] = Contact(last.name, last.role, email, last.phone, last.department or department)
            previous_end = end
            continue
        if email is None and phone is None:
            previous_end = end
            continue
        if phone and name is None:
            previous_end = end
            continue  # a bare number with no one named is not a contact
        contacts.append(Contact(name=name, role=role, email=email, phone=phone, department=department))
        pending_phone_for = len(contacts) - 1 if email else None
        previous_end = end
    return _unique(contacts)


def named_person(text: str) -> Contact | None:
    """A person named with a job in a contact section that gives no address ("Projektleder Camilla Ravn
    står for samarbejdet"): a contact with name and role only. None when no role is named with them."""
    for match in re.finditer(rf"([\wæøåÆØÅ-]+)\s+({_NAME.pattern})", text):
        role, name = match.group(1), match.group(2)
        if _ROLE_NOUN.search(role) and _is_name(name):
            return Contact(name=name, role=role.lower())
    return None


def _with_phone(contact: Contact, phone: str) -> Contact:
    if contact.phone:
        return contact
    return Contact(contact.name, contact.role, contact.email, phone, contact.department)


def _unique(contacts: list[Contact]) -> list[Contact]:
    out: list[Contact] = []
    for contact in contacts:
        same = next((i for i, c in enumerate(out) if contact.email and c.email == contact.email
                     or contact.name and c.name == contact.name and not (c.email and contact.email)), None)
        if same is None:
            out.append(contact)
        else:  # the fuller record wins
            old = out[same]
            out[same] = Contact(old.name or contact.name, old.role or contact.role, old.email or contact.email,
                                old.phone or contact.phone, old.department or contact.department)
    return out


def parse_contact(line: str) -> Contact | None:
    """The first contact of a line like 'Kontakt chefkonsulent Bente Bundgård Jokumsen på bejo@x.dk'."""
    found = parse_contacts(line)
    return found[0] if found else None


def _is_contact_line(text: str) -> bool:
    return len(text) < 300 and bool(_EMAIL.search(text) or _phones(text))
