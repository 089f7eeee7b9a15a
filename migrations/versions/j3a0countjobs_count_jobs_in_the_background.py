"""count jobs: an officer's request to count a budget heading or to close and count a vote, run in the background
(app/core/count_jobs.py); active_key is unique while a job is queued or running, so there is never a second one

Revision ID: j3a0countjobs
Revises: h5a0register
Create Date: 2026-12-05 11:36:11.594552

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'j3a0countjobs'
down_revision = 'h5a0register'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('count_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('active_key', sa.String(length=40), nullable=True),
    sa.Column('locale', sa.String(length=10), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('result_id', sa.Integer(), nullable=True),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_count_jobs_requested_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_count_jobs')),
    sa.UniqueConstraint('active_key', name=op.f('uq_count_jobs_active_key'))
    )
    with op.batch_alter_table('count_jobs', schema=None) as batch_op:
        batch_op.create_index('ix_count_jobs_kind_object_id', ['kind', 'object_id'], unique=False)



def downgrade():
    with op.batch_alter_table('count_jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_count_jobs_kind_object_id')

    op.drop_table('count_jobs')
