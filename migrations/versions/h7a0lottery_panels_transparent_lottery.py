"""panels: the transparent lottery of a selection draw (its M panels, their SHA-256 and how far the rounding
moved any probability), published with the commitment before the number is drawn

Revision ID: h7a0lottery
Revises: h2a0votes
Create Date: 2026-12-05 08:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'h7a0lottery'
down_revision = 'h2a0votes'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('panel_selection_draws', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lottery_size', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('lottery_csv', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('lottery_sha256', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('lottery_max_change', sa.Float(), nullable=True))


def downgrade():
    with op.batch_alter_table('panel_selection_draws', schema=None) as batch_op:
        batch_op.drop_column('lottery_max_change')
        batch_op.drop_column('lottery_sha256')
        batch_op.drop_column('lottery_csv')
        batch_op.drop_column('lottery_size')
