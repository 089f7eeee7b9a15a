"""Place hierarchy, postcode look-up and place pages."""

from flask import Blueprint

bp = Blueprint("places", __name__, url_prefix="/places")

from app.places import policy, views  # noqa: E402,F401
