"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-22 10:22:30.333749
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('boards',
    sa.Column('pk', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('pk'),
    sa.UniqueConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('jobs',
    sa.Column('pk', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('task', sa.String(length=100), nullable=False),
    sa.Column('recipe', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=200), nullable=True),
    sa.Column('progress', sa.Float(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('preview', sa.JSON(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('max_attempts', sa.Integer(), nullable=False),
    sa.Column('worker_id', sa.String(length=200), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancel_requested', sa.Boolean(), nullable=False),
    sa.Column('work_ids', sa.JSON(), nullable=False),
    sa.Column('event_seq', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('pk'),
    sa.UniqueConstraint('id'),
    sa.UniqueConstraint('idempotency_key')
    )
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.create_index('ix_jobs_claim', ['state', 'priority', 'pk'], unique=False)
        batch_op.create_index(batch_op.f('ix_jobs_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_jobs_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_jobs_task'), ['task'], unique=False)

    op.create_table('queue_settings',
    sa.Column('key', sa.String(length=50), nullable=False),
    sa.Column('value', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('works',
    sa.Column('pk', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('media_type', sa.String(length=120), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('thumb_sha256', sa.String(length=64), nullable=True),
    sa.Column('task', sa.String(length=100), nullable=True),
    sa.Column('recipe', sa.JSON(), nullable=True),
    sa.Column('model', sa.String(length=200), nullable=True),
    sa.Column('model_hash', sa.String(length=64), nullable=True),
    sa.Column('seed', sa.BigInteger(), nullable=True),
    sa.Column('authorship', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('job_id', sa.String(length=32), nullable=True),
    sa.Column('text_content', sa.Text(), nullable=True),
    sa.Column('search_terms', sa.Text(), nullable=False),
    sa.Column('meta', sa.JSON(), nullable=False),
    sa.Column('starred', sa.Boolean(), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('pk'),
    sa.UniqueConstraint('id')
    )
    with op.batch_alter_table('works', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_works_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_works_job_id'), ['job_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_works_kind'), ['kind'], unique=False)
        batch_op.create_index('ix_works_kind_created', ['kind', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_works_model'), ['model'], unique=False)
        batch_op.create_index(batch_op.f('ix_works_sha256'), ['sha256'], unique=False)
        batch_op.create_index(batch_op.f('ix_works_starred'), ['starred'], unique=False)
        batch_op.create_index(batch_op.f('ix_works_task'), ['task'], unique=False)

    op.create_table('board_works',
    sa.Column('board_pk', sa.Integer(), nullable=False),
    sa.Column('work_pk', sa.Integer(), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['board_pk'], ['boards.pk'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['work_pk'], ['works.pk'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('board_pk', 'work_pk')
    )
    with op.batch_alter_table('board_works', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_board_works_work_pk'), ['work_pk'], unique=False)

    op.create_table('job_events',
    sa.Column('pk', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('job_pk', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('fraction', sa.Float(), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['job_pk'], ['jobs.pk'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('pk')
    )
    with op.batch_alter_table('job_events', schema=None) as batch_op:
        batch_op.create_index('ix_job_events_job_seq', ['job_pk', 'seq'], unique=False)

    op.create_table('work_links',
    sa.Column('child_pk', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.String(length=32), nullable=False),
    sa.Column('relation', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['child_pk'], ['works.pk'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('child_pk', 'parent_id')
    )
    with op.batch_alter_table('work_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_work_links_parent_id'), ['parent_id'], unique=False)

    op.create_table('work_tags',
    sa.Column('work_pk', sa.Integer(), nullable=False),
    sa.Column('tag', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['work_pk'], ['works.pk'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('work_pk', 'tag')
    )
    with op.batch_alter_table('work_tags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_work_tags_tag'), ['tag'], unique=False)



    _create_full_text_index()


def _create_full_text_index() -> None:
    """Full-text search over works.search_terms (words and CJK n-grams, see library/search_text.py)."""
    if op.get_bind().dialect.name == "sqlite":
        # FTS5 table keyed by works.pk (rowid); rows are kept in step by the library code.
        op.execute("CREATE VIRTUAL TABLE works_fts USING fts5(terms, tokenize='unicode61 remove_diacritics 0')")
    else:
        op.execute("CREATE INDEX ix_works_search ON works USING gin (to_tsvector('simple', search_terms))")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS works_fts")
    else:
        op.execute("DROP INDEX IF EXISTS ix_works_search")
    with op.batch_alter_table('work_tags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_work_tags_tag'))

    op.drop_table('work_tags')
    with op.batch_alter_table('work_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_work_links_parent_id'))

    op.drop_table('work_links')
    with op.batch_alter_table('job_events', schema=None) as batch_op:
        batch_op.drop_index('ix_job_events_job_seq')

    op.drop_table('job_events')
    with op.batch_alter_table('board_works', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_board_works_work_pk'))

    op.drop_table('board_works')
    with op.batch_alter_table('works', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_works_task'))
        batch_op.drop_index(batch_op.f('ix_works_starred'))
        batch_op.drop_index(batch_op.f('ix_works_sha256'))
        batch_op.drop_index(batch_op.f('ix_works_model'))
        batch_op.drop_index('ix_works_kind_created')
        batch_op.drop_index(batch_op.f('ix_works_kind'))
        batch_op.drop_index(batch_op.f('ix_works_job_id'))
        batch_op.drop_index(batch_op.f('ix_works_created_at'))

    op.drop_table('works')
    op.drop_table('queue_settings')
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_jobs_task'))
        batch_op.drop_index(batch_op.f('ix_jobs_state'))
        batch_op.drop_index(batch_op.f('ix_jobs_created_at'))
        batch_op.drop_index('ix_jobs_claim')

    op.drop_table('jobs')
    op.drop_table('boards')
