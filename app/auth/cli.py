"""``flask users create``."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.auth import services
from app.auth.models import Role
from app.core.errors import DomainError
from app.extensions import db

users_cli = AppGroup("users", help="Manage accounts from the shell.")


@users_cli.command("create")
@click.option("--email", prompt=True)
@click.option("--name", "display_name", prompt=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--postcode", default=None)
@click.option("--role", "roles", multiple=True, type=click.Choice([r.value for r in Role]), help="Repeatable.")
def create(email: str, display_name: str, password: str, postcode: str | None, roles: tuple[str, ...]) -> None:
    """Create an account, optionally with roles (e.g. --role officer)."""
    try:
        user = services.create_user(
            db.session, email=email, display_name=display_name, password=password,
            roles=[Role(r) for r in roles], postcode=postcode,
        )
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    db.session.commit()
    click.echo(f"Created account {user.id} <{user.email}> with roles: {', '.join(sorted(r.value for r in user.roles))}")


@users_cli.command("grant")
@click.argument("email")
@click.argument("role", type=click.Choice([r.value for r in Role if r is not Role.RESIDENT]))
def grant(email: str, role: str) -> None:
    """Grant ROLE to the account with EMAIL."""
    user = services.find_by_email(db.session, email)
    if user is None:
        raise click.ClickException(f"No account has the email address {email}")
    try:
        services.grant_role(db.session, None, user, Role(role))
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    db.session.commit()
    click.echo(f"{email} now has the role {role}.")
