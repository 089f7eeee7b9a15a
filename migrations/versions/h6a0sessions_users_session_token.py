"""sessions: a per-account session nonce (users.session_token), replaced on sign-out and password change

Revision ID: h6a0sessions
Revises: h2a0votes
Create Date: 2026-12-05 08:10:00.000000

"""
import secrets

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'h6a0sessions'
down_revision = "i1a0exports"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_token', sa.String(length=32), nullable=True))
    # Every existing account gets its own random nonce (sessions signed in before this upgrade end).
    users = sa.table('users', sa.column('id', sa.Integer()), sa.column('session_token', sa.String(length=32)))
    conn = op.get_bind()
    for (user_id,) in conn.execute(sa.select(users.c.id)).all():
        conn.execute(users.update().where(users.c.id == user_id).values(session_token=secrets.token_hex(16)))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('session_token', existing_type=sa.String(length=32), nullable=False)


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_token')
