"""``python -m app.tally``: the independent recount command.

It needs neither the web application nor a database.  Each sub-command lives in its own module, which
exposes ``register(subparsers)``; the module adds its parser and sets ``func`` to a callable taking the
parsed arguments and returning an exit code.  Bad input exits with status 2 and a message on stderr.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from app.tally import cli_invitations, cli_pb, cli_ranked, cli_sortition
from app.tally.records import InputError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m app.tally",
        description=(
            "Recount ranked elections (BLT files) and participatory budgets (pabulib files), and re-run "
            "citizens' panel draws (selections and invitation lotteries)."
        ),
    )
    subparsers = parser.add_subparsers(dest="command", required=True)
    cli_ranked.register(subparsers)
    cli_pb.register(subparsers)
    cli_sortition.register(subparsers)
    cli_invitations.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
