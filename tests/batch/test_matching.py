"""The answer-label matcher: certain only when a label says one choice's words and nothing against them."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model.batch.matching import NEGATIONS, match_choice, words
from model.quiz.definition import QUIZ

CHOICE_QUESTIONS = [q for q in QUIZ if q.choices]
#: Every choice whose own label and value say no negation: a label that negates one of them can be built.
PLAIN = [(q, c) for q in CHOICE_QUESTIONS for c in q.choices
         if not (set(words(c.label)) | set(words(c.value))) & NEGATIONS]

NEGATE = [
    "not {}", "Not {}", "NOT {}", "not really {}", "not very {}", "not {} at all", "never {}", "{}? No", "{} - not",
    "No, not {}", "they aren't {}", "they weren't {}", "I don't think {}", "didn't say {}", "not so {}",
    "{}, never", "no longer {}", "Isn't {}", "hasn't been {}", "nothing {}", "won't be {}", "can't say {}",
]
NEUTRAL = st.sampled_from(["", "they", "me", "my ex", "really", "honestly", "(lately)", "!", "...", "app", "now"])


@settings(max_examples=300, deadline=None)
@given(
    pick=st.sampled_from(PLAIN),
    pattern=st.sampled_from(NEGATE),
    before=NEUTRAL,
    after=NEUTRAL,
    case=st.sampled_from([str, str.lower, str.upper, str.title]),
)
def test_a_label_that_negates_a_choice_is_never_matched_to_it(pick, pattern, before, after, case):
    q, choice = pick
    for text in (choice.label, choice.value.replace("_", " ")):
        label = case(" ".join(p for p in (before, pattern.format(text), after) if p))
        got = match_choice(label, q)
        assert got.value != choice.value, (label, got)


@settings(max_examples=200, deadline=None)
@given(
    pick=st.sampled_from(PLAIN),
    degree=st.sampled_from(["very", "a bit", "slightly", "somewhat", "totally", "extremely", "kind of", "every",
                            "mostly", "a little", "maybe", "sort of"]),
)
def test_a_degree_or_hedge_the_choice_does_not_say_is_never_certain(pick, degree):
    """'a bit annoyed', 'very angry', 'maybe yes': left for a person, with the choice among the candidates."""
    q, choice = pick
    if degree in words(choice.label):
        return
    got = match_choice(f"{degree} {choice.label}", q)
    assert got.value is None and got.confidence in ("uncertain", "none"), got


@pytest.mark.parametrize(
    ("qid", "label", "value"),
    [
        ("blocked", "Yes, on some apps or my number", "some"),
        ("blocked", "Yes, everywhere", "everywhere"),
        ("blocked", "Blocked me everywhere", "everywhere"),
        ("blocked", "No, not at all", "no"),
        ("anger", "Not angry at all", "none"),
        ("anger", "Calm, not angry", "none"),
        ("last_reply_tone", "Warm and friendly", "positive"),
        ("last_reply_tone", "They haven't replied yet", "never_replied"),
        ("last_reply_tone", "No reply", "never_replied"),
        ("told_no_contact", "Yes, they did", "yes"),
        ("told_no_contact", "1", "yes"),
        ("told_no_contact", "No, never", "no"),
        ("safety_concern", "I'd rather not say", "prefer_not_to_say"),
        ("safety_concern", "No", "no"),
    ],
)
def test_labels_that_say_one_choice_are_matched(qid, label, value):
    assert match_choice(label, QUIZ[qid]).value == value


@pytest.mark.parametrize(
    ("qid", "label", "candidates"),
    [
        ("blocked", "Yes, on every app and my number", ("some", "everywhere")),  # 'every' is no choice's word
        ("last_reply_tone", "Not very friendly", ("positive",)),  # negated: never 'positive'
        ("anger", "A bit annoyed", ("annoyed",)),
        ("anger", "Very angry", ("none", "angry")),
        ("told_no_contact", "Yes, but only once", ("yes",)),
        ("blocked", "Yes", ()),  # some or everywhere?
        ("anger", "Livid", ()),
    ],
)
def test_uncertain_labels_are_left_unmapped_with_their_candidates(qid, label, candidates):
    got = match_choice(label, QUIZ[qid])
    assert got.value is None and set(got.candidates) == set(candidates), got
