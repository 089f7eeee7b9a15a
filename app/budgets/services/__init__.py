"""Budget rules, by sub-capability: :mod:`.setup` (processes, headings, pots, projects), :mod:`.phases`
(stages and publishing), :mod:`.ballots` (casting, replacing, receipts), :mod:`.paper` (batches keyed twice),
:mod:`.counting` (through ``app.tally``; results; the pabulib export).

Services take the acting user explicitly, raise DomainError, flush and never commit; views commit.
Counting itself happens in :mod:`app.tally` (pure); these modules only turn rows into tally inputs and back.
Every public name is re-exported here, so ``from app.budgets import services`` and ``services.x`` keep working.
"""

from __future__ import annotations

from app.budgets.services._common import MAX_AMOUNT_PENCE, MAX_SUPPORT_THRESHOLD, software_version
from app.budgets.services.ballots import (
    RECEIPT_ALPHABET,
    BallotCheck,
    ReceiptStatus,
    ballot_of,
    cast_ballot,
    check_choices,
    check_receipt,
    new_receipt_code,
    receipt_hash,
    register_mark,
    vote_refusal,
)
from app.budgets.services.counting import (
    GREEDY_TIES,
    TALLY_KIND,
    WHAT_IF_RULES,
    CountInputs,
    ProjectOutcome,
    _legacy_election_hash,
    compute,
    count_inputs,
    count_is_current,
    count_is_stale,
    current_minimum,
    election_hash,
    export_pabulib,
    export_sha256,
    latest_count,
    meta_money,
    minimum_of,
    minimum_support,
    outcomes,
    pabulib_rule,
    published_count,
    run_count,
    turnout,
    what_if,
)
from app.budgets.services.delegation import carried_by
from app.budgets.services.paper import (
    Mismatch,
    PaperRow,
    accept_batch,
    batch_mismatches,
    create_batch,
    discard_batch,
    key_batch,
)
from app.budgets.services.phases import (
    BACK_TO,
    LowTurnout,
    advance_phase,
    back_problems,
    early_warning,
    low_turnout_text,
    low_turnouts,
    percent_text,
    phase_problems,
    publish_problems,
    step_back,
)
from app.budgets.services.register import (
    PAPER_CHANNELS,
    PaperAllowance,
    PaperIssue,
    cancel_issue,
    find_residents,
    issue_paper,
    issue_paper_ballot,
    paper_allowance,
)
from app.budgets.services.setup import (
    Minimum,
    ProcessData,
    ProjectData,
    add_heading,
    add_pot,
    add_project,
    add_projects_from_proposals,
    cost_warnings,
    create_process,
    heading_problems,
    remove_heading,
    remove_pot,
    remove_project,
    update_heading,
    update_pot,
    update_process,
    update_project,
)

__all__ = [
    "PAPER_CHANNELS", "PaperAllowance", "PaperIssue", "cancel_issue", "carried_by", "find_residents", "issue_paper",
    "issue_paper_ballot", "paper_allowance", "register_mark",
    "BACK_TO", "LowTurnout", "Minimum", "back_problems", "cost_warnings", "current_minimum", "early_warning", "export_sha256", "low_turnout_text", "low_turnouts",
    "minimum_of", "minimum_support", "percent_text", "step_back",
    "GREEDY_TIES", "MAX_AMOUNT_PENCE", "MAX_SUPPORT_THRESHOLD", "RECEIPT_ALPHABET", "TALLY_KIND", "WHAT_IF_RULES",
    "BallotCheck", "CountInputs", "Mismatch", "PaperRow", "ProcessData", "ProjectData", "ProjectOutcome", "ReceiptStatus",
    "_legacy_election_hash", "accept_batch", "add_heading", "add_pot", "add_project", "add_projects_from_proposals",
    "advance_phase", "ballot_of", "batch_mismatches", "cast_ballot", "check_choices", "check_receipt", "compute",
    "count_inputs", "count_is_current", "count_is_stale", "create_batch", "create_process", "discard_batch",
    "election_hash", "export_pabulib", "heading_problems", "key_batch", "latest_count", "meta_money", "new_receipt_code",
    "outcomes", "pabulib_rule", "phase_problems", "publish_problems", "published_count", "receipt_hash",
    "remove_heading", "remove_pot", "remove_project", "run_count", "software_version", "turnout", "update_heading",
    "update_pot", "update_process", "update_project", "vote_refusal", "what_if",
]
