"""pilot: email confirmation, officer verification, area to confirm, ONS codes, coalition agreement, topic names by language

Revision ID: h4a0pilot
Revises: h3a0integrity
Create Date: 2026-12-04 15:31:39.193397

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'h4a0pilot'
down_revision = 'h3a0integrity'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('email_confirmation_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_email_confirmation_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_email_confirmation_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_email_confirmation_tokens_token_hash'))
    )
    with op.batch_alter_table('email_confirmation_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_email_confirmation_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('recommendation_votes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recommendation_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('agrees', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['recommendation_id'], ['recommendations.id'], name=op.f('fk_recommendation_votes_recommendation_id_recommendations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_recommendation_votes_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recommendation_votes')),
    sa.UniqueConstraint('recommendation_id', 'user_id', name=op.f('uq_recommendation_votes_recommendation_id_user_id'))
    )
    with op.batch_alter_table('recommendation_votes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recommendation_votes_recommendation_id'), ['recommendation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_recommendation_votes_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('places', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ons_code', sa.String(length=9), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_places_ons_code'), ['ons_code'])

    with op.batch_alter_table('recommendations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=20), server_default='published', nullable=False))
        batch_op.alter_column('published_on',
               existing_type=sa.DATE(),
               nullable=True)

    with op.batch_alter_table('spaces', schema=None) as batch_op:
        batch_op.add_column(sa.Column('agreement_percent', sa.Integer(), server_default='50', nullable=False))

    with op.batch_alter_table('topics', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_translations', sa.Text(), server_default='{}', nullable=False))

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_confirmed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('verified_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('verified_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('is_area_unconfirmed', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_foreign_key(batch_op.f('fk_users_verified_by_id_users'), 'users', ['verified_by_id'], ['id'])



def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_users_verified_by_id_users'), type_='foreignkey')
        batch_op.drop_column('is_area_unconfirmed')
        batch_op.drop_column('verified_at')
        batch_op.drop_column('verified_by_id')
        batch_op.drop_column('email_confirmed_at')

    with op.batch_alter_table('topics', schema=None) as batch_op:
        batch_op.drop_column('name_translations')

    with op.batch_alter_table('spaces', schema=None) as batch_op:
        batch_op.drop_column('agreement_percent')

    with op.batch_alter_table('recommendation_votes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recommendation_votes_user_id'))
        batch_op.drop_index(batch_op.f('ix_recommendation_votes_recommendation_id'))

    op.drop_table('recommendation_votes')
    # Drafts never went out: before this revision a recommendation existed only once published.
    op.execute("DELETE FROM recommendations WHERE status = 'draft'")
    with op.batch_alter_table('recommendations', schema=None) as batch_op:
        batch_op.alter_column('published_on',
               existing_type=sa.DATE(),
               nullable=False)
        batch_op.drop_column('status')

    with op.batch_alter_table('places', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_places_ons_code'), type_='unique')
        batch_op.drop_column('ons_code')

    with op.batch_alter_table('email_confirmation_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_email_confirmation_tokens_user_id'))

    op.drop_table('email_confirmation_tokens')
