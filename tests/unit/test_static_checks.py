"""The counting library's promise of strict typing, checked the way the Makefile's ``lint`` target does."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_tally_is_mypy_strict_clean() -> None:
    pytest.importorskip("mypy", reason="mypy is a development extra")
    out = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent", "--no-incremental", "app/tally"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_ruff_finds_nothing() -> None:
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is a development extra")
    out = subprocess.run([ruff, "check", "--no-cache", "."], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_long_words_wrap_everywhere_in_the_stylesheet():
    """Issue 13, item 11: the layout's body (so every page, list and table) breaks long words."""
    import re
    from pathlib import Path

    css = (Path(__file__).resolve().parents[2] / "app" / "static" / "css" / "site.css").read_text(encoding="utf-8")
    rules = re.findall(r"(?m)^body\s*\{([^}]*)\}", css)
    assert any(re.search(r"overflow-wrap:\s*anywhere", r) for r in rules), rules


def test_readme_commands_say_how_to_reach_the_virtual_environment():
    """Issue 13, item 17: the README's flask commands need the venv; `make shell` opens one with FLASK_APP set."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    readme = (root / "README.md").read_text(encoding="utf-8")
    makefile = (root / "Makefile").read_text(encoding="utf-8")
    assert "make shell" in readme and ".venv/bin/activate" in readme
    assert "\nshell:" in makefile and "FLASK_APP=wsgi.py" in makefile.split("\nshell:", 1)[1]
    axe = makefile.split("\naxe:", 1)[1].split("\n\n", 1)[0]
    assert "tests.browser.axe_crawl" in axe and "../" not in axe
    assert (root / "tests" / "browser" / "axe_crawl.py").exists()
