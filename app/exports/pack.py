"""Building a committee pack: the report (HTML and tagged PDF), the tables (XLSX and CSV), the methodology,
the recount files with their results, the audit-log extract with its checker, and ``MANIFEST.sha256``.

:func:`build_pack` returns the zip's bytes; :func:`open_data_files` returns the anonymised files that the public
open-data page offers (everything but the report, whose free text is the officers' own).
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

from flask import render_template
from flask_babel import force_locale
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.core.audit import canonical_json
from app.core.models import AuditEntry
from app.exports import pdf
from app.exports.report import Report, build_report
from app.exports.targets import Target
from app.exports.xlsx import workbook_bytes

VERIFY_SCRIPT = Path(__file__).with_name("verify_audit.py")
# zip entries get a fixed time, so the same inputs give the same bytes
ZIP_TIME = (2026, 1, 1, 0, 0, 0)


@dataclass
class Pack:
    files: dict[str, bytes]
    pdf_missing: str | None  # why report.pdf is not there, or None

    def zip_bytes(self) -> bytes:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
            for name in sorted(self.files):
                info = zipfile.ZipInfo(name, ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, self.files[name])
        return out.getvalue()


def manifest(files: dict[str, bytes]) -> bytes:
    """``sha256sum`` format: ``<hex>  <name>`` per file, sorted by name (``sha256sum -c MANIFEST.sha256`` checks it)."""
    return "".join(f"{hashlib.sha256(files[n]).hexdigest()}  {n}\n" for n in sorted(files)).encode("utf-8")


# --- the audit extract ------------------------------------------------------------------------------------------

def audit_objects(session: Session, target: Target) -> list[tuple[str, list[str]]]:
    """The (object type, ids) whose audit entries are about this target."""
    kind, obj = target.kind, target.obj
    if kind == "budget":
        from app.budgets.models import BudgetCount, PaperBatch

        headings = [h.id for h in obj.headings]
        projects = [p.id for h in obj.headings for p in h.projects]
        counts = list(session.execute(select(BudgetCount.id).where(BudgetCount.heading_id.in_(headings))).scalars()) if headings else []
        batches = list(session.execute(select(PaperBatch.id).where(PaperBatch.heading_id.in_(headings))).scalars()) if headings else []
        pairs = [("budget_processes", [obj.id]), ("budget_headings", headings), ("budget_projects", projects),
                 ("budget_counts", counts), ("budget_paper_batches", batches)]
    elif kind == "vote":
        pairs = [("votes", [obj.id])]
    elif kind == "panel":
        pairs = [("panels", [obj.id])]
    else:
        pairs = [("proposals", [p.id for p in obj])]
    return [(t, [str(i) for i in ids]) for t, ids in pairs if ids]


def audit_extract(session: Session, target: Target) -> bytes:
    """The audit-log entries about the target, one JSON line each, as hashed, with ``prev_hash`` and ``hash``."""
    objects = audit_objects(session, target)
    if not objects:
        return b""
    where = or_(*[(AuditEntry.object_type == t) & AuditEntry.object_id.in_(ids) for t, ids in objects])
    lines = []
    for entry in session.execute(select(AuditEntry).where(where).order_by(AuditEntry.id)).scalars():
        line = json.loads(canonical_json(entry))
        line.update(prev_hash=entry.prev_hash, hash=entry.entry_hash)
        lines.append(json.dumps(line, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n")
    return "".join(lines).encode("utf-8")


# --- the files ----------------------------------------------------------------------------------------------------

def data_files(session: Session, report: Report) -> dict[str, bytes]:
    """The anonymised files: tables (XLSX, CSV), recount files with their results, the audit extract and its checker."""
    out: dict[str, bytes] = {"results.xlsx": workbook_bytes(report.tables, report.target.title)}
    for table in report.tables:
        out[f"tables/{table.slug}.csv"] = table.csv_text().encode("utf-8")
    for rf in report.recount:
        out[rf.name] = rf.text.encode("utf-8")
        for name, text in rf.extra:
            out[name] = text.encode("utf-8")
        out[rf.result_name] = (json.dumps(rf.result, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode("utf-8")
    out["audit.jsonl"] = audit_extract(session, report.target)
    out["verify_audit.py"] = VERIFY_SCRIPT.read_bytes()
    out["methodology.md"] = render_template("exports/methodology_md.txt", report=report).encode("utf-8")
    return out


def open_data_files(session: Session, target: Target, locale: str = "en") -> dict[str, bytes]:
    """What the public open-data page offers, with its own ``MANIFEST.sha256``."""
    with force_locale(locale):
        files = data_files(session, build_report(session, target))
    files["MANIFEST.sha256"] = manifest(files)
    return files


def build_pack(session: Session, target: Target, locale: str = "en") -> Pack:
    """Every file of the committee pack in ``locale``; report.pdf is left out (and said why) without Pango."""
    with force_locale(locale):
        report = build_report(session, target)
        files = data_files(session, report)
        html = render_template("exports/report.html", report=report, lang=locale)
        files["report.html"] = html.encode("utf-8")
        missing = pdf.unavailable()
        if missing is None:
            files["report.pdf"] = pdf.html_to_pdf(html)
    files["MANIFEST.sha256"] = manifest(files)
    return Pack(files, missing)


def pack_name(target: Target) -> str:
    return f"folkmoot-{target.kind}-{target.key.replace(':', '_')}-committee-pack.zip"


__all__ = ["Pack", "build_pack", "open_data_files", "manifest", "audit_extract", "pack_name"]
