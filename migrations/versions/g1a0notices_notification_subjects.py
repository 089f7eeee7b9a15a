"""notifications: a generic subject (a budget's results, a proposal's new state or update), one per person each

Revision ID: g1a0notices
Revises: f1a0budgets
Create Date: 2026-12-01 11:35:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'g1a0notices'
down_revision = 'f1a0budgets'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subject_type', sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column('subject_id', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_notifications_user_id_subject_type_subject_id'), ['user_id', 'subject_type', 'subject_id'])
        batch_op.create_check_constraint(batch_op.f('ck_notifications_subject_pair'), '(subject_type IS NULL) = (subject_id IS NULL)')
        batch_op.create_index('ix_notifications_subject_type_subject_id', ['subject_type', 'subject_id'], unique=False)


def downgrade():
    op.execute("DELETE FROM notifications WHERE subject_type IS NOT NULL")
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_subject_type_subject_id')
        batch_op.drop_constraint(batch_op.f('ck_notifications_subject_pair'), type_='check')
        batch_op.drop_constraint(batch_op.f('uq_notifications_user_id_subject_type_subject_id'), type_='unique')
        batch_op.drop_column('subject_id')
        batch_op.drop_column('subject_type')
