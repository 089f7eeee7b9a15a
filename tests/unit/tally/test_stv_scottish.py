"""Scottish STV (SSI 2007/42 sch. 1 rr. 45-52): hand-worked counts, tie rules, invariants, real wards."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.tally.formats.blt import read_blt
from app.tally.ranked import RankedBallot, RankedElection
from app.tally.records import InputError
from app.tally.stv import SCALE, count_stv_scottish, fmt

DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "blt"


def election(seats: int) -> RankedElection:
    # 100 papers: 36 A>B>C, 12 A>C, 14 B, 20 C>D, 18 D>C.
    return RankedElection.from_rankings(
        ["A", "B", "C", "D"],
        [["A", "B", "C"], ["A", "C"], ["B"], ["C", "D"], ["D", "C"]],
        weights=[36, 12, 14, 20, 18],
        seats=seats,
    )


def v(text: str) -> int:
    whole, _, frac = text.partition(".")
    return int(whole) * SCALE + int(frac.ljust(5, "0"))


def test_hand_worked_surplus_then_exclusion() -> None:
    """Worked by hand.

    Quota (r. 46) = 100 // 3 + 1 = 34.  Stage 1: A 48 (elected), B 14, C 20, D 18.
    Stage 2 (r. 48): A's surplus 14; every one of A's 48 papers goes on at 14 x 1 / 48 = 0.29166 (truncated):
    B +36 x 0.29166 = 10.49976, C +12 x 0.29166 = 3.49992; 0.00032 lost to truncation.
    Stage 3 (r. 50): no surplus left; D (18) lowest is excluded; 18 papers at 1 go to C: 41.49992, elected.
    """
    r = count_stv_scottish(election(2))
    assert (r.valid_papers, r.quota) == (100, 34)
    assert r.elected == ("A", "C")
    assert r.excluded == ("D",)
    s1, s2, s3 = r.stages
    assert dict(s1.totals) == {"A": v("48"), "B": v("14"), "C": v("20"), "D": v("18")}
    assert s1.elected == ("A",)
    assert s2.action == "surplus" and s2.candidate == "A"
    assert s2.transfer_values == ((SCALE, v("0.29166")),)
    assert s2.transfers["B"] == v("10.49976") and s2.transfers["C"] == v("3.49992")
    assert s2.transfers["A"] == -v("14")
    assert (s2.non_transferable, s2.rounding_loss) == (0, v("0.00032"))
    assert dict(s2.totals) == {"A": v("34"), "B": v("24.49976"), "C": v("23.49992"), "D": v("18")}
    assert s3.action == "exclusion" and s3.candidate == "D"
    assert s3.totals["C"] == v("41.49992") and s3.totals["D"] == 0
    assert s3.elected == ("C",)
    assert s3.non_transferable_total == v("0.00032")
    assert r.lots == ()


def test_hand_worked_second_surplus_uses_value_when_received() -> None:
    """Three seats, quota 100 // 4 + 1 = 26.

    Stage 2: A's surplus 22 at 22/48 = 0.45833: B 14 + 36 x 0.45833 = 30.49988 (elected),
    C 20 + 12 x 0.45833 = 25.49996; 0.00016 lost.
    Stage 3: B's surplus 4.49988 over B's 30.49988 votes (r. 48(3)-(4)): papers received at 0.45833 go on at
    4.49988 x 0.45833 / 30.49988 = 0.06762, B's own first-preference papers at 4.49988 / 30.49988 = 0.14753.
    C + 36 x 0.06762 = 2.43432 -> 27.93428 (elected); the 14 "B only" papers are non-transferable
    (14 x 0.14753 = 2.06542); 0.00014 lost to truncation.
    """
    r = count_stv_scottish(election(3))
    assert r.quota == 26
    assert r.elected == ("A", "B", "C")
    s2, s3 = r.stages[1], r.stages[2]
    assert s2.totals["B"] == v("30.49988") and s2.totals["C"] == v("25.49996")
    assert s2.rounding_loss == v("0.00016")
    assert s2.elected == ("B",)
    assert s3.candidate == "B"
    assert s3.transfer_values == ((SCALE, v("0.14753")), (v("0.45833"), v("0.06762")))
    assert s3.transfers["C"] == v("2.43432")
    assert s3.non_transferable == v("2.06542")
    assert s3.rounding_loss == v("0.00014")
    assert s3.totals["C"] == v("27.93428")
    assert s3.non_transferable_total == v("2.06572")


def test_exclusion_tie_looks_back_then_last_vacancy_rule() -> None:
    # Quota 20 // 2 + 1 = 11.  Stage 1: A 10, B 4, C 5, D 1.  Stage 2: D excluded -> B 5 = C 5 (tie).
    # Rule 51(2)(a): at stage 1 B had 4 < C 5, so B is excluded (stage 3).  Then A and C remain for one
    # vacancy: C (5) excluded at stage 4, and rule 52 deems A elected although A never reached the quota.
    e = RankedElection.from_rankings(
        ["A", "B", "C", "D"], [["A"], ["B"], ["C"], ["D", "B"]], weights=[10, 4, 5, 1], seats=1
    )
    r = count_stv_scottish(e)
    assert r.excluded == ("D", "B", "C")
    assert r.elected == ("A",)
    assert r.lots == ()
    assert any("stage 1" in note for note in r.stages[2].notes)
    assert any("rule 52" in note for note in r.stages[-1].notes)


def test_tie_at_every_stage_goes_to_lot() -> None:
    e = RankedElection.from_rankings(["A", "B", "C"], [["A"], ["B"], ["C"]], weights=[5, 3, 3], seats=1)
    r1 = count_stv_scottish(e, seed=11)
    r2 = count_stv_scottish(e, seed=11)
    assert r1 == r2
    assert len(r1.lots) == 1 and r1.lots[0].purpose == "exclude"
    assert set(r1.lots[0].tied) == {"B", "C"}
    outcomes = {count_stv_scottish(e, seed=s).excluded[0] for s in range(20)}
    assert outcomes == {"B", "C"}


def test_equal_surpluses_ordered_by_lot_when_never_unequal() -> None:
    e = RankedElection.from_rankings(
        ["A", "B", "C", "D"], [["A", "C"], ["B", "D"], ["C"], ["D"]], weights=[40, 40, 10, 10], seats=3
    )
    r = count_stv_scottish(e, seed=4)
    # Quota 26; A and B both have 40 at stage 1 and were never unequal: rule 49(3), lot.
    assert r.stages[0].elected in {("A", "B"), ("B", "A")}
    assert [lot.purpose for lot in r.lots] == ["elect-order"]
    assert r.stages[1].candidate == r.stages[0].elected[0]


def test_all_continuing_elected_when_equal_to_vacancies() -> None:
    e = RankedElection.from_rankings(["A", "B"], [["A"], ["B"]], weights=[3, 1], seats=2)
    r = count_stv_scottish(e)
    assert r.elected == ("A", "B")
    assert len(r.stages) == 1


def test_withdrawn_candidate_skipped() -> None:
    e = RankedElection.from_rankings(
        ["A", "B", "C"], [["B", "A"], ["C"]], weights=[6, 4], seats=1, withdrawn=["B"]
    )
    r = count_stv_scottish(e)
    assert "B" not in r.stages[0].totals
    assert r.stages[0].totals["A"] == v("6")
    assert r.elected == ("A",)


def test_bad_seats() -> None:
    with pytest.raises(InputError):
        count_stv_scottish(election(2), seats=0)


def test_fmt() -> None:
    assert fmt(v("1234.56789")) == "1234.56789"
    assert fmt(-v("0.5")) == "-0.50000"


@st.composite
def stv_elections(draw: st.DrawFn) -> RankedElection:
    n = draw(st.integers(min_value=2, max_value=7))
    ranking = st.permutations(list(range(n))).flatmap(
        lambda perm: st.integers(min_value=1, max_value=n).map(lambda k: tuple(perm[:k]))
    )
    raw = draw(st.lists(st.tuples(ranking, st.integers(min_value=1, max_value=40)), min_size=1, max_size=25))
    seats = draw(st.integers(min_value=1, max_value=n))
    return RankedElection(
        candidates=tuple(f"C{i}" for i in range(n)),
        ballots=tuple(RankedBallot(r, w) for r, w in raw),
        seats=seats,
    )


@settings(max_examples=300, deadline=None)
@given(stv_elections(), st.integers(min_value=0, max_value=1000))
def test_value_is_conserved_and_seats_filled(e: RankedElection, seed: int) -> None:
    r = count_stv_scottish(e, seed=seed)
    total = r.valid_papers * SCALE
    for s in r.stages:
        assert sum(s.totals.values()) + s.non_transferable_total == total
        assert sum(s.transfers.values()) + s.non_transferable + s.rounding_loss == (
            total if s.number == 1 else 0
        )
        assert s.non_transferable >= 0 and s.rounding_loss >= 0
    assert len(r.elected) == e.seats
    assert len(set(r.elected)) == e.seats
    assert not set(r.elected) & set(r.excluded)
    for s in r.stages:
        for name in s.elected:
            # elected on reaching the quota, or by the last-vacancies rule
            assert s.totals[name] >= r.quota * SCALE or any("rule 52" in n for n in s.notes)


# ----------------------------------------------------------------------------------------------------
# Real Scottish council wards (mggg/scot-elex; see ../shared/data/README.md).


def blt_files() -> list[Path]:
    return sorted(DATA.glob("*.blt")) if DATA.is_dir() else []


@pytest.mark.skipif(not DATA.is_dir(), reason=f"real BLT data not found at {DATA}")
@pytest.mark.parametrize("path", blt_files(), ids=lambda p: p.name)
def test_real_ward_parses_and_counts(path: Path) -> None:
    e, digest = read_blt(path)
    r = count_stv_scottish(e)
    assert len(digest) == 64
    assert len(r.elected) == e.seats
    total = r.valid_papers * SCALE
    for s in r.stages:
        assert sum(s.totals.values()) + s.non_transferable_total == total


@pytest.mark.skipif(not (DATA / "inverclyde_2017_ward3.blt").exists(), reason="Inverclyde data not found")
def test_inverclyde_central_2017_matches_published_count() -> None:
    # Published count (Inverclyde Council, 4 May 2017; as tabulated on Wikipedia "Inverclyde Central (ward)"):
    # valid 2,994, quota 749; elected McEleny, McCormick, Jackson; stage figures to two decimals.
    e, _ = read_blt(DATA / "inverclyde_2017_ward3.blt")
    r = count_stv_scottish(e)
    assert (r.valid_papers, r.quota) == (2994, 749)
    assert set(r.elected) == {"Jim MCELENY (SNP)", "Michael MCCORMICK (Lab)", "Colin JACKSON (Lab)"}
    published = {
        "Colin JACKSON (Lab)": ["435", "443.52", "600.95", "622.37", "751.33"],
        "Ian Thomas BRYSON (C)": ["276", "276.92", "280.57", "302.93"],
        "Jayne PEBERDY (SNP)": ["255", "452.29", "464.59", "477.97", "489.66"],
        "Kenny SHEPHERD (LD)": ["85", "87.30", "94.36"],
    }
    for name, figures in published.items():
        for stage, figure in zip(r.stages, figures, strict=False):
            assert f"{round(stage.totals[name] / SCALE, 2):.2f}" == f"{float(figure):.2f}", (
                name,
                stage.number,
            )


@pytest.mark.skipif(
    not (DATA / "south_lanarkshire_2017_ward15.blt").exists(), reason="South Lanarkshire data not found"
)
def test_blantyre_2017_matches_published_result() -> None:
    # Published (The Blantyre Telegraph, 5 May 2017): elected Razzaq (1,663 first preferences),
    # Chalmers (1,354) and Thomson (731).
    e, _ = read_blt(DATA / "south_lanarkshire_2017_ward15.blt")
    r = count_stv_scottish(e)
    assert set(r.elected) == {"Mo RAZZAQ (Lab)", "Maureen CHALMERS (SNP)", "Bert THOMSON (Lab)"}
    first = r.stages[0].totals
    assert first["Mo RAZZAQ (Lab)"] == 1663 * SCALE
    assert first["Maureen CHALMERS (SNP)"] == 1354 * SCALE
    assert first["Bert THOMSON (Lab)"] == 731 * SCALE


@pytest.mark.skipif(
    not (DATA / "perth_kinross_2017_ward12.blt").exists(), reason="Perth & Kinross data not found"
)
def test_perth_city_centre_2017_matches_published_count() -> None:
    # Published count (Perth & Kinross Council, 4 May 2017; as tabulated on Wikipedia "Perth City Centre
    # (ward)"): quota 1,077; elected Ahern, Drysdale, Barrett, Parrott; stage figures to two decimals.
    # Stages 2-4 are three successive surplus transfers (Ahern, then Barrett, then Drysdale).
    e, _ = read_blt(DATA / "perth_kinross_2017_ward12.blt")
    r = count_stv_scottish(e)
    assert r.quota == 1077
    assert set(r.elected) == {
        "Chris AHERN (C)",
        "Eric DRYSDALE (SNP)",
        "Peter Anthony BARRETT (LD)",
        "Andrew PARROTT (SNP)",
    }
    published = {
        "Andrew PARROTT (SNP)": [
            "758",
            "763.06",
            "780.22",
            "792.20",
            "792.21",
            "809.79",
            "895.96",
            "1086.40",
        ],
        "Tricia DUNCAN (Lab)": ["474", "554.93", "627.55", "628.32", "633.90", "668.24", "739.77"],
        "Fraser Calum HUNTER (Grn)": ["174", "191.51", "218.62", "219.19", "225.54", "250.69"],
        "Peter Anthony BARRETT (LD)": ["1038", "1313.87"],
        "Eric DRYSDALE (SNP)": ["1076", "1091.17"],
        "Ian THOMSON (Scotland Ind Network)": ["78", "132.08"],
    }
    for name, figures in published.items():
        for stage, figure in zip(r.stages, figures, strict=False):
            assert f"{round(stage.totals[name] / SCALE, 2):.2f}" == f"{float(figure):.2f}", (
                name,
                stage.number,
            )


def test_notes_not_repeated_when_last_vacancies_filled() -> None:
    # Quota 20 // 3 + 1 = 7: A elected at stage 1, A's surplus is non-transferable (stage 2); B and C were
    # equal at every stage, so stage 3 excludes one by lot, and rule 52 then elects the other at stage 3.
    e = RankedElection.from_rankings(["A", "B", "C"], [["A"], ["B"], ["C"]], weights=[10, 5, 5], seats=2)
    r = count_stv_scottish(e, seed=3)
    last = r.stages[-1]
    assert last.action == "exclusion" and len(r.lots) == 1
    assert len(last.notes) == 2 and "rule 52" in last.notes[1]
    assert len(r.elected) == 2 and r.elected[0] == "A"
