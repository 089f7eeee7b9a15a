"""budgets integrity: minimum support per heading, a low-turnout threshold, the minimum a count applied,
replaced receipts; one-time tokens of create forms

Revision ID: h3a0integrity
Revises: g1a0notices
Create Date: 2026-12-04 15:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'h3a0integrity'
down_revision = 'g1a0notices'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('budget_processes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('low_turnout_permille', sa.Integer(), nullable=True))
    with op.batch_alter_table('budget_headings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('min_support_votes', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('min_support_percent', sa.Integer(), nullable=True))
    with op.batch_alter_table('budget_counts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('min_support', sa.Integer(), nullable=True))
    op.create_table(
        'budget_replaced_receipts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('heading_id', sa.Integer(), nullable=False),
        sa.Column('receipt_hash', sa.String(length=64), nullable=False),
        sa.Column('cast_at', sa.DateTime(), nullable=False),
        sa.Column('replaced_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['heading_id'], ['budget_headings.id'], name=op.f('fk_budget_replaced_receipts_heading_id_budget_headings'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_budget_replaced_receipts')),
        sa.UniqueConstraint('receipt_hash', name=op.f('uq_budget_replaced_receipts_receipt_hash')),
    )
    with op.batch_alter_table('budget_replaced_receipts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_budget_replaced_receipts_heading_id'), ['heading_id'], unique=False)
    op.create_table(
        'form_submissions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token', sa.String(length=64), nullable=False),
        sa.Column('endpoint', sa.String(length=100), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('result_url', sa.String(length=500), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_form_submissions')),
        sa.UniqueConstraint('token', name=op.f('uq_form_submissions_token')),
    )
    with op.batch_alter_table('form_submissions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_form_submissions_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_form_submissions_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('form_submissions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_form_submissions_user_id'))
        batch_op.drop_index(batch_op.f('ix_form_submissions_created_at'))
    op.drop_table('form_submissions')
    with op.batch_alter_table('budget_replaced_receipts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_budget_replaced_receipts_heading_id'))
    op.drop_table('budget_replaced_receipts')
    with op.batch_alter_table('budget_counts', schema=None) as batch_op:
        batch_op.drop_column('min_support')
    with op.batch_alter_table('budget_headings', schema=None) as batch_op:
        batch_op.drop_column('min_support_percent')
        batch_op.drop_column('min_support_votes')
    with op.batch_alter_table('budget_processes', schema=None) as batch_op:
        batch_op.drop_column('low_turnout_permille')
