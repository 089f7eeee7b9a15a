"""Selecting citizens' panels by sortition: stratified, fair, re-runnable by anyone.

The public API (the panels feature and the ``python -m app.tally sortition`` recount use only these names):

* :class:`Person`, :class:`Quota`, :class:`Problem` - the inputs;
* :func:`select` - LEXIMIN (default), MAXIMIN or LEGACY selection, optional transparent lottery
  (:mod:`.select`, :mod:`.fair`, :mod:`.legacy`, :mod:`.lottery`);
* :func:`check_quotas` / :class:`InfeasibleQuotas` / :class:`Infeasibility` - whether the quotas can be met
  and the smallest relaxation if not (:mod:`.feasibility`);
* :func:`inputs_sha256` - the commitment published before a draw (:mod:`.model`);
* :func:`normalise_address` - household keys for the household rule;
* :func:`draw_replacement`, :func:`rank_reserves` - after the draw (:mod:`.replace`).

References: Flanigan, Gölz, Gupta, Hennig and Procaccia, "Fair algorithms for selecting citizens'
assemblies", *Nature* 596 (2021) 548-552; Flanigan, Kehne and Procaccia, "Fair sortition made transparent",
*NeurIPS* 2021; the Sortition Foundation's sortition-algorithms (GPL, used only to test and benchmark).
"""

from __future__ import annotations

from app.tally.sortition.feasibility import check_quotas
from app.tally.sortition.model import (
    LIBRARY_VERSION,
    METHODS,
    Infeasibility,
    InfeasibleQuotas,
    Person,
    Problem,
    Quota,
    Replacement,
    Selection,
    inputs_sha256,
    normalise_address,
)
from app.tally.sortition.replace import NoReplacement, draw_replacement, rank_reserves
from app.tally.sortition.select import DEFAULT_LOTTERY, select

__all__ = [
    "DEFAULT_LOTTERY",
    "LIBRARY_VERSION",
    "METHODS",
    "Infeasibility",
    "InfeasibleQuotas",
    "NoReplacement",
    "Person",
    "Problem",
    "Quota",
    "Replacement",
    "Selection",
    "check_quotas",
    "draw_replacement",
    "inputs_sha256",
    "normalise_address",
    "rank_reserves",
    "select",
]
