"""The dependency lock and its known vulnerabilities.

``requirements/lock.txt`` pins every runtime and development dependency, and everything they pull in, with
each file's SHA-256 (``make lock`` regenerates it from pyproject.toml; ``make install-dev`` and so CI install
exactly it).  Two things are checked here:

* offline, that the lock is consistent with pyproject.toml: every declared dependency is pinned, each pin lies
  in the declared range, nothing is recorded as declared that pyproject.toml no longer declares, and every pin
  carries its hashes;
* ``pip-audit`` over the lock (``--require-hashes``: the pins as they are, no resolving, no environment), which
  asks a vulnerability service (PyPI's, pip-audit's default) about each pinned release.  When the service
  cannot be reached, or answers for none of them, the test skips with the reason, in CI too: that service is
  on the public internet, not one of the services CI provides (PostgreSQL, Redis), and the CI machine's
  network reaches only a package mirror whose JSON API answers 404.  Otherwise any known vulnerability fails
  it, named.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.conftest import require_service

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "requirements" / "lock.txt"
PYPROJECT = ROOT / "pyproject.toml"
PROJECT = "folkmoot (pyproject.toml)"  # how pip-compile names the project in a pin's "via" comment
TIMEOUT = 300  # seconds: one query per pinned release

_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)")


@dataclass
class Pin:
    version: Version
    hashes: int = 0
    via: list[str] = field(default_factory=list)


def parse_lock(text: str) -> dict[str, Pin]:
    """The lock's pins by canonical name, each with its number of hashes and what it is there for."""
    pins: dict[str, Pin] = {}
    current: Pin | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if (m := _PIN.match(raw)) is not None:
            name = canonicalize_name(m.group(1))
            assert name not in pins, f"{name} is pinned twice in the lock"
            current = pins[name] = Pin(Version(m.group(2)))
        elif current is not None and line.startswith("--hash=sha256:"):
            current.hashes += 1
        elif current is not None and line.startswith("#"):
            words = line.lstrip("#").strip()
            via = words.removeprefix("via").strip()
            if via:
                current.via.append(via)
        elif line and not line.startswith("#"):
            raise AssertionError(f"a line the lock should not hold: {raw!r}")
    return pins


def declared() -> list[Requirement]:
    """pyproject.toml's runtime dependencies and every optional (dev) one."""
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    rows = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        rows += extra
    return [Requirement(r) for r in rows]


def lock_problems(requirements: list[Requirement], pins: dict[str, Pin]) -> list[str]:
    """Why the lock does not match the declared requirements (empty when it does)."""
    problems = []
    names = set()
    for req in requirements:
        name = canonicalize_name(req.name)
        names.add(name)
        pin = pins.get(name)
        if pin is None:
            problems.append(f"{req.name} is declared ({req}) but not pinned in the lock")
        elif not req.specifier.contains(pin.version, prereleases=True):
            problems.append(f"{req.name} is pinned at {pin.version}, outside the declared range {req.specifier}")
    for name, pin in sorted(pins.items()):
        if PROJECT in pin.via and name not in names:
            problems.append(f"{name} is in the lock as a declared dependency, but pyproject.toml no longer declares it")
        if pin.hashes == 0:
            problems.append(f"{name} {pin.version} has no hash in the lock")
    return problems


def test_the_lock_pins_every_declared_dependency_within_its_range() -> None:
    pins = parse_lock(LOCK.read_text(encoding="utf-8"))
    requirements = declared()
    assert len(requirements) >= 30 and len(pins) >= len(requirements)
    assert lock_problems(requirements, pins) == [], "the lock is stale: run `make lock`\n" + "\n".join(lock_problems(requirements, pins))


def test_the_lock_check_notices_a_missing_pin_a_pin_out_of_range_a_leftover_and_a_missing_hash() -> None:
    pins = parse_lock("alpha==1.2 \\\n    --hash=sha256:aa\n    # via folkmoot (pyproject.toml)\n"
                      "beta==3.0 \\\n    --hash=sha256:bb\n    # via\n    #   alpha\n    #   folkmoot (pyproject.toml)\n"
                      "gamma==0.1\n    # via alpha\n")
    assert pins["beta"].via == ["alpha", PROJECT] and pins["alpha"].hashes == 1 and pins["gamma"].hashes == 0
    problems = lock_problems([Requirement("alpha>=1,<2"), Requirement("beta<3"), Requirement("delta>=1")], pins)
    assert problems == ["beta is pinned at 3.0, outside the declared range <3", "delta is declared (delta>=1) but not pinned in the lock",
                        "gamma 0.1 has no hash in the lock"]
    assert lock_problems([Requirement("alpha>=1")], pins) == [
        "beta is in the lock as a declared dependency, but pyproject.toml no longer declares it", "gamma 0.1 has no hash in the lock"]
    with pytest.raises(AssertionError, match="pinned twice"):
        parse_lock("alpha==1\nAlpha==2\n")
    with pytest.raises(AssertionError, match="should not hold"):
        parse_lock("alpha>=1\n")


def _audit() -> tuple[dict | None, str]:
    cmd = [sys.executable, "-m", "pip_audit", "--requirement", str(LOCK), "--require-hashes", "--disable-pip",
           "--format", "json", "--progress-spinner", "off"]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        return None, f"pip-audit's vulnerability service did not answer within {TIMEOUT} s"
    try:
        return json.loads(out.stdout), out.stderr
    except json.JSONDecodeError:
        last = (out.stderr.strip().splitlines() or ["no output"])[-1][:300]
        return None, f"pip-audit could not reach its vulnerability service: {last}"


def verdict(report: dict) -> tuple[str | None, list[str]]:
    """(why the audit says nothing, or None; the vulnerable distributions, named with their advisories)."""
    dependencies = report.get("dependencies", [])
    audited = [d for d in dependencies if "skip_reason" not in d]
    if not audited:
        example = dependencies[0]["skip_reason"] if dependencies else "no dependencies listed"
        return (f"pip-audit's vulnerability service answered for none of the {len(dependencies)} pinned "
                f"releases (for example: {example})"), []
    vulnerable = [f"{d['name']} {d['version']}: " + ", ".join(
        f"{v['id']} (fixed in {', '.join(v.get('fix_versions') or ['no release yet'])})" for v in d["vulns"])
        for d in audited if d.get("vulns")]
    return None, vulnerable


def test_no_locked_dependency_has_a_known_vulnerability() -> None:
    if importlib.util.find_spec("pip_audit") is None:
        require_service("pip-audit is not installed (it is in the dev extra: make install-dev)")
    report, reason = _audit()
    if report is None:
        pytest.skip(f"{reason} (an internet service, not one CI provides)")
    unanswered, vulnerable = verdict(report)
    if unanswered:
        pytest.skip(f"{unanswered} (an internet service, not one CI provides)")
    assert len(report["dependencies"]) == len(parse_lock(LOCK.read_text(encoding="utf-8")))
    assert not vulnerable, ("known vulnerabilities (raise the lower bound in pyproject.toml past the fix, then `make lock`):\n"
                            + "\n".join(vulnerable))


def test_the_verdict_names_vulnerabilities_and_notices_an_unanswered_audit() -> None:
    report = {"dependencies": [
        {"name": "flask", "version": "0.1", "vulns": [{"id": "PYSEC-0000-1", "fix_versions": ["3.0.0"]}]},
        {"name": "jinja2", "version": "3.1.6", "vulns": []},
        {"name": "private-thing", "skip_reason": "Dependency not found on PyPI and could not be audited"},
    ]}
    assert verdict(report) == (None, ["flask 0.1: PYSEC-0000-1 (fixed in 3.0.0)"])
    unanswered, vulnerable = verdict({"dependencies": report["dependencies"][2:]})
    assert unanswered is not None and "none of the 1" in unanswered and vulnerable == []
