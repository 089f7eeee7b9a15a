"""marked register across channels; ballot secrecy at rest

Registers (budget_register, vote_register) say who voted, by which channel and when; the ballot boxes
(budget_ballots, vote_ballots) keep what was chosen under a keyed token HMAC-SHA256(key, scope:id:voter)
instead of the voter's id, with random 64-bit ids and the day only.  Existing ballots are converted: each
online ballot's voter is marked on the register (at the ballot's time) and its token computed with the
application's key (BALLOT_SECRET, else SECRET_KEY), so run this with the production configuration.  The
downgrade joins the two back through the same key.

Revision ID: h5a0register
Revises: h2a0votes
Create Date: 2026-12-05 08:00:00

"""
import hashlib
import hmac
import os
import secrets
from datetime import datetime, time

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'h5a0register'
down_revision = 'h6a0sessions'
branch_labels = None
depends_on = None


def _key():
    try:
        from flask import current_app

        key = current_app.config.get("BALLOT_SECRET") or current_app.config.get("SECRET_KEY")
    except RuntimeError:  # no application context
        key = os.environ.get("BALLOT_SECRET") or os.environ.get("SECRET_KEY")
    if not key:
        raise RuntimeError("set BALLOT_SECRET or SECRET_KEY: ballot tokens are computed with it")
    return key.encode("utf-8") if isinstance(key, str) else bytes(key)


def _token(key, scope, object_id, voter_id):
    return hmac.new(key, f"{scope}:{int(object_id)}:{int(voter_id)}".encode("ascii"), hashlib.sha256).hexdigest()


def _new_ids(conn, table):
    """old id -> new random 63-bit id for every row of ``table`` (never a small id, so no clash with old ones)."""
    ids = [r[0] for r in conn.execute(sa.text(f"SELECT id FROM {table}"))]
    fresh = set()
    while len(fresh) < len(ids):
        fresh.add(secrets.randbits(63) | (1 << 40))
    return dict(zip(ids, secrets.SystemRandom().sample(sorted(fresh), len(fresh)), strict=True))


def _as_date(value):
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.date() if isinstance(value, datetime) else value


def _as_datetime(value):
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value).date() if len(value) <= 10 else datetime.fromisoformat(value)
    return value if isinstance(value, datetime) else datetime.combine(value, time())


def _renumber(conn, table, children, mapping):
    """Give ``table``'s rows their new ids and follow them in ``children`` [(table, column)]."""
    if not mapping:
        return
    for child, column in children:
        conn.execute(sa.text(f"UPDATE {child} SET {column} = :new WHERE {column} = :old"),
                     [{"new": new, "old": old} for old, new in mapping.items()])
    conn.execute(sa.text(f"UPDATE {table} SET id = :new WHERE id = :old"), [{"new": new, "old": old} for old, new in mapping.items()])


FKS = [  # (name, child, column, parent)
    ("fk_budget_ballot_choices_ballot_id_budget_ballots", "budget_ballot_choices", "ballot_id", "budget_ballots"),
    ("fk_vote_receipts_ballot_id_vote_ballots", "vote_receipts", "ballot_id", "vote_ballots"),
]


def _drop_fks(pg):
    if pg:
        for name, child, _column, _parent in FKS:
            op.drop_constraint(name, child, type_="foreignkey")


def _create_fks(pg):
    if pg:
        for name, child, column, parent in FKS:
            op.create_foreign_key(name, child, parent, [column], ["id"], ondelete="CASCADE")


def upgrade():
    conn = op.get_bind()
    pg = conn.dialect.name == "postgresql"
    key = _key()

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('poll_card_number', sa.String(length=30), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_users_poll_card_number'), ['poll_card_number'])

    op.create_table('budget_register',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('heading_id', sa.Integer(), nullable=False),
    sa.Column('voter_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('marked_at', sa.DateTime(), nullable=False),
    sa.Column('issued_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['heading_id'], ['budget_headings.id'], name=op.f('fk_budget_register_heading_id_budget_headings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['issued_by_id'], ['users.id'], name=op.f('fk_budget_register_issued_by_id_users')),
    sa.ForeignKeyConstraint(['voter_id'], ['users.id'], name=op.f('fk_budget_register_voter_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_budget_register')),
    sa.UniqueConstraint('heading_id', 'voter_id', name=op.f('uq_budget_register_heading_id_voter_id'))
    )
    with op.batch_alter_table('budget_register', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_budget_register_heading_id'), ['heading_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_budget_register_voter_id'), ['voter_id'], unique=False)

    op.create_table('budget_register_cancellations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('heading_id', sa.Integer(), nullable=False),
    sa.Column('voter_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('issued_at', sa.DateTime(), nullable=False),
    sa.Column('issued_by_id', sa.Integer(), nullable=True),
    sa.Column('cancelled_by_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('cancelled_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['cancelled_by_id'], ['users.id'], name=op.f('fk_budget_register_cancellations_cancelled_by_id_users')),
    sa.ForeignKeyConstraint(['heading_id'], ['budget_headings.id'], name=op.f('fk_budget_register_cancellations_heading_id_budget_headings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['issued_by_id'], ['users.id'], name=op.f('fk_budget_register_cancellations_issued_by_id_users')),
    sa.ForeignKeyConstraint(['voter_id'], ['users.id'], name=op.f('fk_budget_register_cancellations_voter_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_budget_register_cancellations'))
    )
    with op.batch_alter_table('budget_register_cancellations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_budget_register_cancellations_heading_id'), ['heading_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_budget_register_cancellations_voter_id'), ['voter_id'], unique=False)

    op.create_table('vote_register',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('vote_id', sa.Integer(), nullable=False),
    sa.Column('voter_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('marked_at', sa.DateTime(), nullable=False),
    sa.Column('issued_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['issued_by_id'], ['users.id'], name=op.f('fk_vote_register_issued_by_id_users')),
    sa.ForeignKeyConstraint(['vote_id'], ['votes.id'], name=op.f('fk_vote_register_vote_id_votes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['voter_id'], ['users.id'], name=op.f('fk_vote_register_voter_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vote_register')),
    sa.UniqueConstraint('vote_id', 'voter_id', name=op.f('uq_vote_register_vote_id_voter_id'))
    )
    with op.batch_alter_table('vote_register', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vote_register_vote_id'), ['vote_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vote_register_voter_id'), ['voter_id'], unique=False)

    with op.batch_alter_table('budget_ballots', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('cast_on', sa.Date(), nullable=True))
    with op.batch_alter_table('vote_ballots', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('cast_on', sa.Date(), nullable=True))
    with op.batch_alter_table('vote_receipts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('issued_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('replaced_on', sa.Date(), nullable=True))

    # --- the register from the ballots, tokens instead of voter ids, days instead of times
    rows = conn.execute(sa.text("SELECT id, heading_id, voter_id, cast_at FROM budget_ballots")).all()
    marks = [{"h": h, "v": v, "c": "online", "t": _as_datetime(t)} for _i, h, v, t in sorted(rows, key=lambda r: (str(r[3]), r[0])) if v is not None]
    if marks:
        conn.execute(sa.text("INSERT INTO budget_register (heading_id, voter_id, channel, marked_at) VALUES (:h, :v, :c, :t)"), marks)
    if rows:
        conn.execute(sa.text("UPDATE budget_ballots SET token = :token, cast_on = :day WHERE id = :id"),
                     [{"id": i, "token": _token(key, "budget", h, v) if v is not None else None, "day": _as_date(t)} for i, h, v, t in rows])
    rows = conn.execute(sa.text("SELECT id, vote_id, voter_id, channel, cast_at FROM vote_ballots")).all()
    if rows:
        conn.execute(sa.text("INSERT INTO vote_register (vote_id, voter_id, channel, marked_at) VALUES (:vote, :v, :c, :t)"),
                     [{"vote": o, "v": v, "c": c, "t": _as_datetime(t)} for _i, o, v, c, t in sorted(rows, key=lambda r: (str(r[4]), r[0]))])
        conn.execute(sa.text("UPDATE vote_ballots SET token = :token, cast_on = :day WHERE id = :id"),
                     [{"id": i, "token": _token(key, "vote", o, v), "day": _as_date(t)} for i, o, v, _c, t in rows])
    rows = conn.execute(sa.text("SELECT id, issued_at, replaced_at FROM vote_receipts")).all()
    if rows:
        conn.execute(sa.text("UPDATE vote_receipts SET issued_on = :a, replaced_on = :b WHERE id = :id"),
                     [{"id": i, "a": _as_date(a), "b": _as_date(b)} for i, a, b in rows])

    # --- random ids: the box's order no longer follows the register's
    _drop_fks(pg)
    for table, column in (("budget_ballots", "id"), ("budget_ballot_choices", "ballot_id"), ("vote_ballots", "id"),
                          ("vote_receipts", "id"), ("vote_receipts", "ballot_id")):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column, existing_type=sa.Integer(), type_=sa.BigInteger(), existing_nullable=False)
    _renumber(conn, "budget_ballots", [("budget_ballot_choices", "ballot_id")], _new_ids(conn, "budget_ballots"))
    _renumber(conn, "vote_ballots", [("vote_receipts", "ballot_id")], _new_ids(conn, "vote_ballots"))
    _renumber(conn, "vote_receipts", [], _new_ids(conn, "vote_receipts"))

    with op.batch_alter_table('budget_ballots', schema=None) as batch_op:
        batch_op.alter_column('cast_on', existing_type=sa.Date(), nullable=False)
        batch_op.drop_constraint(batch_op.f('uq_budget_ballots_heading_id_voter_id'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_budget_ballots_voter_id'))
        batch_op.drop_constraint(batch_op.f('fk_budget_ballots_voter_id_users'), type_='foreignkey')
        batch_op.create_unique_constraint(batch_op.f('uq_budget_ballots_heading_id_token'), ['heading_id', 'token'])
        batch_op.drop_column('voter_id')
        batch_op.drop_column('channel')
        batch_op.drop_column('cast_at')
    with op.batch_alter_table('vote_ballots', schema=None) as batch_op:
        batch_op.alter_column('token', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('cast_on', existing_type=sa.Date(), nullable=False)
        batch_op.drop_constraint(batch_op.f('uq_vote_ballots_vote_id_voter_id'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_vote_ballots_voter_id'))
        batch_op.drop_constraint(batch_op.f('fk_vote_ballots_voter_id_users'), type_='foreignkey')
        batch_op.create_unique_constraint(batch_op.f('uq_vote_ballots_vote_id_token'), ['vote_id', 'token'])
        batch_op.drop_column('voter_id')
        batch_op.drop_column('channel')
        batch_op.drop_column('cast_at')
    with op.batch_alter_table('vote_receipts', schema=None) as batch_op:
        batch_op.alter_column('issued_on', existing_type=sa.Date(), nullable=False)
        batch_op.drop_column('channel')
        batch_op.drop_column('issued_at')
        batch_op.drop_column('replaced_at')
    _create_fks(pg)


def downgrade():
    conn = op.get_bind()
    pg = conn.dialect.name == "postgresql"
    key = _key()

    with op.batch_alter_table('vote_receipts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('issued_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('replaced_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('vote_ballots', schema=None) as batch_op:
        batch_op.add_column(sa.Column('voter_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('channel', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('cast_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('budget_ballots', schema=None) as batch_op:
        batch_op.add_column(sa.Column('voter_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('channel', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('cast_at', sa.DateTime(), nullable=True))

    # --- join the register to the box again through the tokens
    marks = conn.execute(sa.text("SELECT heading_id, voter_id, marked_at FROM budget_register WHERE channel = 'online'")).all()
    by_token = {_token(key, "budget", h, v): (v, t) for h, v, t in marks}
    rows = conn.execute(sa.text("SELECT id, token, cast_on FROM budget_ballots")).all()
    if rows:
        conn.execute(sa.text("UPDATE budget_ballots SET voter_id = :v, channel = :c, cast_at = :t WHERE id = :id"), [
            {"id": i, "v": by_token.get(tok, (None, None))[0], "c": "online" if tok is not None else "paper",
             "t": _as_datetime(by_token.get(tok, (None, None))[1] or day)} for i, tok, day in rows])
    marks = conn.execute(sa.text("SELECT vote_id, voter_id, channel, marked_at FROM vote_register")).all()
    by_token = {_token(key, "vote", o, v): (v, c, t) for o, v, c, t in marks}
    rows = conn.execute(sa.text("SELECT id, token, cast_on FROM vote_ballots")).all()
    found = [(i, by_token.get(tok), day) for i, tok, day in rows]
    if any(f is None for _i, f, _d in found):
        raise RuntimeError("a ranked ballot's token matches no one on the register: was the ballot secret changed?")
    if found:
        conn.execute(sa.text("UPDATE vote_ballots SET voter_id = :v, channel = :c, cast_at = :t WHERE id = :id"),
                     [{"id": i, "v": f[0], "c": f[1], "t": _as_datetime(day)} for i, f, day in found])
        channel = {i: f[1] for i, f, _d in found}
        receipts = conn.execute(sa.text("SELECT id, ballot_id, issued_on, replaced_on FROM vote_receipts")).all()
        if receipts:
            conn.execute(sa.text("UPDATE vote_receipts SET channel = :c, issued_at = :a, replaced_at = :b WHERE id = :id"),
                         [{"id": i, "c": channel.get(b, "online"), "a": _as_datetime(a), "b": _as_datetime(r)} for i, b, a, r in receipts])

    # --- sequential ids again (a 32-bit column)
    _drop_fks(pg)
    for table, children in (("budget_ballots", [("budget_ballot_choices", "ballot_id")]), ("vote_ballots", [("vote_receipts", "ballot_id")]),
                            ("vote_receipts", [])):
        ids = [r[0] for r in conn.execute(sa.text(f"SELECT id FROM {table} ORDER BY id"))]
        _renumber(conn, table, children, {old: n for n, old in enumerate(ids, start=1)})
        if pg:
            conn.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"))

    with op.batch_alter_table('vote_receipts', schema=None) as batch_op:
        batch_op.alter_column('channel', existing_type=sa.String(length=10), nullable=False)
        batch_op.alter_column('issued_at', existing_type=sa.DateTime(), nullable=False)
        batch_op.alter_column('id', existing_type=sa.BigInteger(), type_=sa.Integer(), existing_nullable=False)
        batch_op.alter_column('ballot_id', existing_type=sa.BigInteger(), type_=sa.Integer(), existing_nullable=False)
        batch_op.drop_column('replaced_on')
        batch_op.drop_column('issued_on')
    with op.batch_alter_table('vote_ballots', schema=None) as batch_op:
        batch_op.alter_column('voter_id', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('channel', existing_type=sa.String(length=10), nullable=False)
        batch_op.alter_column('cast_at', existing_type=sa.DateTime(), nullable=False)
        batch_op.alter_column('id', existing_type=sa.BigInteger(), type_=sa.Integer(), existing_nullable=False)
        batch_op.drop_constraint(batch_op.f('uq_vote_ballots_vote_id_token'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_vote_ballots_vote_id_voter_id'), ['vote_id', 'voter_id'])
        batch_op.create_index(batch_op.f('ix_vote_ballots_voter_id'), ['voter_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_vote_ballots_voter_id_users'), 'users', ['voter_id'], ['id'])
        batch_op.drop_column('cast_on')
        batch_op.drop_column('token')
    with op.batch_alter_table('budget_ballot_choices', schema=None) as batch_op:
        batch_op.alter_column('ballot_id', existing_type=sa.BigInteger(), type_=sa.Integer(), existing_nullable=False)
    with op.batch_alter_table('budget_ballots', schema=None) as batch_op:
        batch_op.alter_column('channel', existing_type=sa.String(length=10), nullable=False)
        batch_op.alter_column('cast_at', existing_type=sa.DateTime(), nullable=False)
        batch_op.alter_column('id', existing_type=sa.BigInteger(), type_=sa.Integer(), existing_nullable=False)
        batch_op.drop_constraint(batch_op.f('uq_budget_ballots_heading_id_token'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_budget_ballots_heading_id_voter_id'), ['heading_id', 'voter_id'])
        batch_op.create_index(batch_op.f('ix_budget_ballots_voter_id'), ['voter_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_budget_ballots_voter_id_users'), 'users', ['voter_id'], ['id'])
        batch_op.drop_column('cast_on')
        batch_op.drop_column('token')
    _create_fks(pg)

    with op.batch_alter_table('vote_register', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vote_register_voter_id'))
        batch_op.drop_index(batch_op.f('ix_vote_register_vote_id'))
    op.drop_table('vote_register')
    with op.batch_alter_table('budget_register_cancellations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_budget_register_cancellations_voter_id'))
        batch_op.drop_index(batch_op.f('ix_budget_register_cancellations_heading_id'))
    op.drop_table('budget_register_cancellations')
    with op.batch_alter_table('budget_register', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_budget_register_voter_id'))
        batch_op.drop_index(batch_op.f('ix_budget_register_heading_id'))
    op.drop_table('budget_register')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_users_poll_card_number'), type_='unique')
        batch_op.drop_column('poll_card_number')
