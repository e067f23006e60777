"""The library: Works (metadata in SQL, bytes in the blob store), tags, boards, search, links."""

from __future__ import annotations

import io
import mimetypes
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import Select, delete, func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from muselab.db import is_sqlite, lock_names, transaction
from muselab.errors import InvalidInput, NotFound
from muselab.ids import as_utc, new_id, utcnow
from muselab.library import search_text
from muselab.library.blobs import BlobStore, Staged
from muselab.library.models import Board, BoardWork, Work, WorkLink, WorkTag
from muselab.library.validate import safe_name, work_id

KINDS = ("text", "image", "midi", "audio", "score", "video", "model", "corpus", "data", "file")
AUTHORSHIP = ("ai", "human", "co-created")
MAX_TEXT_CONTENT = 100_000
THUMB_SIZE = 320
MAX_THUMB_PIXELS = 50_000_000  # decoding more would take gigabytes: such a picture is kept without a thumbnail


@dataclass
class NewWork:
    """Everything needed to keep one Work (the engine's Output plus what the studio knows)."""

    kind: str
    media_type: str
    data: bytes | None = None
    path: Path | None = None
    stream: BinaryIO | None = None  # read to its end straight into the blob store (an upload)
    max_bytes: int | None = None  # content larger than this is refused with TooLarge while it is read
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
        """Store the bytes, then the metadata; returns the new Work.

        The bytes are staged (written and hashed) first, outside any lock; the row and the blob then go in
        together in one transaction (see _keep_blobs), so a concurrent delete of the same bytes cannot
        leave the new Work pointing at nothing."""
        if new.kind not in KINDS:
            raise InvalidInput(f"kind must be one of {', '.join(KINDS)} (got {new.kind!r})", "kind")
        if new.authorship not in AUTHORSHIP:
            raise InvalidInput(f"authorship must be one of {', '.join(AUTHORSHIP)}", "authorship")
        if new.filename:
            new.filename = safe_name(new.filename, "filename", 255)
        staged = self._stage(new)
        thumb = None
        try:
            if new.media_type.startswith("image/"):
                thumb = self._thumbnail(staged.path)
            work = self._new_row(new, staged, thumb)

            def insert(s: Session) -> Work:
                s.add(work)
                s.flush()  # the row is written before the blobs are locked: see _keep_blobs
                self._index(s, work)
                self._keep_blobs(s, [staged, thumb] if thumb else [staged])
                return work

            if session is not None:
                return insert(session)
            with transaction(self.sessions) as s:
                return insert(s)
        finally:  # once placed, the blob no longer needs the staged copy (the lock keeps it until commit)
            for leftover in (staged, thumb):
                if leftover is not None:
                    self.blobs.discard(leftover)

    def _stage(self, new: NewWork) -> Staged:
        """The Work's content written to a staged file; the first of data, path and stream that is given."""
        if new.data is not None:
            return self.blobs.stage(new.data, new.max_bytes)
        if new.path is not None:
            return self.blobs.stage(Path(new.path), new.max_bytes)
        if new.stream is not None:
            return self.blobs.stage(new.stream, new.max_bytes)
        raise InvalidInput("a work needs content (data, path or stream)", "content")

    def _new_row(self, new: NewWork, staged: Staged, thumb: Staged | None) -> Work:
        text_content = new.text
        if text_content is None and new.media_type.startswith("text/") and staged.size <= MAX_TEXT_CONTENT:
            text_content = staged.path.read_bytes().decode("utf-8", errors="replace")
        work = Work(
            id=new.id or new_id(), kind=new.kind, media_type=new.media_type, title=(new.title or "")[:500],
            filename=new.filename, sha256=staged.sha256, size=staged.size,
            thumb_sha256=thumb.sha256 if thumb else None, task=new.task, recipe=new.recipe,
            model=new.model, model_hash=new.model_hash, seed=new.seed, authorship=new.authorship,
            status=new.status, job_id=new.job_id, text_content=(text_content or None) and text_content[:MAX_TEXT_CONTENT],
            meta=new.meta or {}, starred=new.starred, rating=new.rating, created_at=new.created_at or utcnow(),
        )
        work.search_terms = search_text.index_terms(
            work.title, text_content, *search_text.recipe_strings(new.recipe), *(new.tags or []))
        work.tags = [WorkTag(tag=safe_name(t, "tag")) for t in dict.fromkeys(new.tags or [])]
        work.parent_links = [WorkLink(parent_id=work_id(p, "parents")) for p in dict.fromkeys(new.parents or [])]
        return work

    def _keep_blobs(self, s: Session, staged: list[Staged]) -> None:
        """Make sure each blob the new row points at is in place, before the row commits.

        Under each blob's lock a delete either finished first (then the blob is missing and the staged
        copy goes in) or waits for this commit (then it sees the new row and keeps the blob). On SQLite
        the "lock" is the database write lock, which the caller's flush of the row already took: adder
        and deleter both write before they look, so they cannot interleave."""
        lock_names(s, [blob.sha256 for blob in staged])
        for blob in staged:
            self.blobs.place(blob)

    def _thumbnail(self, source: Path) -> Staged | None:
        """A small PNG of the picture, staged like any blob; None when Pillow can't read it or it is too big."""
        try:
            from PIL import Image

            with Image.open(source) as image:  # reads the header only; pixels are decoded by thumbnail()
                if image.width * image.height > MAX_THUMB_PIXELS:
                    return None
                image.thumbnail((THUMB_SIZE, THUMB_SIZE))
                if image.mode not in ("RGB", "RGBA"):
                    image = image.convert("RGBA")
                out = io.BytesIO()
                image.save(out, format="PNG", optimize=True)
            return self.blobs.stage(out.getvalue())
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

    CARD_COLUMNS = ("pk", "id", "kind", "media_type", "title", "filename", "sha256", "size", "thumb_sha256", "task",
                    "model", "model_hash", "seed", "authorship", "status", "job_id", "starred", "rating", "created_at")

    def cards(self, flt: WorkFilter | None = None) -> tuple[list[dict], int]:
        """Like list(), as the small dicts a list view shows, built without ORM objects.

        The list is the studio's busiest read: plain rows for the page, a count, and one query for
        the page's tags and links, instead of an ORM object graph per Work."""
        flt = flt or WorkFilter()
        if not 1 <= flt.limit <= 500:
            raise InvalidInput("limit must be between 1 and 500", "limit")
        if flt.offset < 0:
            raise InvalidInput("offset must be 0 or more", "offset")
        columns = [getattr(Work, c) for c in self.CARD_COLUMNS]
        stmt = (self._filtered(flt, *columns, func.substr(Work.text_content, 1, 300).label("snippet"))
                .order_by(Work.created_at.desc(), Work.pk.desc()).limit(flt.limit).offset(flt.offset))
        with self.sessions() as s:
            rows = s.execute(stmt).all()
            if flt.offset == 0 and len(rows) < flt.limit:
                total = len(rows)  # the whole result fits on this page: no need to count
            else:  # (a window count would make SQLite build every matching row before the LIMIT)
                total = s.scalar(select(func.count()).select_from(self._filtered(flt, Work.pk).subquery()))
            pks = [r.pk for r in rows]
            tags: dict[int, list[str]] = {}
            parents: dict[int, list[str]] = {}
            if pks:
                for pk, tag in s.execute(select(WorkTag.work_pk, WorkTag.tag).where(WorkTag.work_pk.in_(pks))):
                    tags.setdefault(pk, []).append(tag)
                for pk, parent in s.execute(select(WorkLink.child_pk, WorkLink.parent_id)
                                            .where(WorkLink.child_pk.in_(pks))):
                    parents.setdefault(pk, []).append(parent)
        items = [card(r, tags.get(r.pk, []), parents.get(r.pk, []), r.snippet or "") for r in rows]
        return items, int(total or 0)

    def _filtered(self, flt: WorkFilter, *columns) -> Select:
        stmt = select(*columns) if columns else select(Work)
        for name in ("kind", "model", "task", "job_id", "status", "starred"):  # the filters that match a column
            value = getattr(flt, name)
            if value is not None and value != "":
                stmt = stmt.where(getattr(Work, name) == value)
        if flt.tag:
            stmt = stmt.where(Work.pk.in_(select(WorkTag.work_pk).where(WorkTag.tag == flt.tag)))
        if flt.board:
            stmt = stmt.where(Work.pk.in_(select(BoardWork.work_pk).join(Board).where(Board.name == flt.board)))
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
        """Remove a Work; its bytes go too unless another Work shares them.

        Unused blobs are moved to the trash inside the transaction, under their locks (see _keep_blobs),
        and emptied only after the commit; if the commit fails they are put back."""
        trashed: list[tuple[str, Path]] = []
        try:
            with transaction(self.sessions) as s:
                work = self.get(id, s)
                shas = {work.sha256, work.thumb_sha256} - {None}
                if self.sqlite:
                    s.execute(text("DELETE FROM works_fts WHERE rowid = :pk"), {"pk": work.pk})
                s.delete(work)
                s.flush()  # written before the blobs are locked, as in add: on SQLite this write is the lock
                lock_names(s, shas)
                # read after the lock: at PostgreSQL's default READ COMMITTED this sees every add that
                # committed before it; an add still to commit waits for the lock and puts the blob back
                for sha in sorted(shas - self._shas_in_use(s, shas)):
                    if (moved := self.blobs.trash(sha)) is not None:
                        trashed.append((sha, moved))
        except BaseException:
            for sha, moved in trashed:
                self.blobs.untrash(sha, moved)
            raise
        for _, moved in trashed:
            self.blobs.empty_trash(moved)

    @staticmethod
    def _shas_in_use(s: Session, shas: set[str]) -> set[str]:
        """Which of these blobs a Work points at, as its content or its thumbnail."""
        if not shas:
            return set()
        return set(s.scalars(select(Work.sha256).where(Work.sha256.in_(shas)))) | set(
            s.scalars(select(Work.thumb_sha256).where(Work.thumb_sha256.in_(shas))))

    def recover(self) -> None:
        """Tidy what a killed process left in the blob store; the studio calls this once at start.

        A trashed blob a Work still points at goes back (its delete never committed); other trash and
        staged uploads nobody has touched for a while are removed."""
        trashed = self.blobs.trashed()
        with self.sessions() as s:
            in_use = self._shas_in_use(s, set(trashed.values()))
        for moved, sha in trashed.items():
            if sha in in_use:
                self.blobs.untrash(sha, moved)
            else:
                self.blobs.empty_trash(moved)
        self.blobs.remove_stale_incoming()

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
        return [{"id": b.id, "name": b.name, "works": n, "created_at": as_utc(b.created_at).isoformat()} for b, n in rows]

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


def card(work, tags: list[str], parents: list[str], snippet: str) -> dict[str, Any]:
    """What a list shows of a Work (a Work object or a row with the same column names)."""
    return {
        "id": work.id, "kind": work.kind, "media_type": work.media_type, "title": work.title,
        "filename": work.filename or default_filename(work), "sha256": work.sha256, "size": work.size,
        "has_thumbnail": bool(work.thumb_sha256), "task": work.task, "model": work.model,
        "model_hash": work.model_hash, "seed": work.seed, "authorship": work.authorship, "status": work.status,
        "job_id": work.job_id, "starred": work.starred, "rating": work.rating,
        "created_at": as_utc(work.created_at).isoformat() if work.created_at else None,
        "tags": sorted(tags), "parents": list(parents), "snippet": snippet,
    }


def work_to_dict(work: Work, full: bool = True) -> dict[str, Any]:
    data = card(work, [t.tag for t in work.tags], [link.parent_id for link in work.parent_links],
                (work.text_content or "")[:300])
    if full:
        data.update(recipe=work.recipe, meta=work.meta or {}, text=work.text_content)
    return data


def default_filename(work: Work) -> str:
    ext = mimetypes.guess_extension(work.media_type.split(";")[0].strip()) or ""
    overrides = {"audio/midi": ".mid", "audio/x-midi": ".mid", "text/plain": ".txt",
                 "application/vnd.recordare.musicxml+xml": ".musicxml"}
    ext = overrides.get(work.media_type.split(";")[0].strip(), ext)
    return f"{work.kind}-{work.id}{ext}"
