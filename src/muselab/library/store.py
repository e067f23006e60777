"""The library: Works (metadata in SQL, bytes in the blob store), tags, boards, search, links."""

from __future__ import annotations

import io
import mimetypes
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Select, delete, func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from muselab.db import is_sqlite, transaction
from muselab.errors import InvalidInput, NotFound
from muselab.ids import new_id, utcnow
from muselab.library import search_text
from muselab.library.blobs import BlobStore
from muselab.library.models import Board, BoardWork, Work, WorkLink, WorkTag
from muselab.library.validate import safe_name, work_id

KINDS = ("text", "image", "midi", "audio", "score", "video", "model", "corpus", "data", "file")
AUTHORSHIP = ("ai", "human", "co-created")
MAX_TEXT_CONTENT = 100_000
THUMB_SIZE = 320


@dataclass
class NewWork:
    """Everything needed to keep one Work (the engine's Output plus what the studio knows)."""

    kind: str
    media_type: str
    data: bytes | None = None
    path: Path | None = None
    title: str = ""
    filename: str | None = None
    text: str | None = None
    task: str | None = None
    recipe: dict | None = None
    model: str | None = None
    model_hash: str | None = None
    seed: int | None = None
    authorship: str = "ai"
    status: str = "ok"
    job_id: str | None = None
    meta: dict | None = None
    parents: list[str] | None = None
    tags: list[str] | None = None
    id: str | None = None  # kept when importing from another library
    created_at: datetime | None = None
    starred: bool = False
    rating: int | None = None


@dataclass
class WorkFilter:
    kind: str | None = None
    tag: str | None = None
    board: str | None = None
    starred: bool | None = None
    model: str | None = None
    task: str | None = None
    job_id: str | None = None
    status: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    query: str | None = None
    limit: int = 50
    offset: int = 0


class Library:
    def __init__(self, engine: Engine, sessions: sessionmaker[Session], blobs: BlobStore):
        self.engine = engine
        self.sessions = sessions
        self.blobs = blobs
        self.sqlite = is_sqlite(engine)

    # ---- adding -------------------------------------------------------------------------------
    def add(self, new: NewWork, session: Session | None = None) -> Work:
        """Store the bytes, then the metadata; returns the new Work."""
        if new.kind not in KINDS:
            raise InvalidInput(f"kind must be one of {', '.join(KINDS)} (got {new.kind!r})", "kind")
        if new.authorship not in AUTHORSHIP:
            raise InvalidInput(f"authorship must be one of {', '.join(AUTHORSHIP)}", "authorship")
        if new.filename:
            new.filename = safe_name(new.filename, "filename", 255)
        if new.data is not None:
            sha, size = self.blobs.put_bytes(new.data)
        elif new.path is not None:
            sha, size = self.blobs.put_file(Path(new.path))
        else:
            raise InvalidInput("a work needs content (data or path)", "content")
        text_content = new.text
        if text_content is None and new.media_type.startswith("text/") and size <= MAX_TEXT_CONTENT:
            text_content = self.blobs.read_bytes(sha).decode("utf-8", errors="replace")
        thumb = self._thumbnail(sha) if new.media_type.startswith("image/") else None
        work = Work(
            id=new.id or new_id(), kind=new.kind, media_type=new.media_type, title=(new.title or "")[:500],
            filename=new.filename, sha256=sha, size=size, thumb_sha256=thumb, task=new.task, recipe=new.recipe,
            model=new.model, model_hash=new.model_hash, seed=new.seed, authorship=new.authorship,
            status=new.status, job_id=new.job_id, text_content=(text_content or None) and text_content[:MAX_TEXT_CONTENT],
            meta=new.meta or {}, starred=new.starred, rating=new.rating, created_at=new.created_at or utcnow(),
        )
        work.search_terms = search_text.index_terms(
            work.title, text_content, *search_text.recipe_strings(new.recipe), *(new.tags or []))
        work.tags = [WorkTag(tag=safe_name(t, "tag")) for t in dict.fromkeys(new.tags or [])]
        work.parent_links = [WorkLink(parent_id=work_id(p, "parents")) for p in dict.fromkeys(new.parents or [])]

        def insert(s: Session) -> Work:
            s.add(work)
            s.flush()
            self._index(s, work)
            return work

        if session is not None:
            return insert(session)
        with transaction(self.sessions) as s:
            return insert(s)

    def _thumbnail(self, sha: str) -> str | None:
        try:
            from PIL import Image

            with Image.open(self.blobs.path(sha)) as image:
                image.thumbnail((THUMB_SIZE, THUMB_SIZE))
                if image.mode not in ("RGB", "RGBA"):
                    image = image.convert("RGBA")
                out = io.BytesIO()
                image.save(out, format="PNG", optimize=True)
            return self.blobs.put_bytes(out.getvalue())[0]
        except Exception:  # a picture Pillow can't read still gets stored, just without a thumbnail
            return None

    def _index(self, session: Session, work: Work) -> None:
        if self.sqlite:
            session.execute(text("DELETE FROM works_fts WHERE rowid = :pk"), {"pk": work.pk})
            session.execute(text("INSERT INTO works_fts(rowid, terms) VALUES (:pk, :terms)"),
                            {"pk": work.pk, "terms": work.search_terms})

    # ---- reading ------------------------------------------------------------------------------
    def get(self, id: str, session: Session | None = None) -> Work:
        def find(s: Session) -> Work:
            work = s.scalar(select(Work).where(Work.id == id))
            if work is None:
                raise NotFound(f"no work with id {id!r}", "work_id")
            return work

        if session is not None:
            return find(session)
        with self.sessions() as s:
            return find(s)

    def content_path(self, work: Work) -> Path:
        return self.blobs.path(work.sha256)

    def list(self, flt: WorkFilter | None = None) -> tuple[list[Work], int]:
        """Works matching the filter, newest first, and how many match in all."""
        flt = flt or WorkFilter()
        if not 1 <= flt.limit <= 500:
            raise InvalidInput("limit must be between 1 and 500", "limit")
        if flt.offset < 0:
            raise InvalidInput("offset must be 0 or more", "offset")
        stmt = self._filtered(flt)
        with self.sessions() as s:
            total = s.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
            works = list(s.scalars(stmt.order_by(Work.created_at.desc(), Work.pk.desc())
                                   .limit(flt.limit).offset(flt.offset)))
        return works, int(total or 0)

    def _filtered(self, flt: WorkFilter) -> Select:
        stmt = select(Work)
        if flt.kind:
            stmt = stmt.where(Work.kind == flt.kind)
        if flt.tag:
            stmt = stmt.where(Work.pk.in_(select(WorkTag.work_pk).where(WorkTag.tag == flt.tag)))
        if flt.board:
            stmt = stmt.where(Work.pk.in_(select(BoardWork.work_pk).join(Board).where(Board.name == flt.board)))
        if flt.starred is not None:
            stmt = stmt.where(Work.starred == flt.starred)
        if flt.model:
            stmt = stmt.where(Work.model == flt.model)
        if flt.task:
            stmt = stmt.where(Work.task == flt.task)
        if flt.job_id:
            stmt = stmt.where(Work.job_id == flt.job_id)
        if flt.status:
            stmt = stmt.where(Work.status == flt.status)
        if flt.since:
            stmt = stmt.where(Work.created_at >= flt.since)
        if flt.until:
            stmt = stmt.where(Work.created_at < flt.until)
        if flt.query and flt.query.strip():
            terms = search_text.query_terms(flt.query)
            if not terms:
                raise InvalidInput("query has no words or characters to search for", "query")
            if self.sqlite:
                stmt = stmt.where(text("works.pk IN (SELECT rowid FROM works_fts WHERE works_fts MATCH :q)")
                                  .bindparams(q=search_text.fts5_query(terms)))
            else:
                stmt = stmt.where(text("to_tsvector('simple', works.search_terms) @@ to_tsquery('simple', :q)")
                                  .bindparams(q=search_text.tsquery(terms)))
        return stmt

    # ---- changing -----------------------------------------------------------------------------
    def tag(self, id: str, add: list[str] = (), remove: list[str] = ()) -> Work:
        add = [safe_name(t, "tag") for t in add]
        remove = [safe_name(t, "tag") for t in remove]
        with transaction(self.sessions) as s:
            work = self.get(id, s)
            have = {t.tag for t in work.tags}
            work.tags = [t for t in work.tags if t.tag not in remove] + [
                WorkTag(tag=t) for t in dict.fromkeys(add) if t not in have]
            s.flush()
            work.search_terms = search_text.index_terms(
                work.title, work.text_content, *search_text.recipe_strings(work.recipe), *[t.tag for t in work.tags])
            self._index(s, work)
            return work

    def star(self, id: str, starred: bool = True) -> Work:
        with transaction(self.sessions) as s:
            work = self.get(id, s)
            work.starred = starred
            return work

    def rate(self, id: str, rating: int | None) -> Work:
        if rating is not None and not 0 <= rating <= 5:
            raise InvalidInput("rating must be between 0 and 5", "rating")
        with transaction(self.sessions) as s:
            work = self.get(id, s)
            work.rating = rating
            return work

    def set_title(self, id: str, title: str) -> Work:
        with transaction(self.sessions) as s:
            work = self.get(id, s)
            work.title = title[:500]
            work.search_terms = search_text.index_terms(
                work.title, work.text_content, *search_text.recipe_strings(work.recipe), *[t.tag for t in work.tags])
            self._index(s, work)
            return work

    def delete(self, id: str) -> None:
        """Remove a Work; its bytes go too unless another Work shares them."""
        with transaction(self.sessions) as s:
            work = self.get(id, s)
            shas = {work.sha256, work.thumb_sha256} - {None}
            if self.sqlite:
                s.execute(text("DELETE FROM works_fts WHERE rowid = :pk"), {"pk": work.pk})
            s.delete(work)
            s.flush()
            still_used = set(s.scalars(select(Work.sha256).where(Work.sha256.in_(shas)))) | set(
                s.scalars(select(Work.thumb_sha256).where(Work.thumb_sha256.in_(shas))))
        for sha in shas - still_used:
            self.blobs.delete(sha)

    def mark_status(self, ids: list[str], status: str, note: str | None = None) -> None:
        if not ids:
            return
        with transaction(self.sessions) as s:
            for work in s.scalars(select(Work).where(Work.id.in_(ids))):
                work.status = status
                if note:
                    work.meta = {**(work.meta or {}), "status_note": note}

    # ---- boards -------------------------------------------------------------------------------
    def boards(self) -> list[dict]:
        with self.sessions() as s:
            rows = s.execute(select(Board, func.count(BoardWork.work_pk)).outerjoin(BoardWork)
                             .group_by(Board.pk).order_by(Board.name)).all()
        return [{"id": b.id, "name": b.name, "works": n, "created_at": b.created_at.isoformat()} for b, n in rows]

    def _board(self, s: Session, name: str, create: bool) -> Board:
        name = safe_name(name, "board", 200)
        board = s.scalar(select(Board).where(Board.name == name))
        if board is None:
            if not create:
                raise NotFound(f"no board named {name!r}", "board")
            board = Board(id=new_id(), name=name)
            s.add(board)
            s.flush()
        return board

    def add_to_board(self, board: str, ids: list[str]) -> None:
        with transaction(self.sessions) as s:
            b = self._board(s, board, create=True)
            for id in ids:
                work = self.get(id, s)
                if not s.get(BoardWork, (b.pk, work.pk)):
                    s.add(BoardWork(board_pk=b.pk, work_pk=work.pk))

    def remove_from_board(self, board: str, ids: list[str]) -> None:
        with transaction(self.sessions) as s:
            b = self._board(s, board, create=False)
            pks = [self.get(id, s).pk for id in ids]
            s.execute(delete(BoardWork).where(BoardWork.board_pk == b.pk, BoardWork.work_pk.in_(pks)))

    def delete_board(self, board: str) -> None:
        with transaction(self.sessions) as s:
            s.delete(self._board(s, board, create=False))

    def boards_of(self, ids: list[str]) -> dict[str, list[str]]:
        with self.sessions() as s:
            rows = s.execute(select(Work.id, Board.name).join(BoardWork, BoardWork.work_pk == Work.pk)
                             .join(Board, Board.pk == BoardWork.board_pk).where(Work.id.in_(ids))).all()
        found: dict[str, list[str]] = {}
        for wid, name in rows:
            found.setdefault(wid, []).append(name)
        return found

    def children_of(self, id: str) -> list[str]:
        with self.sessions() as s:
            return list(s.scalars(select(Work.id).join(WorkLink, WorkLink.child_pk == Work.pk)
                                  .where(WorkLink.parent_id == id)))

    # ---- restore / remix ----------------------------------------------------------------------
    def restore(self, id: str) -> dict:
        """The task and exact Recipe that made this Work ("use all")."""
        work = self.get(id)
        if not work.task or work.recipe is None:
            raise InvalidInput(f"work {id} has no recipe to restore (it was {work.authorship}-made or imported)",
                               "work_id")
        return {"task": work.task, "recipe": dict(work.recipe)}

    def remix(self, id: str) -> dict:
        """The same Recipe with a fresh seed ("all but the seed")."""
        from muselab.engines import new_seed

        restored = self.restore(id)
        restored["recipe"]["seed"] = new_seed()
        return restored


def work_to_dict(work: Work, full: bool = True) -> dict[str, Any]:
    snippet = (work.text_content or "")[:300]
    data = {
        "id": work.id, "kind": work.kind, "media_type": work.media_type, "title": work.title,
        "filename": work.filename or default_filename(work), "sha256": work.sha256, "size": work.size,
        "has_thumbnail": bool(work.thumb_sha256), "task": work.task, "model": work.model,
        "model_hash": work.model_hash, "seed": work.seed, "authorship": work.authorship, "status": work.status,
        "job_id": work.job_id, "starred": work.starred, "rating": work.rating,
        "created_at": work.created_at.isoformat() if work.created_at else None,
        "tags": sorted(t.tag for t in work.tags), "parents": [link.parent_id for link in work.parent_links],
        "snippet": snippet,
    }
    if full:
        data.update(recipe=work.recipe, meta=work.meta or {}, text=work.text_content)
    return data


def default_filename(work: Work) -> str:
    ext = mimetypes.guess_extension(work.media_type.split(";")[0].strip()) or ""
    overrides = {"audio/midi": ".mid", "audio/x-midi": ".mid", "text/plain": ".txt",
                 "application/vnd.recordare.musicxml+xml": ".musicxml"}
    ext = overrides.get(work.media_type.split(";")[0].strip(), ext)
    return f"{work.kind}-{work.id}{ext}"
