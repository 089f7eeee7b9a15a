"""Folkmoot: digital democracy and participatory budgeting for UK local councils."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(config_name: str | None = None, overrides: dict[str, Any] | None = None) -> Flask:
    """Application factory: configuration, extensions, blueprints, CLI and error handlers.

    Flask and the configuration are imported here, not at module level, so that the pure counting
    library (``app.tally``) can be imported and run without the web stack.
    """
    from flask import Flask

    from config import CONFIGS

    app = Flask(__name__, template_folder="../templates", instance_relative_config=True)
    name = config_name or os.environ.get("FOLKMOOT_CONFIG", "development")
    config_class = CONFIGS[name]
    app.config.from_object(config_class)
    app.config.update(config_class.from_environment())
    if overrides:
        app.config.update(overrides)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        os.makedirs(app.instance_path, exist_ok=True)

    from app import core, extensions
    from app.auth.models import User
    from app.auth.queries import signed_in_user
    from app.core import errors, i18n, security

    extensions.db.init_app(app)
    extensions.migrate.init_app(app, extensions.db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"), render_as_batch=True)
    extensions.csrf.init_app(app)
    extensions.babel.init_app(app, locale_selector=i18n.select_locale)
    extensions.limiter.init_app(app)
    login_manager = extensions.login_manager
    login_manager.init_app(app)
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = None  # the sign-in page explains itself

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        # ``id:token``: the token must still be the account's (signing out and password changes replace it);
        # the account loads in one statement with its roles and home area
        uid, _, token = user_id.partition(":")
        if not uid.isdigit() or not token:
            return None
        user = extensions.db.session.execute(signed_in_user(int(uid))).unique().scalar_one_or_none()
        return user if user is not None and not user.is_deleted and user.holds_session(token) else None

    if app.testing:
        app.extensions["mail_outbox"] = []

    from app import auth, places, proposals
    from app.auth.cli import users_cli
    from app.core import policy as _core_policy  # noqa: F401  (registers policies)
    from app.core import views as _core_views  # noqa: F401
    from app.core.cli import audit_cli, ballots_cli, demo_cli, forms_cli, translate_cli
    from app.places.cli import places_cli

    app.register_blueprint(core.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(places.bp)
    app.register_blueprint(proposals.bp)
    # feature blueprints: each feature adds its own import and register_blueprint line below this one
    from app import deliberation
    app.register_blueprint(deliberation.bp)
    from app import budgets
    app.register_blueprint(budgets.bp)
    from app import panels
    from app.core import home_items  # noqa: F401  (the home page's budget and proposal items)
    app.register_blueprint(panels.bp)
    from app import delegation
    app.register_blueprint(delegation.bp)
    from app import voting
    app.register_blueprint(voting.bp)
    from app import api
    app.register_blueprint(api.bp)
    from app import exports
    app.register_blueprint(exports.bp)
    app.register_blueprint(exports.open_data_bp)
    from app import equality
    app.register_blueprint(equality.bp)
    for group in (users_cli, places_cli, audit_cli, translate_cli, demo_cli, forms_cli, ballots_cli):
        app.cli.add_command(group)
    from app.core.jobs import worker_command
    app.cli.add_command(worker_command)

    i18n.init_app(app)
    security.init_app(app)
    errors.register_error_handlers(app)

    from app.core.permissions import Permission, can

    app.jinja_env.globals.update(can=can, Permission=Permission)
    return app
