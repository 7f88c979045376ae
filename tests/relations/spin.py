"""The generator's synonym spinner: common words swapped for rarer ones, as article spinners do.

This list belongs to the test corpus only; the detector never sees it.
"""

from __future__ import annotations

import random
import re

SYNONYMS = {
    "said": ("stated", "remarked"),
    "warned": ("cautioned",),
    "urged": ("implored",),
    "approved": ("sanctioned",),
    "rejected": ("spurned", "rebuffed"),
    "announced": ("proclaimed",),
    "reviewed": ("scrutinised",),
    "increased": ("augmented",),
    "reduced": ("curtailed",),
    "delayed": ("postponed",),
    "planned": ("schemed",),
    "expected": ("anticipated",),
    "started": ("commenced",),
    "ended": ("concluded",),
    "asked": ("requested",),
    "needed": ("required",),
    "helped": ("assisted",),
    "showed": ("exhibited",),
    "built": ("erected",),
    "closed": ("shuttered",),
    "opened": ("unbarred",),
    "changed": ("altered",),
    "supported": ("bolstered",),
    "criticised": ("censured",),
    "promised": ("pledged",),
    "discussed": ("debated",),
    "confirmed": ("corroborated",),
    "denied": ("disavowed",),
    "began": ("commenced",),
    "end": ("finish", "terminate"),
    "start": ("commence",),
    "help": ("assist", "abet"),
    "show": ("exhibit",),
    "build": ("erect",),
    "close": ("shutter",),
    "change": ("alter",),
    "protect": ("safeguard",),
    "improve": ("ameliorate",),
    "keep": ("retain",),
    "use": ("utilise",),
    "try": ("endeavour",),
    "stop": ("cease",),
    "raise": ("elevate",),
    "meet": ("convene",),
    "hold": ("maintain",),
    "need": ("require",),
    "plan": ("scheme", "blueprint"),
    "council": ("assembly",),
    "talks": ("parleys",),
    "report": ("dossier",),
    "meeting": ("gathering", "assembly"),
    "decision": ("verdict",),
    "proposal": ("proposition",),
    "agreement": ("accord",),
    "crisis": ("predicament",),
    "project": ("venture",),
    "supply": ("provision",),
    "road": ("thoroughfare",),
    "price": ("toll",),
    "cost": ("expense", "price"),
    "threat": ("menace",),
    "risk": ("danger", "peril"),
    "problem": ("quandary",),
    "government": ("authorities",),
    "office": ("workplace", "bureau"),
    "community": ("neighbourhood",),
    "workers": ("labourers",),
    "families": ("households",),
    "residents": ("inhabitants",),
    "officials": ("functionaries",),
    "funds": ("monies",),
    "shortage": ("dearth",),
    "repairs": ("mendings",),
    "deal": ("pact",),
    "dispute": ("quarrel",),
    "warning": ("admonition",),
    "evidence": ("proof",),
    "services": ("amenities",),
    "schools": ("academies",),
    "trade": ("commerce",),
    "new": ("novel", "contemporary"),
    "major": ("main",),
    "serious": ("grave",),
    "local": ("parochial",),
    "public": ("communal",),
    "recent": ("latest",),
    "large": ("sizeable",),
    "small": ("diminutive",),
    "strong": ("robust", "sturdy"),
    "clear": ("lucid",),
    "important": ("essential", "vital"),
    "final": ("ultimate",),
    "early": ("premature",),
    "difficult": ("arduous",),
    "significant": ("appreciable",),
    "big": ("hefty", "enormous"),
    "real": ("actual", "genuine"),
    "full": ("complete",),
    "old": ("aged",),
    "high": ("lofty",),
    "heavy": ("weighty",),
    "fresh": ("contemporary",),
    "whole": ("entire",),
    "key": ("pivotal",),
    "quickly": ("swiftly",),
    "clearly": ("plainly",),
    "recently": ("lately",),
    "finally": ("eventually",),
    "openly": ("overtly",),
    "firmly": ("resolutely",),
    "largely": ("mostly",),
    "often": ("frequently",),
    "soon": ("shortly",),
    "seriously": ("gravely",),
    "week": ("sennight",),
    "people": ("folks",),
    "world": ("globe",),
    "military": ("navy",),
    "foreign": ("overseas",),
}
PHRASES = {
    "according to": "in keeping with",
    "next week": "subsequent week",
    "towards": "in direction of",
    "signed up to": "signed as much as",
}

_WORD = re.compile(r"[A-Za-z]+")


def spin(text: str, rate: float, rng: random.Random) -> str:
    """``text`` with each listed word swapped for a synonym with probability ``rate``."""
    for phrase, other in PHRASES.items():
        if phrase in text and rng.random() < rate:
            text = text.replace(phrase, other)

    def swap(match: re.Match[str]) -> str:
        word = match.group()
        options = SYNONYMS.get(word.lower())
        if not options or rng.random() >= rate:
            return word
        choice = rng.choice(options)
        return choice.capitalize() if word[0].isupper() else choice

    return _WORD.sub(swap, text)
