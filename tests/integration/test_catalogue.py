"""The translation catalogue is complete: every shipped string is in messages.pot, and Polish translates all."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "translations"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def _load(path: Path):  # type: ignore[no-untyped-def]
    with open(path, "rb") as fh:
        return read_po(fh)


def test_messages_pot_is_not_stale(tmp_path):
    fresh = tmp_path / "fresh.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", str(TRANSLATIONS / "babel.cfg"),
         "-k", "_l", "-k", "lazy_gettext", "--no-location", "-o", str(fresh), "."],
        cwd=ROOT, check=True, capture_output=True,
    )
    shipped = {m.id if isinstance(m.id, str) else m.id[0] for m in _load(fresh) if m.id}
    committed = {m.id if isinstance(m.id, str) else m.id[0] for m in _load(TRANSLATIONS / "messages.pot") if m.id}
    missing = sorted(shipped - committed)
    assert not missing, f"{len(missing)} strings are missing from messages.pot; run `flask translate update`: {missing[:10]}"


def test_polish_catalogue_is_complete_and_keeps_placeholders():
    pot_ids = {m.id if isinstance(m.id, str) else m.id[0] for m in _load(TRANSLATIONS / "messages.pot") if m.id}
    catalog = _load(TRANSLATIONS / "pl" / "LC_MESSAGES" / "messages.po")
    problems = []
    translated = set()
    for m in catalog:
        if not m.id:
            continue
        key = m.id if isinstance(m.id, str) else m.id[0]
        strings = list(m.string) if isinstance(m.string, (list, tuple)) else [m.string]
        if m.fuzzy or not all(strings):
            problems.append(f"untranslated: {key!r}")
            continue
        wanted = set(PLACEHOLDER.findall(key))
        for s in strings:
            if set(PLACEHOLDER.findall(s)) != wanted and wanted:
                problems.append(f"placeholders differ: {key!r} → {s!r}")
        translated.add(key)
    missing = sorted(pot_ids - translated)
    assert not missing, f"{len(missing)} strings have no Polish translation; run `flask translate update`: {missing[:10]}"
    assert not problems, problems[:10]
