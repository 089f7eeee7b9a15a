"""Known vulnerabilities in the dependencies: ``pip-audit`` over the environment the tests run in (the project's
runtime and development dependencies as installed from pyproject.toml, at the versions actually installed).

It asks a vulnerability service (PyPI's, pip-audit's default) about every installed distribution.  When the
service cannot be reached, or answers for none of them, the test skips with the reason, in CI too: that service
is on the public internet, not one of the services CI provides (PostgreSQL, Redis), and the CI machine's network
reaches only a package mirror whose JSON API answers 404.  Otherwise any known vulnerability fails it, named."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import pytest

from tests.conftest import require_service

TIMEOUT = 300  # seconds: one query per distribution


def _audit() -> tuple[dict | None, str]:
    cmd = [sys.executable, "-m", "pip_audit", "--format", "json", "--progress-spinner", "off", "--skip-editable"]
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
        return (f"pip-audit's vulnerability service answered for none of the {len(dependencies)} installed "
                f"distributions (for example: {example})"), []
    vulnerable = [f"{d['name']} {d['version']}: " + ", ".join(
        f"{v['id']} (fixed in {', '.join(v.get('fix_versions') or ['no release yet'])})" for v in d["vulns"])
        for d in audited if d.get("vulns")]
    return None, vulnerable


def test_no_dependency_has_a_known_vulnerability() -> None:
    if importlib.util.find_spec("pip_audit") is None:
        require_service("pip-audit is not installed (it is in the dev extra: pip install -e '.[dev]')")
    report, reason = _audit()
    if report is None:
        pytest.skip(f"{reason} (an internet service, not one CI provides)")
    unanswered, vulnerable = verdict(report)
    if unanswered:
        pytest.skip(f"{unanswered} (an internet service, not one CI provides)")
    assert not vulnerable, "known vulnerabilities (upgrade, or pin past them in pyproject.toml):\n" + "\n".join(vulnerable)


def test_the_verdict_names_vulnerabilities_and_notices_an_unanswered_audit() -> None:
    report = {"dependencies": [
        {"name": "flask", "version": "0.1", "vulns": [{"id": "PYSEC-0000-1", "fix_versions": ["3.0.0"]}]},
        {"name": "jinja2", "version": "3.1.6", "vulns": []},
        {"name": "private-thing", "skip_reason": "Dependency not found on PyPI and could not be audited"},
    ]}
    assert verdict(report) == (None, ["flask 0.1: PYSEC-0000-1 (fixed in 3.0.0)"])
    unanswered, vulnerable = verdict({"dependencies": report["dependencies"][2:]})
    assert unanswered is not None and "none of the 1" in unanswered and vulnerable == []
