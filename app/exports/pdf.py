"""``report.pdf``: the report's accessible HTML as a tagged PDF (PDF/UA-1) with WeasyPrint.

WeasyPrint needs the Pango libraries from Debian (``make pdf-deps`` installs them); without them the import
fails with ``OSError``, and :func:`unavailable` says what to install.
"""

from __future__ import annotations

PANGO_HELP = ("report.pdf needs WeasyPrint's Pango libraries: install them with `make pdf-deps` "
              "(Debian: apt-get install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0).")


def unavailable() -> str | None:
    """None when PDFs can be made, otherwise what to install."""
    try:
        import weasyprint  # noqa: F401
    except (OSError, ImportError) as exc:
        return f"{PANGO_HELP} ({exc.__class__.__name__}: {str(exc).splitlines()[0][:160]})"
    return None


def html_to_pdf(html: str) -> bytes:
    from weasyprint import HTML

    document = HTML(string=html, base_url=".")
    return document.write_pdf(pdf_variant="pdf/ua-1", pdf_tags=True) or b""
