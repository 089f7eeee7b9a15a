"""The WSGI app that ``bench/stack.py`` serves with gunicorn: the production configuration (SECRET_KEY,
DATABASE_URL and REDIS_URL from the environment), with two changes a load run on one machine needs:

- cookies without ``Secure``, because the simulated residents speak plain HTTP to 127.0.0.1 (in production
  a TLS-terminating proxy sits in front);
- the per-connection sign-in limit raised, because every simulated resident comes from 127.0.0.1, where real
  residents come from many addresses.  The per-address limits are still counted in Redis on every sign-in,
  and the per-account limit is unchanged.
"""

from __future__ import annotations

from app import create_app

app = create_app("production", {
    "SESSION_COOKIE_SECURE": False,
    "REMEMBER_COOKIE_SECURE": False,
    "RATELIMIT_LOGIN": "100000 per minute",
})
