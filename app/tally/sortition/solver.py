"""A small typed wrapper around HiGHS (``highspy``, MIT licence) for the library's linear and integer programs.

HiGHS is run single-threaded with a fixed random seed and no time limits, so the same model always gives the
same solution (Huangfu and Hall, "Parallelizing the dual revised simplex method", *Mathematical Programming
Computation* 10 (2018); the HiGHS documentation on options ``threads``, ``random_seed``).
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Sequence

import highspy
import numpy as np
import numpy.typing as npt

__all__ = ["Model", "SolverError"]

_BANNER_SILENCED = False


class SolverError(RuntimeError):
    """HiGHS did not reach an optimal solution where one must exist (an internal error, not bad input)."""


def _new_highs() -> highspy.Highs:
    """A silent ``Highs`` instance.  The first one in a process prints a banner on the C stdout; hide it so
    ``--json`` output stays one line."""
    global _BANNER_SILENCED
    if _BANNER_SILENCED:
        return highspy.Highs()  # type: ignore[no-untyped-call]
    fd = 1  # the C library's stdout, whatever Python's sys.stdout is
    sys.stdout.flush()
    saved = os.dup(fd)
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, fd)
        h = highspy.Highs()  # type: ignore[no-untyped-call]
        try:
            ctypes.CDLL(None).fflush(None)
        except (OSError, AttributeError):  # pragma: no cover - non-POSIX C runtime
            pass
    finally:
        os.dup2(saved, fd)
        os.close(saved)
        os.close(null)
    _BANNER_SILENCED = True
    return h


class Model:
    """A linear or mixed-integer program built column by column and row by row."""

    def __init__(self, *, mip_gap: float = 1e-4) -> None:
        h = _new_highs()
        for name, value in (
            ("output_flag", False),
            ("log_to_console", False),
            ("threads", 1),
            ("random_seed", 0),
            ("mip_rel_gap", mip_gap),
            ("mip_abs_gap", 1e-9),
        ):
            h.setOptionValue(name, value)
        self.h = h
        self.ncols = 0
        self.nrows = 0
        self.integer: list[int] = []

    def add_var(self, lb: float = 0.0, ub: float = highspy.kHighsInf, *, integer: bool = False) -> int:
        self.h.addCol(0.0, lb, ub, 0, np.array([], dtype=np.int32), np.array([], dtype=np.float64))
        index = self.ncols
        self.ncols += 1
        if integer:
            self.h.changeColIntegrality(index, highspy.HighsVarType.kInteger)
            self.integer.append(index)
        return index

    def add_col(
        self, cost: float, lb: float, ub: float, rows: Sequence[int], coefs: Sequence[float]
    ) -> int:
        self.h.addCol(
            cost, lb, ub, len(rows), np.asarray(rows, dtype=np.int32), np.asarray(coefs, dtype=np.float64)
        )
        self.ncols += 1
        return self.ncols - 1

    def change_coeff(self, row: int, col: int, value: float) -> None:
        self.h.changeCoeff(row, col, value)

    def row_duals(self) -> list[float]:
        return [float(v) for v in self.h.getSolution().row_dual]

    def add_row(self, lb: float, ub: float, cols: Sequence[int], coefs: Sequence[float]) -> int:
        self.h.addRow(
            lb, ub, len(cols), np.asarray(cols, dtype=np.int32), np.asarray(coefs, dtype=np.float64)
        )
        self.nrows += 1
        return self.nrows - 1

    def set_objective(self, cols: Sequence[int], costs: Sequence[float], *, maximise: bool) -> None:
        """Set the costs of ``cols`` (every other column keeps its cost) and the sense."""
        self.h.changeColsCost(len(cols), np.asarray(cols, dtype=np.int32), np.asarray(costs, dtype=np.float64))
        sense = highspy.ObjSense.kMaximize if maximise else highspy.ObjSense.kMinimize
        self.h.changeObjectiveSense(sense)

    def set_gap(self, gap: float) -> None:
        self.h.setOptionValue("mip_rel_gap", gap)

    def set_bounds(self, col: int, lb: float, ub: float) -> None:
        self.h.changeColBounds(col, lb, ub)

    def set_row_bounds(self, row: int, lb: float, ub: float) -> None:
        self.h.changeRowBounds(row, lb, ub)

    def set_many_bounds(self, cols: npt.NDArray[np.int32], lb: npt.NDArray[np.float64], ub: npt.NDArray[np.float64]) -> None:
        """Set the bounds of the columns ``cols`` at once."""
        self.h.changeColsBounds(len(cols), cols, lb, ub)

    def set_many_row_bounds(
        self, rows: npt.NDArray[np.int32], lb: npt.NDArray[np.float64], ub: npt.NDArray[np.float64]
    ) -> None:
        """Set the bounds of the rows ``rows`` at once."""
        self.h.changeRowsBounds(len(rows), rows, lb, ub)  # type: ignore[attr-defined]

    def set_many_costs(self, cols: npt.NDArray[np.int32], costs: npt.NDArray[np.float64]) -> None:
        """Set the costs of the columns ``cols`` at once (the sense is unchanged)."""
        self.h.changeColsCost(len(cols), cols, costs)

    def solve(self) -> str:
        """Solve; return ``"optimal"``, ``"infeasible"``, ``"unbounded"`` or HiGHS' own status text."""
        self.h.run()
        status = self.h.getModelStatus()
        if status == highspy.HighsModelStatus.kNotset:
            # Another HiGHS user in this process started the global thread pool with more threads; HiGHS
            # refuses to run single-threaded until the pool is reset.
            highspy.Highs.resetGlobalScheduler(True)
            self.h.run()
            status = self.h.getModelStatus()
        if status == highspy.HighsModelStatus.kOptimal:
            return "optimal"
        if status == highspy.HighsModelStatus.kInfeasible:
            return "infeasible"
        if status in (highspy.HighsModelStatus.kUnbounded, highspy.HighsModelStatus.kUnboundedOrInfeasible):
            return "unbounded"
        return str(self.h.modelStatusToString(status))

    def values(self) -> list[float]:
        return [float(v) for v in self.h.getSolution().col_value]

    def objective(self) -> float:
        return float(self.h.getInfo().objective_function_value)
