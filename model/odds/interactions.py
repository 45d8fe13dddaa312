"""Candidate interaction terms, in the style of ``model.odds.basis.TERMS``, for selection by cross-fitting.

Why in the odds layer: a model trained on a file (``model.training.crossfit``) stores the names of the
terms it chose in ``weights.npz``; scoring rebuilds them from these definitions by name
(``terms_named``), never from a pickle, and the odds layer must not import training.

Every candidate reads two quiz questions (one pair of questions = one candidate, which may be several
``Term``s: one per level of a choice). The pool is generic, not written for any one generator:

- every pair of choice questions among blocked, told_no_contact, anger, wronged_them, apologized,
  bad_blood, last_reply_tone, ex_reached_out (28 pairs): products of their indicator columns;
- every number question (days_silent, days_since_breakup, attempts_ignored, attempts_last_week,
  emotional_messages) times every choice question (40 pairs): coarse ramps of the number times the
  choice's indicators.

Directions stay guaranteed. A product that involves a question the guide says only hurts (a block, a
request to stop, anger, drama, ignored attempts, attempts this week, emotional messages) has every
coefficient <= 0: with rising ramps/indicators, more of the harmful answer can then still only lower the
odds. A harmful choice times days (silence, since the breakup) uses falling ramps (``fade``): its extra
harm can only shrink as days pass, as the guide's own block and request-to-stop terms do.

Owners (the question a term's contribution is explained under, and so the lookup group it joins): the
number question for number x choice; for two choices, the one whose other terms live only in the big
choice group (anger, wronged_them, apologized, bad_blood, last_reply_tone, ex_reached_out), or
told_no_contact for blocked x told_no_contact.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from model.odds.basis import Term, basis_matrix

__all__ = [
    "CANDIDATES",
    "candidate_pool",
    "refinements",
    "term_signs",
    "terms_matrix",
    "terms_named",
    "triple_candidates",
]

# choice question -> (variable, kind, knots or None, conditions per indicator, harmful?)
# ramps over a level variable (anger 0..3, blocked 0..2) give one rising indicator per level
_CHOICES: dict[str, tuple[str | None, tuple[int, ...], tuple[str, ...], bool]] = {
    "blocked": ("blocked", (0, 1, 2), (), True),
    "told_no_contact": (None, (), ("told_no_contact",), True),
    "anger": ("anger", (0, 1, 2, 3), (), True),
    "wronged_them": (None, (), ("wronged_them",), False),
    "apologized": (None, (), ("apologized",), False),
    "bad_blood": (None, (), ("bad_blood",), True),
    "last_reply_tone": (None, (), ("reply_positive", "reply_cold", "never_replied"), False),
    "ex_reached_out": (None, (), ("ex_reached_out",), False),
}
# number question -> (variable, knots, harmful?)
_NUMBERS: dict[str, tuple[str, tuple[float, ...], bool]] = {
    "days_silent": ("days_silent", (0, 7, 14, 30, 60, 120, 365), False),
    "days_since_breakup": ("days_since_breakup", (0, 30, 90, 180, 365, 730), False),
    "attempts_ignored": ("attempts_ignored", (0, 1, 2, 3, 5, 8, 13), True),
    "attempts_last_week": ("attempts_last_week", (0, 1, 2, 3, 5, 9), True),
    "emotional_messages": ("emotional_messages", (0, 1, 2, 3, 5, 8, 13), True),
}
_CHOICE_GROUP = ("anger", "wronged_them", "apologized", "bad_blood", "last_reply_tone", "ex_reached_out")


def _indicators(q: str) -> list[tuple[str, ...]]:
    """Conditions (for ``Term.by``) of each indicator of choice question ``q``."""
    var, knots, conds, _ = _CHOICES[q]
    if var is not None:
        return [(f"{var}>={int(v)}",) for v in knots[1:]]
    return [(c,) for c in conds]


def _choice_pair(a: str, b: str) -> tuple[Term, ...]:
    owner = a if a in _CHOICE_GROUP else b if b in _CHOICE_GROUP else "told_no_contact"
    harmful = _CHOICES[a][3] or _CHOICES[b][3]
    terms = []
    for ca in _indicators(a):
        for cb in _indicators(b):
            name = f"{'&'.join(ca)}|{'&'.join(cb)}"
            terms.append(Term(name, None, "flag", by=ca + cb, sign=-1 if harmful else 0, owner=owner))
    return tuple(terms)


def _number_choice(num: str, q: str) -> tuple[Term, ...]:
    var, knots, harmful_num = _NUMBERS[num]
    harmful_choice = _CHOICES[q][3]
    terms = []
    for c in _indicators(q):
        name = f"{num}|{'&'.join(c)}"
        if harmful_num:  # more of the count: more harm under the condition
            terms.append(Term(name, var, "ramp", knots, by=c, sign=-1, owner=num))
        elif harmful_choice:  # the harm of the choice may fade with days, never turn into a help
            terms.append(Term(name, var, "fade", knots, by=c, sign=-1, owner=num))
        else:
            terms.append(Term(name, var, "ramp", knots, by=c, sign=0, owner=num))
    return tuple(terms)


@cache
def candidate_pool() -> dict[str, tuple[Term, ...]]:
    """name ('q1 x q2') -> the Terms of that pair."""
    pool: dict[str, tuple[Term, ...]] = {}
    choices = list(_CHOICES)
    for i, a in enumerate(choices):
        for b in choices[i + 1 :]:
            pool[f"{a} x {b}"] = _choice_pair(a, b)
    for num in _NUMBERS:
        for q in choices:
            pool[f"{num} x {q}"] = _number_choice(num, q)
    pool.update(refinements())
    return pool


# number question -> (variable, fine knots, sign): a knot at every day or count where answers are dense,
# so that a step anywhere there (a threshold the base knots straddle) can be followed
_FINE: dict[str, tuple[str, tuple[float, ...], int]] = {
    "days_silent": ("days_silent", (*range(61), 70, 80, 90, 100, 120, 150, 180, 240, 300, 365), 0),
    "days_since_breakup": (
        "days_since_breakup",
        (*range(61), 70, 80, 90, 100, 120, 150, 180, 240, 300, 365, 500, 730),
        0,
    ),
    "attempts_ignored": ("attempts_ignored", (*range(21), 25, 30, 40), -1),
    "attempts_last_week": ("attempts_last_week", tuple(range(16)), -1),
    "emotional_messages": ("emotional_messages", (*range(21), 25, 30, 40), -1),
}


def refinements() -> dict[str, tuple[Term, ...]]:
    """One candidate per number question: ramps on fine knots, same sign and owner as its base term."""
    return {
        f"{q} fine": (Term(f"{q}~fine", var, "ramp", knots, sign=sign, owner=q),)
        for q, (var, knots, sign) in _FINE.items()
    }


CANDIDATES = tuple(candidate_pool())


def terms_matrix(terms: tuple[Term, ...], X: dict[str, np.ndarray], n: int) -> np.ndarray:
    """Basis columns of ``terms`` alone."""
    return basis_matrix(X, n, terms)


def term_signs(terms: tuple[Term, ...]) -> np.ndarray:
    return np.concatenate([np.full(len(t.column_names()), t.sign, dtype=float) for t in terms])


def triple_candidates(pair: str, pool: dict[str, tuple[Term, ...]]) -> dict[str, tuple[Term, ...]]:
    """For a chosen pair of choice questions, the triples it makes with each other choice question:
    products of the three questions' indicators (signs and owner by the same rules)."""
    parts = pair.split(" x ")
    if len(parts) != 2 or not all(q in _CHOICES for q in parts):
        return {}
    a, b = parts
    out = {}
    for c in _CHOICES:
        if c in (a, b):
            continue
        qs = sorted((a, b, c), key=list(_CHOICES).index)
        name = " x ".join(qs)
        owner = next((q for q in qs if q in _CHOICE_GROUP), "told_no_contact")
        harmful = any(_CHOICES[q][3] for q in qs)
        terms = []
        for c1 in _indicators(qs[0]):
            for c2 in _indicators(qs[1]):
                for c3 in _indicators(qs[2]):
                    conds = c1 + c2 + c3
                    terms.append(Term("|".join(conds), None, "flag", by=conds, sign=-1 if harmful else 0, owner=owner))
        out[name] = tuple(terms)
    return out


def terms_named(names: list[str]) -> tuple[Term, ...]:
    """The Terms of chosen candidates, by name (pairs, triples, refinements), in order: how a saved
    model's terms are rebuilt (weights.npz stores names only, never code or arbitrary fields)."""
    pool = dict(candidate_pool())
    out: tuple[Term, ...] = ()
    for name in names:
        if name not in pool:
            qs = name.split(" x ")
            for i in range(len(qs)):
                for j in range(i + 1, len(qs)):
                    pool.update(triple_candidates(f"{qs[i]} x {qs[j]}", pool))
        if name not in pool:
            raise ValueError(f"unknown interaction term {name!r}")
        out += pool[name]
    return out


@cache
def _all_terms() -> dict[str, Term]:
    pool = dict(candidate_pool())
    choices = list(_CHOICES)
    for i, a in enumerate(choices):
        for b in choices[i + 1 :]:
            pool.update(triple_candidates(f"{a} x {b}", pool))
    return {t.name: t for ts in pool.values() for t in ts}


def term_by_name(name: str) -> Term:
    """A candidate Term by its own name (KeyError if no candidate has it)."""
    return _all_terms()[name]
