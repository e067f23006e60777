"""SQL tables of the library: Works, their tags, boards and derived-from links."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from muselab.db import Base
from muselab.ids import utcnow


class Work(Base):
    __tablename__ = "works"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    media_type: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(500), default="")
    filename: Mapped[str | None] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    thumb_sha256: Mapped[str | None] = mapped_column(String(64))
    task: Mapped[str | None] = mapped_column(String(100), index=True)
    recipe: Mapped[dict | None] = mapped_column(JSON)
    model: Mapped[str | None] = mapped_column(String(200), index=True)
    model_hash: Mapped[str | None] = mapped_column(String(64))
    seed: Mapped[int | None] = mapped_column(BigInteger)
    authorship: Mapped[str] = mapped_column(String(16), default="ai")
    status: Mapped[str] = mapped_column(String(16), default="ok")  # ok | partial
    job_id: Mapped[str | None] = mapped_column(String(32), index=True)
    text_content: Mapped[str | None] = mapped_column(Text)
    search_terms: Mapped[str] = mapped_column(Text, default="")
    meta: Mapped[dict] = mapped_column(JSON, default=dict)
    starred: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    rating: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)

    tags: Mapped[list[WorkTag]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    parent_links: Mapped[list[WorkLink]] = relationship(cascade="all, delete-orphan", lazy="selectin")


class WorkTag(Base):
    __tablename__ = "work_tags"

    work_pk: Mapped[int] = mapped_column(ForeignKey("works.pk", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(100), primary_key=True, index=True)


class WorkLink(Base):
    """`child` was derived from the Work `parent_id` (kept by id so history survives deleting the parent)."""

    __tablename__ = "work_links"

    child_pk: Mapped[int] = mapped_column(ForeignKey("works.pk", ondelete="CASCADE"), primary_key=True)
    parent_id: Mapped[str] = mapped_column(String(32), primary_key=True, index=True)
    relation: Mapped[str] = mapped_column(String(32), default="derived")


class Board(Base):
    __tablename__ = "boards"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class BoardWork(Base):
    __tablename__ = "board_works"

    board_pk: Mapped[int] = mapped_column(ForeignKey("boards.pk", ondelete="CASCADE"), primary_key=True)
    work_pk: Mapped[int] = mapped_column(ForeignKey("works.pk", ondelete="CASCADE"), primary_key=True, index=True)
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


Index("ix_works_kind_created", Work.kind, Work.created_at)
