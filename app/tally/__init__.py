"""Folkmoot's counting library.

Pure functions over frozen dataclasses: no Flask, no SQLAlchemy and no ``app.`` imports live here, so a
researcher or an auditor can lift this package out and recount any published result.  The command line
front end is ``python -m app.tally`` (see ``__main__.py``).
"""
