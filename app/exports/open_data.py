"""The public open-data pages: each finished process's anonymised files under the Open Government Licence v3.0."""

from __future__ import annotations

from flask import Response, abort, render_template

from app.core.permissions import public
from app.exports import open_data_bp as bp
from app.exports.pack import open_data_files
from app.exports.targets import Target, UnknownTarget, all_targets, resolve
from app.extensions import db

MIMETYPES = {".csv": "text/csv; charset=utf-8", ".json": "application/json", ".jsonl": "application/jsonl; charset=utf-8",
             ".md": "text/markdown; charset=utf-8", ".py": "text/x-python; charset=utf-8", ".sha256": "text/plain; charset=utf-8",
             ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".pb": "text/plain; charset=utf-8",
             ".blt": "text/plain; charset=utf-8"}


def finished_or_404(kind: str, key: str) -> Target:
    try:
        target = resolve(db.session, kind, key)
    except UnknownTarget:
        abort(404)
    if not target.is_finished:
        abort(404)
    return target


@bp.route("/")
@public
def index() -> str:
    return render_template("open_data/index.html", targets=[t for t in all_targets(db.session) if t.is_finished])


@bp.route("/<kind>/<key>/")
@public
def show(kind: str, key: str) -> str:
    target = finished_or_404(kind, key)
    files = open_data_files(db.session, target)
    return render_template("open_data/show.html", target=target, files=sorted((n, len(b)) for n, b in files.items()))


@bp.route("/<kind>/<key>/<path:name>")
@public
def file(kind: str, key: str, name: str) -> Response:
    target = finished_or_404(kind, key)
    files = open_data_files(db.session, target)
    if name not in files:
        abort(404)
    suffix = "." + name.rsplit(".", 1)[-1]
    return Response(files[name], mimetype=MIMETYPES.get(suffix, "application/octet-stream"),
                    headers={"Content-Disposition": f'attachment; filename="{name.rsplit("/", 1)[-1]}"'})
