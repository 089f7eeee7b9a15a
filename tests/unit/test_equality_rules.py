"""Equality monitoring without the app: the question set as data, and the small-cell suppression rule."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.equality import questions as q
from app.equality.suppression import MIN_CELL, publishable, suppress


def test_every_question_offers_prefer_not_to_say_and_has_unique_keys() -> None:
    assert len({x.key for x in q.QUESTIONS}) == len(q.QUESTIONS)
    for question in q.QUESTIONS:
        assert question.keys[-1] == q.PREFER_NOT, question.key
        assert len(set(question.keys)) == len(question.keys), question.key
        assert all(len(k) <= 30 for k in question.keys)  # the answer column's width


def test_standard_questions_are_the_census_core() -> None:
    assert q.STANDARD == ("age", "sex", "gender_identity", "ethnic_group", "disability")
    assert set(q.BY_KEY) - set(q.STANDARD) == {"religion", "sexual_orientation"}
    # the five ONS 2021 high-level ethnic groups, and the Equality Act disability answers
    assert q.BY_KEY["ethnic_group"].keys == ("asian", "black", "mixed", "white", "other", q.PREFER_NOT)
    assert q.BY_KEY["disability"].keys == ("yes_a_lot", "yes_a_little", "no", q.PREFER_NOT)


def test_stored_keeps_the_standard_order_and_refuses_unknown_questions() -> None:
    assert q.stored(["disability", "age"]) == "age,disability"
    assert [x.key for x in q.chosen("disability,age")] == ["age", "disability"]
    with pytest.raises(ValueError):
        q.stored(["age", "shoe_size"])


def test_small_cells_are_hidden_with_a_second_cell_so_the_total_does_not_give_them_away() -> None:
    assert suppress([50, 30, 3]) == [50, None, None]  # 3 alone could be worked out from 83: 30 goes too
    assert suppress([120, 40, 0]) == [120, None, None]  # zeros too
    assert suppress([5, 6, 100, 40]) == [None, None, 100, 40]  # two small ones already hide each other (11)
    assert suppress([0, 2, 100, 40]) == [None, None, 100, None]  # 0 + 2 < 10: one more
    assert suppress([12, 10, 55]) == [12, 10, 55]  # 10 is shown
    assert suppress([4, 3]) == [None, None]


@given(st.lists(st.integers(min_value=0, max_value=60), min_size=2, max_size=10))
def test_suppression_never_leaves_a_small_cell_recoverable(counts: list[int]) -> None:
    shown = suppress(counts)
    hidden = [c for c, s in zip(counts, shown, strict=True) if s is None]
    assert all(s is None for c, s in zip(counts, shown, strict=True) if c < MIN_CELL)  # every small cell hidden
    assert all(s == c for c, s in zip(counts, shown, strict=True) if s is not None)  # the rest as they are
    assert len(hidden) != 1  # a lone hidden cell is the total minus the others
    if hidden and len(hidden) < len(counts):
        assert sum(hidden) >= MIN_CELL  # the hidden cells' total, which can be worked out, is not small


def test_nothing_is_published_below_ten_answers() -> None:
    assert not publishable(9)
    assert publishable(10)
