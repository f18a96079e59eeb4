"""The Verdensmål (UN Sustainable Development Goals, 1-17) a text names.

Forms: "Mål 4", "mål 7, 12 og 13", "SDG: 9 · 11 · 17", "Verdensmål 6 + 7", "verdensmål #9, #11 og #12", "verdensmål 7 og 13", "FN's verdensmål nr. 17", "Verdensmål 17",
"SDG 12", "Goal 13", and the goals' official Danish and English names when written as names
("Livet på land", "Kvalitetsuddannelse", "Climate Action"). A count is not a goal: "FN's 17
verdensmål" names no goal.
"""

from __future__ import annotations

import re

NAMES: dict[int, tuple[str, ...]] = {
    1: ("Afskaf fattigdom", "No Poverty"),
    2: ("Stop sult", "Afskaf sult", "Zero Hunger"),
    3: ("Sundhed og trivsel", "Good Health and Well-being"),
    4: ("Kvalitetsuddannelse", "Quality Education"),
    5: ("Ligestilling mellem kønnene", "Gender Equality"),
    6: ("Rent vand og sanitet", "Clean Water and Sanitation"),
    7: ("Bæredygtig energi", "Affordable and Clean Energy"),
    8: ("Anstændige jobs og økonomisk vækst", "Decent Work and Economic Growth"),
    9: ("Industri, innovation og infrastruktur", "Industry, Innovation and Infrastructure"),
    10: ("Mindre ulighed", "Reduced Inequalities", "Reduced Inequality"),
    11: ("Bæredygtige byer og lokalsamfund", "Sustainable Cities and Communities"),
    12: ("Ansvarligt forbrug og produktion", "Responsible Consumption and Production"),
    13: ("Klimaindsats", "Climate Action"),
    14: ("Livet i havet", "Life Below Water"),
    15: ("Livet på land", "Life on Land"),
    16: ("Fred, retfærdighed og stærke institutioner", "Peace, Justice and Strong Institutions"),
    17: ("Partnerskaber for handling", "Partnerships for the Goals"),
}
_NUMBER = r"(?:1[0-7]|[1-9])(?!\d)"
_GOAL_WORD = r"(?:(?:FN'?s\s+|UN\s+)?(?:verdens)?mål(?:ene)?|(?:global\s+)?goals?|SDGs?)"
# a label naming the goals ("Verdensmål: 9 og 17", "**SDG:** 4"); not a bare "Mål:" (an objective: "Mål: 3 nye stier")
_GOAL_LABEL = r"(?:(?:FN'?s\s+|UN\s+)?verdensmål(?:ene)?|SDGs?|(?:global\s+)?goals?)\**\s*:\s*\**"
_NUMBERED = re.compile(
    rf"\b(?:{_GOAL_LABEL}|{_GOAL_WORD})\s*(?:nr\.?|nummer|no\.?|#)?\s*({_NUMBER}(?:\s*(?:,|og|and|&|samt|/|·|\||\+)\s*"
    rf"(?:{_GOAL_WORD}\s*)?(?:nr\.?\s*|#)?{_NUMBER})*)", re.IGNORECASE)
_NAMED = re.compile("|".join(rf"(?P<g{n}_{i}>\b{re.escape(name)}\b)" for n, names in NAMES.items()
                              for i, name in enumerate(names)))


def goals_in(text: str) -> list[int]:
    """The goals ``text`` names, sorted."""
    found: set[int] = set()
    for match in _NUMBERED.finditer(text):
        found.update(int(n) for n in re.findall(_NUMBER, match.group(1)))
    for match in _NAMED.finditer(text):
        found.add(int(next(k for k, v in match.groupdict().items() if v)[1:].split("_")[0]))
    return sorted(n for n in found if 1 <= n <= 17)


def goals_asked(text: str) -> list[int]:
    """The goals a question names: as :func:`goals_in`, and also by a goal's name in any case ("cases om livet
    på land", "anstændige jobs og økonomisk vækst"): people type names in lower case."""
    lowered = text.casefold()
    named = {n for n, names in NAMES.items() for name in names
             if re.search(rf"\b{re.escape(name.casefold())}\b", lowered)}
    return sorted(set(goals_in(text)) | named)


def without_goals(text: str, replacement: str = " ") -> str:
    """``text`` with the goals it names replaced ("Vis alle cases om mål 12" -> "Vis alle cases om  "). A goal
    it names (:func:`goals_asked`) takes its name along, in any case, and the words of its name next to its
    number ("livet på land, mål 15", "responsible consumption (goal 12)", "clean energy (SDG 7)"): they say
    which goal, they are no topic of their own."""
    asked = goals_asked(text)
    text = _NAMED.sub(replacement, _NUMBERED.sub(replacement, text))
    for number in asked:
        for name in sorted(NAMES[number], key=len, reverse=True):
            text = re.sub(rf"\b{re.escape(name)}\b", replacement, text, flags=re.IGNORECASE)
        for word in {w for name in NAMES[number] for w in re.findall(r"[\wæøå-]{4,}", name.casefold())}:
            text = re.sub(rf"\b{re.escape(word)}\b", replacement, text, flags=re.IGNORECASE)
    return text


def check_goal(goal: object) -> int | None:
    """``goal`` as a Verdensmål number (None: no goal filter); ValueError for anything but a whole 1-17."""
    if goal is None:
        return None
    if isinstance(goal, bool) or not hasattr(goal, "__index__") or not 1 <= int(goal) <= 17:
        raise ValueError(f"goal must be a Verdensmål number from 1 to 17, not {goal!r}")
    return int(goal)
