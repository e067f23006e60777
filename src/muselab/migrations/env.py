"""Alembic environment: runs on the connection handed over by muselab.db.migrate."""

from alembic import context

import muselab.auth
import muselab.jobs.models
import muselab.library.models  # noqa: F401  (register tables)
from muselab.db import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through muselab.db.migrate() (or `muselab init`)")

context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
