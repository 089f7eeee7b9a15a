"""app/tally is a pure library: no Flask, no SQLAlchemy, no app modules outside app.tally."""

from __future__ import annotations

import ast
from pathlib import Path

TALLY = Path(__file__).resolve().parents[3] / "app" / "tally"
FORBIDDEN_ROOTS = {"flask", "sqlalchemy", "werkzeug", "wtforms"}


def forbidden(module: str) -> bool:
    root = module.split(".")[0]
    if root in FORBIDDEN_ROOTS or root.startswith("flask_"):
        return True
    if root == "app":
        return not (module == "app.tally" or module.startswith("app.tally."))
    return False


def imports(path: Path) -> list[tuple[int, str]]:
    package = ".".join(path.relative_to(TALLY.parents[1]).with_suffix("").parts[:-1])
    return _imports_from(path.read_text(encoding="utf-8"), package)


def _imports_from(source: str, package: str) -> list[tuple[int, str]]:
    """Absolute module names imported by ``source``, a module inside ``package``."""
    tree = ast.parse(source)
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module == "app":  # from app import x -> judge app.x
                found.extend((node.lineno, f"app.{alias.name}") for alias in node.names)
            else:
                found.append((node.lineno, module))
    return found


def test_tally_is_pure() -> None:
    files = sorted(TALLY.rglob("*.py"))
    assert files, f"no sources found under {TALLY}"
    bad = [
        f"{p.relative_to(TALLY.parents[1])}:{line}: {mod}"
        for p in files
        for line, mod in imports(p)
        if forbidden(mod)
    ]
    assert not bad, "app/tally must not import these:\n" + "\n".join(bad)


def test_checker_catches_violations() -> None:
    assert forbidden("flask") and forbidden("flask_login") and forbidden("sqlalchemy.orm")
    assert forbidden("app.models") and forbidden("app")
    assert not forbidden("app.tally.records") and not forbidden("numpy")
    # A module inside app.tally: relative and package imports are resolved to absolute names.
    source = "from app import tally\nfrom app import extensions\nfrom .. import models\nimport flask_babel\n"
    found = [m for _, m in _imports_from(source, "app.tally")]
    assert found == ["app.tally", "app.extensions", "app.models", "flask_babel"]
    assert [m for m in found if forbidden(m)] == ["app.extensions", "app.models", "flask_babel"]
