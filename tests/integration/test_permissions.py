"""Permissions are fail-closed: every endpoint declares who may use it, and the declarations hold."""

from __future__ import annotations

from app.auth.models import Role
from app.core.permissions import Permission, access_of, can, registered_policies
from tests.factories import make_user


def test_every_endpoint_declares_who_may_use_it(app):
    undeclared = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        view = app.view_functions[rule.endpoint]
        if access_of(view) is None:
            undeclared.append(f"{rule.endpoint} ({rule.rule})")
    assert undeclared == [], "endpoints without @public, @member or @requires: " + ", ".join(undeclared)


def test_every_permission_has_a_policy(app):
    assert set(registered_policies()) == set(Permission)


def test_unknown_users_and_suspended_accounts_may_do_nothing(app):
    admin = make_user(Role.ADMINISTRATOR)
    assert can(Permission.ACCOUNT_LIST, user=admin)
    admin.is_suspended = True
    assert not can(Permission.ACCOUNT_LIST, user=admin)


ROLE_TABLE = [
    # (role, permission, allowed)
    (None, Permission.ACCOUNT_LIST, False),
    (Role.RESIDENT, Permission.ACCOUNT_LIST, False),
    (Role.MODERATOR, Permission.ACCOUNT_LIST, False),
    (Role.OFFICER, Permission.ACCOUNT_LIST, False),
    (Role.ADMINISTRATOR, Permission.ACCOUNT_LIST, True),
    (Role.RESIDENT, Permission.AUDIT_VIEW, False),
    (Role.MODERATOR, Permission.AUDIT_VIEW, False),
    (Role.OFFICER, Permission.AUDIT_VIEW, True),
    (Role.ADMINISTRATOR, Permission.AUDIT_VIEW, True),
    (Role.OFFICER, Permission.PLACE_MANAGE, False),
    (Role.ADMINISTRATOR, Permission.PLACE_MANAGE, True),
    (Role.OFFICER, Permission.ACCOUNT_MANAGE_ROLES, False),
    (Role.ADMINISTRATOR, Permission.ACCOUNT_MANAGE_ROLES, True),
]


def test_policy_table(app):
    users = {role: make_user(role) for role in Role}
    users[Role.RESIDENT] = make_user()
    for role, permission, allowed in ROLE_TABLE:
        user = users[role] if role else None
        assert can(permission, user=user) is allowed if user else not can(permission, user=None), (role, permission)


def test_pages_enforce_their_declarations(browser, demo):
    assert browser.get("/auth/users").status_code == 302  # anonymous → sign in
    browser.sign_in("priya@demo.example.org", "folkmoot-demo")
    assert browser.get("/auth/users").status_code == 403
    assert browser.get("/audit").status_code == 403
    assert "Accounts" not in browser.get("/").get_data(as_text=True).split("<main")[0]
    browser.sign_out()
    browser.sign_in("admin@demo.example.org", "folkmoot-demo")
    assert browser.get("/auth/users").status_code == 200
    assert browser.get("/audit").status_code == 200
    assert browser.get("/auth/users/99999").status_code == 404


def test_administrator_grants_and_removes_roles_in_the_ui(browser, demo):
    from sqlalchemy import select

    from app.auth.models import User
    from app.core.models import AuditEntry
    from app.extensions import db

    tom = db.session.execute(select(User).where(User.email == "tom@demo.example.org")).scalar_one()
    browser.sign_in("admin@demo.example.org", "folkmoot-demo")
    html = browser.submit(f"/auth/users/{tom.id}", {"role": "officer", "action": "grant"}).get_data(as_text=True)
    assert "Tom Barker is now: Officer." in html
    db.session.refresh(tom)
    assert tom.has_role(Role.OFFICER)
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "role.granted", AuditEntry.object_id == str(tom.id))).scalar_one()
    assert '"officer"' in entry.data_json
    browser.submit(f"/auth/users/{tom.id}", {"role": "officer", "action": "revoke"})
    db.session.refresh(tom)
    assert not tom.has_role(Role.OFFICER)
    # an administrator cannot remove their own administrator role
    admin = db.session.execute(select(User).where(User.email == "admin@demo.example.org")).scalar_one()
    html = browser.submit(f"/auth/users/{admin.id}", {"role": "administrator", "action": "revoke"}).get_data(as_text=True)
    assert "You cannot remove your own administrator role" in html


def test_users_create_from_the_shell(app, demo):
    from sqlalchemy import select

    from app.auth.models import User
    from app.extensions import db

    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "--email", "new.officer@example.org", "--name", "New Officer",
                                 "--password", "a long password here", "--role", "officer", "--postcode", "PE15 8AH"])
    assert result.exit_code == 0, result.output
    assert "officer" in result.output
    user = db.session.execute(select(User).where(User.email == "new.officer@example.org")).scalar_one()
    assert user.has_role(Role.OFFICER) and user.home_place.name == "March North and Waldersey"
    again = runner.invoke(args=["users", "create", "--email", "new.officer@example.org", "--name", "X",
                                "--password", "a long password here"])
    assert again.exit_code != 0
    assert "already exists" in again.output
