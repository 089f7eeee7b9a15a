"""Budget rules that need neither the app nor a database: phases and what they switch on, receipt codes,
and the pabulib names of the counting rules."""

from __future__ import annotations

import re
from types import SimpleNamespace

from hypothesis import given
from hypothesis import strategies as st

from app.budgets import policy
from app.budgets.models import Completion, Phase, Rule
from app.budgets.services import RECEIPT_ALPHABET, new_receipt_code, pabulib_rule, receipt_hash
from app.tally.budget import parse_rule


def test_phases_advance_in_order_and_end():
    order = []
    phase: Phase | None = Phase.DRAFTING
    while phase is not None:
        order.append(phase)
        phase = phase.next
    assert order == list(Phase)
    assert order[-1] is Phase.FINISHED


def test_each_capability_belongs_to_the_right_phases():
    def phases_with(cap: str) -> set[Phase]:
        return {p for p, caps in policy.PHASE_CAPABILITIES.items() if cap in caps}

    assert phases_with(policy.VOTE) == {Phase.BALLOTING}
    assert phases_with(policy.COUNT) == {Phase.REVIEWING_BALLOTS}
    assert phases_with(policy.RESULTS_PUBLIC) == {Phase.FINISHED}
    assert phases_with(policy.SUBMIT_PROPOSALS) == {Phase.ACCEPTING_PROPOSALS}
    assert phases_with(policy.KEY_PAPER) == {Phase.BALLOTING, Phase.REVIEWING_BALLOTS}
    assert phases_with(policy.EDIT_SETUP) == phases_with(policy.EDIT_PROJECTS) == {Phase.DRAFTING, Phase.ACCEPTING_PROPOSALS, Phase.REVIEWING}
    assert Phase.DRAFTING not in phases_with(policy.PUBLIC)


def test_phase_allows_reads_the_process_of_a_heading_or_project():
    process = SimpleNamespace(phase_enum=Phase.BALLOTING)
    from app.budgets.models import BudgetHeading, BudgetProcess

    real = BudgetProcess(phase=Phase.BALLOTING.value)
    heading = BudgetHeading(process=real)
    assert policy.phase_allows(real, policy.VOTE) and policy.phase_allows(heading, policy.VOTE)
    assert not policy.phase_allows(heading, policy.COUNT)
    assert not policy.phase_allows(process, policy.VOTE)  # not a budget object: nothing is allowed


def test_receipt_codes_look_right_and_are_all_different():
    codes = {new_receipt_code() for _ in range(500)}
    assert len(codes) == 500
    for code in codes:
        assert re.fullmatch(r"[A-Z2-9]{4}(-[A-Z2-9]{4}){3}", code)
        assert set(code.replace("-", "")) <= set(RECEIPT_ALPHABET)


@given(st.text(alphabet=RECEIPT_ALPHABET, min_size=16, max_size=16))
def test_receipt_hash_ignores_case_spaces_and_dashes(raw: str) -> None:
    grouped = "-".join(raw[i : i + 4] for i in range(0, 16, 4))
    assert receipt_hash(grouped) == receipt_hash(raw.lower()) == receipt_hash(" ".join(raw))
    assert len(receipt_hash(grouped)) == 64


def test_pabulib_rule_names_round_trip_through_the_tally():
    for rule in Rule:
        completions = list(Completion) if rule is Rule.EQUAL_SHARES else [Completion.NONE]
        for completion in completions:
            assert parse_rule(pabulib_rule(rule.value, completion.value)) == (rule.value, completion.value)
