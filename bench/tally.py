"""Run every counting-library benchmark in sequence: ranked (IRV), budgets (Equal Shares), delegation.

Run with ``python -m bench.tally``.  Exit status is non-zero if any benchmark reported a mismatch.
"""

from __future__ import annotations

import importlib
import traceback
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    status = 0
    for name in ("bench.irv", "bench.budget", "bench.delegation"):
        try:
            module = importlib.import_module(name)
        except ImportError as exc:
            print(f"== {name}: not available ({exc})")
            continue
        try:
            code = module.main([])
        except Exception:  # noqa: BLE001 - report and carry on with the other benchmarks
            traceback.print_exc()
            code = 1
        status |= int(code or 0)
        print()
    return status


if __name__ == "__main__":
    raise SystemExit(main())
