"""Match a form's own words to the quiz: answer labels to choices and headers to questions, each with
a confidence.

Why a module of its own: a wrong match scores rows wrongly and silently ("Not very friendly" read as
friendly), so a match proposed for a mapping must be certain, and everything else is left for a
person, with its candidates. Certain means: the label says the words of exactly one choice (or its
value), with the same polarity (a negation in the label needs one in the choice: "Not angry at all"
is "Not angry", never "Angry"), and with no word that changes degree or hedges ("a bit", "very",
"every", "maybe", "but") unless the choice says it too. Only the quiz definition's own labels and
values are matched: no synonym list that could drift from it.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from model.quiz.definition import QUIZ, Question
from model.quiz.validation import choice_value

__all__ = ["HeaderMatch", "Match", "match_choice", "match_headers", "similarity", "words"]

def _words_of(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Words that turn a statement around. The answers "no" and "none" are among them, as is "n't".
NEGATIONS = _words_of(
    "not no never none nothing nobody nowhere neither nor without nope nah false n"
)
#: Words that set a degree or a quantity: a label with one of them is certain only for a choice that
#: says it too ("some apps" is "some"; "every app" is neither "some" nor "everywhere").
DEGREE = _words_of(
    "very really quite somewhat slightly bit little extremely totally completely fully partly partially "
    "mostly pretty super so too more less most least kind sort almost nearly fairly highly absolutely "
    "incredibly mildly moderately lot much hardly barely scarcely entirely utterly all every some any few "
    "several many one two three both each only half once twice sometimes often always rarely occasionally "
    "usually extra"
)
#: Words that hedge or qualify an answer: never certain.
HEDGE = _words_of(
    "maybe perhaps possibly probably unsure unclear idk dunno depends depend guess think thought but "
    "though although however except unless until then sure know idea clue either whatever other others"
)
YES = _words_of("yes yeah yep yup y true")
#: Words that carry no meaning for a match.
STOP = _words_of(
    "a an the you your yours they them their theirs he him his she her i me my mine we us our it its to "
    "of in on or and is are was were be been being did do does done have has had how many what when which "
    "who with from for if at by as this that these those since any way ex just me myself s d ll ve re m t "
    "please answer select choose option"
)
_FILLERS = (re.compile(r"\bat all\b"), re.compile(r"\banymore\b"), re.compile(r"\bany more\b"), re.compile(r"\byet\b"))
_CONTRACTIONS = ((re.compile(r"\bcan't\b|\bcannot\b"), "can not"), (re.compile(r"\bwon't\b"), "will not"),
                 (re.compile(r"n't\b"), " not"), (re.compile(r"'(d|m|re|ve|ll|s)\b"), ""))


def _plain(text: Any) -> str:
    plain = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode("ascii")
    plain = plain.casefold().replace("’", "'").replace("_", " ")
    for pattern, repl in _CONTRACTIONS:
        plain = pattern.sub(repl, plain)
    return plain


def words(text: Any) -> list[str]:
    """Lower-case ASCII words of ``text``, contractions opened ("didn't" -> "did not")."""
    return re.findall(r"[a-z0-9]+", _plain(text))


def stem(word: str) -> str:
    if len(word) > 4 and word.endswith("ied"):
        return word[:-3] + "y"
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


@dataclass(frozen=True)
class _Reading:
    """What a text says, for matching: its content words, polarity, degree and hedge words."""

    content: frozenset[str]
    negated: bool
    special: frozenset[str]  # degree and hedge words (stemmed)
    hedged: bool

    @classmethod
    def of(cls, text: Any) -> _Reading:
        plain = _plain(text)
        for pattern in _FILLERS:
            plain = pattern.sub(" ", plain)
        ws = re.findall(r"[a-z0-9]+", plain)
        negated = any(w in NEGATIONS for w in ws)
        content = set()
        special = set()
        hedged = False
        for w in ws:
            if w in YES:
                content.add("yes")
            elif w in ("no", "nope", "nah", "n", "false", "none"):
                content.add(w if w == "none" else "no")
            elif w in NEGATIONS:
                continue
            elif w in HEDGE:
                special.add(w)
                hedged = True
            elif w in DEGREE:
                special.add(stem(w))
            elif w not in STOP:
                content.add(stem(w))
        return cls(frozenset(content), negated, frozenset(special), hedged)


@dataclass(frozen=True)
class Match:
    """A label's match: ``value`` is the choice when certain, else None; ``candidates`` are the choices
    it could mean (for a person to pick from); ``why`` says how it was decided."""

    value: str | None
    confidence: str  # "exact", "certain", "uncertain" or "none"
    candidates: tuple[str, ...]
    why: str


def _norm(text: Any) -> str:
    return re.sub(r"\s+", " ", str(text).strip()).casefold()


def _choice_reading(q: Question, value: str) -> _Reading:
    c = next(c for c in q.choices if c.value == value)
    label, val = _Reading.of(c.label), _Reading.of(c.value)
    return _Reading(label.content | val.content, label.negated or val.negated, label.special | val.special, False)


def _near(a: frozenset[str], b: frozenset[str]) -> bool:
    """Shared words, or words that begin alike (every / everywhere)."""
    return bool(a & b) or any(
        len(x) >= 4 and len(y) >= 4 and (x.startswith(y) or y.startswith(x)) for x in a for y in b
    )


def match_choice(text: Any, q: Question) -> Match:
    """The choice of ``q`` an answer label means, with how sure that is (see the module docstring)."""
    norm = _norm(text)
    key = re.sub(r"[\s\-]+", "_", norm)
    if key in q.values:
        return Match(key, "exact", (key,), "the choice's value")
    read = choice_value(q, text)
    if read is not None:  # validation reads it as it is ("1" for yes, "TRUE")
        return Match(read, "exact", (read,), "validation reads it")
    for choice in q.choices:
        if _norm(choice.label) == norm:
            return Match(choice.value, "exact", (choice.value,), "the choice's label")
    t = _Reading.of(text)
    readings = {c.value: _choice_reading(q, c.value) for c in q.choices}
    compatible = []
    for value, c in readings.items():
        if t.negated != c.negated or t.hedged or not t.special <= c.special:
            continue
        if not (t.content & c.content):
            continue
        others = set().union(*(r.content for v, r in readings.items() if v != value))
        if (t.content - c.content) & others:  # words of another choice too: "some apps, then everywhere"
            continue
        compatible.append(value)
    if len(compatible) == 1:
        return Match(compatible[0], "certain", tuple(compatible), "says that choice's words, nothing against it")
    if compatible:
        return Match(None, "uncertain", tuple(compatible), "fits several choices")
    near = tuple(v for v, c in readings.items() if _near(t.content | t.special, c.content | c.special))
    unsaid = sorted(t.special - set().union(*(r.special for r in readings.values())))
    if t.hedged:
        why = "hedged (" + ", ".join(sorted(t.special)) + ")"
    elif unsaid:
        why = "a degree word (" + ", ".join(unsaid) + ") no choice says"
    elif near and any(t.negated != readings[v].negated for v in near):
        why = "a negation the choice does not have" if t.negated else "the choice is a negation the label lacks"
    else:
        why = "no choice says these words"
    return Match(None, "uncertain" if near else "none", near, why)


# --------------------------------------------------------------------------- headers


def similarity(a: str, b: str) -> float:
    """How alike two texts are: the better of character and content-word overlap (0..1)."""
    wa, wb = words(a), words(b)
    if not wa or not wb:
        return 0.0
    ratio = difflib.SequenceMatcher(None, " ".join(wa), " ".join(wb)).ratio()
    ca = {stem(w) for w in wa if w not in STOP and w not in YES}
    cb = {stem(w) for w in wb if w not in STOP and w not in YES}
    dice = 2 * len(ca & cb) / (len(ca) + len(cb)) if ca and cb else 0.0
    return max(ratio, dice)


def _question_texts(q: Question) -> list[str]:
    texts = [q.id, q.text]
    if q.date_alternative:
        texts.append(q.date_alternative)
    return texts


@dataclass(frozen=True)
class HeaderMatch:
    question: str
    score: float
    runner_up: tuple[str, float] | None  # the next best question for this header, and its score


#: A header matches a question at this similarity or more ...
THRESHOLD = 0.55
#: ... and by this much more than it matches any other question; closer than that is uncertain.
MARGIN = 0.08


def match_headers(
    headers: list[str], skip: set[str]
) -> tuple[dict[str, HeaderMatch], dict[str, list[tuple[str, float]]]]:
    """Headers -> questions, greedy on the best score: (certain matches, uncertain ones).

    A header equal to an id (any case) is certain. Otherwise the best pair is taken first; a match
    is uncertain when another question scores within ``MARGIN`` for the same header (the header
    is then left unmapped, and the question's candidates are listed).
    """
    scores: dict[str, dict[str, float]] = {}
    for h in headers:
        if h in skip:
            continue
        row = {}
        for q in QUIZ:
            s = max(similarity(h, t) for t in _question_texts(q))
            if h.strip().casefold() in {q.id, q.date_alternative}:
                s = 2.0
            row[q.id] = s
        scores[h] = row
    pairs = sorted(((s, h, qid) for h, row in scores.items() for qid, s in row.items()), key=lambda t: -t[0])
    chosen: dict[str, HeaderMatch] = {}
    unsure: dict[str, list[tuple[str, float]]] = {}
    taken: set[str] = set()
    for s, h, qid in pairs:
        if s < THRESHOLD or h in chosen or qid in taken or h in unsure:
            continue
        rivals = sorted(((v, k) for k, v in scores[h].items() if k != qid and k not in taken), reverse=True)
        runner = (rivals[0][1], rivals[0][0]) if rivals else None
        if s < 2.0 and runner is not None and runner[1] > s - MARGIN:
            unsure[h] = [(qid, s), runner]
            continue
        chosen[h] = HeaderMatch(qid, min(s, 1.0), runner)
        taken.add(qid)
    return chosen, unsure
