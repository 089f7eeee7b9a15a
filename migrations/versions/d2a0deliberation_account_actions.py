"""deliberation: what a moderator did to an account (warn, suspend, lift), so a suspended person can read why

Revision ID: d2a0deliberation
Revises: d1a0deliberation
Create Date: 2026-12-01 10:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd2a0deliberation'
down_revision = 'd1a0deliberation'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('account_warnings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('action', sa.String(length=20), server_default='warn', nullable=False))


def downgrade():
    with op.batch_alter_table('account_warnings', schema=None) as batch_op:
        batch_op.drop_column('action')
