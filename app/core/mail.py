"""Outgoing e-mail.  With MAIL_SERVER set, messages go by SMTP; otherwise (development) they are logged.

In testing, messages are also appended to ``app.extensions["mail_outbox"]`` so tests can read them.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from flask import current_app


def send_mail(to: str, subject: str, body: str) -> None:
    cfg = current_app.config
    msg = EmailMessage()
    msg["From"] = cfg["MAIL_FROM"]
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content(body)
    outbox = current_app.extensions.get("mail_outbox")
    if outbox is not None:
        outbox.append(msg)
    if cfg.get("MAIL_SERVER"):
        with smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=20) as smtp:
            if cfg.get("MAIL_USE_TLS"):
                smtp.starttls()
            if cfg.get("MAIL_USERNAME"):
                smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"] or "")
            smtp.send_message(msg)
    else:
        current_app.logger.warning("E-mail not sent (no MAIL_SERVER); it would have said:\nTo: %s\nSubject: %s\n\n%s", to, subject, body)
