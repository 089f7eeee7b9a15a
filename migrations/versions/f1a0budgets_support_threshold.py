"""budgets: a process's own support threshold for the proposals in its area

Revision ID: f1a0budgets
Revises: d2a0deliberation
Create Date: 2026-12-01 11:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f1a0budgets'
down_revision = 'd2a0deliberation'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('budget_processes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('support_threshold', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('budget_processes', schema=None) as batch_op:
        batch_op.drop_column('support_threshold')
