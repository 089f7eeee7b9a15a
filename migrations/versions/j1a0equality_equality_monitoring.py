"""equality monitoring: per-process switch, keyed "answered" marks, answers kept only as counts

equality_monitors says which budget processes and ranked votes ask the optional questions, and which;
equality_responders holds only a keyed token per resident who answered (none for a paper slip), so each
answers once; equality_counts holds the answers already aggregated (question, answer, channel, people), with
no row per person, no user, no ballot and no date.

Revision ID: j1a0equality
Revises: j3a0countjobs
Create Date: 2026-12-05 12:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'j1a0equality'
down_revision = 'j3a0countjobs'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'equality_monitors',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('object_id', sa.Integer(), nullable=False),
        sa.Column('questions_csv', sa.String(length=200), nullable=False),
        sa.Column('is_on', sa.Boolean(), nullable=False),
        sa.Column('changed_by_id', sa.Integer(), nullable=True),
        sa.Column('changed_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['changed_by_id'], ['users.id'], name=op.f('fk_equality_monitors_changed_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_equality_monitors')),
        sa.UniqueConstraint('kind', 'object_id', name=op.f('uq_equality_monitors_kind_object_id')),
    )
    op.create_table(
        'equality_responders',
        sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('object_id', sa.Integer(), nullable=False),
        sa.Column('token', sa.String(length=64), nullable=True),
        sa.Column('channel', sa.String(length=10), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_equality_responders')),
        sa.UniqueConstraint('kind', 'object_id', 'token', name=op.f('uq_equality_responders_kind_object_id_token')),
    )
    op.create_index('ix_equality_responders_kind_object', 'equality_responders', ['kind', 'object_id'], unique=False)
    op.create_table(
        'equality_counts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('object_id', sa.Integer(), nullable=False),
        sa.Column('question', sa.String(length=30), nullable=False),
        sa.Column('answer', sa.String(length=30), nullable=False),
        sa.Column('channel', sa.String(length=10), nullable=False),
        sa.Column('people', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_equality_counts')),
        sa.UniqueConstraint('kind', 'object_id', 'question', 'answer', 'channel',
                            name=op.f('uq_equality_counts_kind_object_id_question_answer_channel')),
    )


def downgrade():
    op.drop_table('equality_counts')
    op.drop_index('ix_equality_responders_kind_object', table_name='equality_responders')
    op.drop_table('equality_responders')
    op.drop_table('equality_monitors')
