"""Export Works (or a board) as a zip with their files and a JSON manifest; import such a zip elsewhere.

The zip holds `manifest.json` and `blobs/<sha256>` for each file. Ids, recipes, tags, boards and
derived-from links travel with the Works, so an import into another library keeps every link.

An import is all or nothing: the zip's shape and sizes, every manifest field (see manifest.py) and every
file's SHA-256 are checked before the first Work is written, and the Works are then added in one
transaction. A zip can come from anyone, so sizes are limited before and while reading: a small zip must
not be able to fill the disk or the memory (a "zip bomb").
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from muselab.db import transaction
from muselab.errors import Conflict, InvalidInput, TooLarge
from muselab.ids import new_id
from muselab.library.manifest import FORMAT, MAX_WORKS, VERSION, ManifestEntry, parse_manifest
from muselab.library.models import Board, BoardWork, Work
from muselab.library.store import Library, NewWork, WorkFilter, work_to_dict

# Limits of an import. The zip's own size is the owner's setting (max_import_mb); this is its default.
MAX_IMPORT_BYTES = 2 << 30  # the zip file itself
MAX_MANIFEST_BYTES = 32 << 20  # manifest.json, uncompressed (parsed in memory: ~10x this at most)
MAX_MEMBER_BYTES = 4 << 30  # one file, uncompressed
MAX_UNCOMPRESSED_BYTES = 8 << 30  # all files together, uncompressed (text compresses about 4:1)
MAX_RATIO = 100  # uncompressed / compressed; deflate reaches ~1000:1 only on bomb-like data such as zeros
RATIO_FROM_BYTES = 1 << 20  # small files may compress as well as they like
MAX_MEMBERS = MAX_WORKS + 1  # a file per Work at most, and the manifest
_CHUNK = 1 << 20
_COMPRESSIONS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)  # what export writes; others can need much memory


def collect(library: Library, ids: list[str] | None = None, board: str | None = None,
            with_parents: bool = True) -> list[str]:
    """Ids to export: the given works or a board's, plus their ancestors so links resolve."""
    chosen: list[str] = list(ids or [])
    if board:
        offset = 0
        while True:
            works, total = library.list(WorkFilter(board=board, limit=500, offset=offset))
            chosen += [w.id for w in works]
            offset += len(works)
            if offset >= total or not works:
                break
    if not chosen:
        raise InvalidInput("nothing to export: give work ids or a board", "ids")
    seen: dict[str, None] = {}
    queue = list(chosen)
    while queue:
        wid = queue.pop(0)
        if wid in seen:
            continue
        try:
            work = library.get(wid)
        except Exception:
            if wid in chosen:
                raise
            continue  # an ancestor that was deleted: the link stays, the work can't travel
        seen[wid] = None
        if with_parents:
            queue += [link.parent_id for link in work.parent_links]
    return list(seen)



# ---- export ------------------------------------------------------------------------------------
def export_zip(library: Library, destination: Path, ids: list[str] | None = None, board: str | None = None,
               with_parents: bool = True) -> dict:
    wanted = collect(library, ids, board, with_parents)
    if len(wanted) > MAX_WORKS:  # an import would refuse it: say so now, not on the other machine
        raise TooLarge(f"an export holds at most {MAX_WORKS} Works (asked for {len(wanted)}); "
                       f"export a board or a list of ids at a time", "ids")
    boards_of = library.boards_of(wanted)
    entries, shas = [], set()
    for wid in wanted:
        work = library.get(wid)
        entry = work_to_dict(work)
        entry["boards"] = boards_of.get(wid, [])
        entries.append(entry)
        shas.add(work.sha256)
    manifest = {"format": FORMAT, "version": VERSION, "exported_at": datetime.now().isoformat(),
                "works": entries}
    manifest_bytes = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
    if len(manifest_bytes) > MAX_MANIFEST_BYTES:
        raise TooLarge(f"the manifest of these {len(entries)} Works would be larger than the "
                       f"{MAX_MANIFEST_BYTES >> 20} MB an import accepts; export fewer Works at a time", "ids")
    destination = Path(destination)
    tmp = destination.with_suffix(destination.suffix + ".partial")
    try:
        too_compressed = _write_zip(tmp, manifest_bytes, library, shas, stored=set())
        if too_compressed:  # rare (e.g. a silent recording): keep those files uncompressed so import takes them
            _write_zip(tmp, manifest_bytes, library, shas, stored=too_compressed)
        tmp.replace(destination)
    finally:
        tmp.unlink(missing_ok=True)
    return {"path": str(destination), "works": len(entries), "files": len(shas)}


def _write_zip(path: Path, manifest: bytes, library: Library, shas: set[str], stored: set[str]) -> set[str]:
    """Write the export; return the names of members that compressed more than an import accepts."""
    def method(name: str) -> int:
        return zipfile.ZIP_STORED if name in stored else zipfile.ZIP_DEFLATED

    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("manifest.json", manifest, compress_type=method("manifest.json"))
        for sha in sorted(shas):
            zf.write(library.blobs.path(sha), f"blobs/{sha}", compress_type=method(f"blobs/{sha}"))
        return {info.filename for info in zf.infolist() if _too_compressed(info)}


def _too_compressed(info: zipfile.ZipInfo) -> bool:
    return info.file_size > RATIO_FROM_BYTES and info.file_size > MAX_RATIO * info.compress_size


# ---- import ------------------------------------------------------------------------------------
def import_zip(library: Library, source: Path, max_bytes: int = MAX_IMPORT_BYTES) -> dict:
    """Add the zip's Works to this library; Works whose id is already here are skipped, not duplicated.

    Nothing is written unless everything checks out; InvalidInput (422) or TooLarge (413) name what didn't."""
    source = Path(source)
    _check_archive(source, max_bytes)
    try:
        zf = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise InvalidInput(f"not a readable zip file: {exc}", "file") from None
    with zf:
        members = _members(zf)
        works = parse_manifest(_read_manifest(zf, members))
        for i, entry in enumerate(works):
            _check_file_of(entry, f"works[{i}]", members)
        existing = _existing_ids(library, [w.id for w in works])
        new = [w for w in works if w.id not in existing]
        _check_free_space(library, [members[f"blobs/{sha}"] for sha in {w.sha256 for w in new}])
        # The files go to a folder next to the blobs (same disk, and /tmp may be memory), removed however it ends.
        with tempfile.TemporaryDirectory(dir=library.blobs.root, prefix=".import-") as folder:
            files = {}
            for entry in new:
                if entry.sha256 not in files:
                    files[entry.sha256] = _extract(zf, members[f"blobs/{entry.sha256}"], Path(folder), entry)
            _add_all(library, new, files)
    return {"added": [w.id for w in new], "skipped": [w.id for w in works if w.id in existing]}


def _check_archive(source: Path, max_bytes: int) -> None:
    """The zip's own size, and how many members it declares, before zipfile reads its directory into memory."""
    size = source.stat().st_size
    if size > max_bytes:
        raise TooLarge(f"the zip is {size >> 20} MB; an import takes at most {max_bytes >> 20} MB", "file")
    end_record = getattr(zipfile, "_EndRecData", None)  # private but long-lived; without it the count is checked later
    if end_record is None:
        return
    try:
        with open(source, "rb") as f:
            record = end_record(f)
    except (OSError, ValueError):
        return  # zipfile itself says what is wrong with it
    if record and record[zipfile._ECD_ENTRIES_TOTAL] > MAX_MEMBERS:
        raise TooLarge(f"the zip declares {record[zipfile._ECD_ENTRIES_TOTAL]} files; "
                       f"an import takes at most {MAX_MEMBERS}", "file")


def _check_free_space(library: Library, files: list[zipfile.ZipInfo]) -> None:
    """Each new file is on the library's disk twice for a moment (unpacked, then stored): a full disk
    would fail the import half way, and everything else the studio writes with it."""
    needed = 2 * sum(info.file_size for info in files)
    free = shutil.disk_usage(library.blobs.root).free
    if needed > free:
        raise TooLarge(f"importing these files needs {needed >> 20} MB free on the library's disk; "
                       f"{free >> 20} MB are", "file")


def _members(zf: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    """The zip's members by name, each checked on what its directory declares (read sizes are checked again)."""
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise TooLarge(f"the zip holds {len(infos)} files; an import takes at most {MAX_MEMBERS}", "file")
    members: dict[str, zipfile.ZipInfo] = {}
    total = 0
    for info in infos:
        name = info.filename[:80]
        if info.filename in members:
            raise InvalidInput(f"the zip holds {name!r} twice: it is damaged or not a Muselab export", "file")
        if info.flag_bits & 0x1:
            raise InvalidInput(f"{name!r} in the zip is encrypted; exports are not", "file")
        if info.compress_type not in _COMPRESSIONS:
            raise InvalidInput(f"{name!r} in the zip uses compression method {info.compress_type}; "
                               f"accepted: stored (0) or deflated (8)", "file")
        if info.file_size > MAX_MEMBER_BYTES:
            raise TooLarge(f"{name!r} in the zip is {info.file_size >> 20} MB uncompressed; "
                           f"at most {MAX_MEMBER_BYTES >> 20} MB per file", "file")
        if _too_compressed(info):
            raise TooLarge(f"{name!r} in the zip would grow {info.file_size // max(info.compress_size, 1)} times "
                           f"when uncompressed; at most {MAX_RATIO} times for files over "
                           f"{RATIO_FROM_BYTES >> 20} MB", "file")
        total += info.file_size
        members[info.filename] = info
    if total > MAX_UNCOMPRESSED_BYTES:
        raise TooLarge(f"the zip's files add up to {total >> 20} MB uncompressed; "
                       f"an import takes at most {MAX_UNCOMPRESSED_BYTES >> 20} MB", "file")
    return members


def _read_manifest(zf: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo]) -> object:
    info = members.get("manifest.json")
    if info is None:
        raise InvalidInput("the zip has no manifest.json: not a Muselab export", "file")
    if info.file_size > MAX_MANIFEST_BYTES:
        raise TooLarge(f"manifest.json is {info.file_size >> 20} MB; at most {MAX_MANIFEST_BYTES >> 20} MB", "file")
    data = io.BytesIO()
    for chunk in _chunks(zf, info, MAX_MANIFEST_BYTES):
        data.write(chunk)
    try:
        return json.loads(data.getvalue())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"manifest.json is not valid JSON: {exc}", "file") from None
    except RecursionError:
        raise InvalidInput("manifest.json is nested too deeply to be a Muselab manifest", "file") from None


def _check_file_of(entry: ManifestEntry, field: str, members: dict[str, zipfile.ZipInfo]) -> None:
    info = members.get(f"blobs/{entry.sha256}")
    if info is None:
        raise InvalidInput(f"work {entry.id} has no file in the zip (blobs/{entry.sha256})", f"{field}.sha256")
    if entry.size is not None and entry.size != info.file_size:
        raise InvalidInput(f"work {entry.id} says its file has {entry.size} bytes but the zip's has "
                           f"{info.file_size}: the zip is damaged", f"{field}.size")


def _chunks(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> Iterator[bytes]:
    """A member's bytes, a chunk at a time, counted: a directory's declared sizes can lie, the bytes read can't."""
    name = info.filename[:80]
    read = 0
    try:
        with zf.open(info) as member:
            while chunk := member.read(_CHUNK):
                read += len(chunk)
                if read > limit:
                    raise TooLarge(f"{name!r} in the zip is larger than {limit >> 20} MB uncompressed", "file")
                if read > info.file_size:
                    raise InvalidInput(f"{name!r} in the zip holds more bytes than it declares: "
                                       f"the zip is damaged", "file")
                yield chunk
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError) as exc:
        raise InvalidInput(f"{name!r} in the zip can't be read: {exc}", "file") from None
    if read != info.file_size:
        raise InvalidInput(f"{name!r} in the zip holds {read} bytes, not the {info.file_size} it declares: "
                           f"the zip is damaged", "file")


def _extract(zf: zipfile.ZipFile, info: zipfile.ZipInfo, folder: Path, entry: ManifestEntry) -> Path:
    """Stream one Work's file to `folder`, checking its SHA-256 on the way (the files' total was checked
    from the declared sizes, and no file yields more than it declares)."""
    target = folder / entry.sha256
    digest = hashlib.sha256()
    with open(target, "wb") as out:
        for chunk in _chunks(zf, info, MAX_MEMBER_BYTES):
            digest.update(chunk)
            out.write(chunk)
    if digest.hexdigest() != entry.sha256:
        raise InvalidInput(f"file of work {entry.id} does not match its sha256: the zip is damaged", "file")
    return target


def _batches(values: list[str], size: int = 500) -> Iterator[list[str]]:
    """SQLite allows a limited number of parameters per query: ask about many values in slices."""
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _existing_ids(library: Library, ids: list[str]) -> set[str]:
    found: set[str] = set()
    with library.sessions() as s:
        for some in _batches(ids):
            found |= set(s.scalars(select(Work.id).where(Work.id.in_(some))))
    return found


def _add_all(library: Library, new: list[ManifestEntry], files: dict[str, Path]) -> None:
    """Every Work and board link in one transaction; if it fails, the files it stored go too."""
    fresh = {sha for sha in files if not library.blobs.exists(sha)}
    added: list[Work] = []
    try:
        with transaction(library.sessions) as s:
            for entry in new:
                added.append(library.add(_new_work(entry, files[entry.sha256]), session=s))
            for entry, work in zip(new, added, strict=True):
                for board in dict.fromkeys(entry.boards):
                    s.add(BoardWork(board_pk=_board(s, board).pk, work_pk=work.pk))
    except BaseException as exc:
        _forget_unused_blobs(library, fresh | {w.thumb_sha256 for w in added if w.thumb_sha256})
        if isinstance(exc, IntegrityError):
            raise Conflict("a Work with one of these ids was added while importing; nothing was imported. "
                           "Import again to add the rest", "file") from None
        raise


def _new_work(entry: ManifestEntry, path: Path) -> NewWork:
    return NewWork(
        id=entry.id, kind=entry.kind, media_type=entry.media_type, path=path, title=entry.title,
        filename=entry.filename, text=entry.text, task=entry.task, recipe=entry.recipe, model=entry.model,
        model_hash=entry.model_hash, seed=entry.seed, authorship=entry.authorship, status=entry.status,
        job_id=entry.job_id, meta=entry.meta, parents=entry.parents, tags=entry.tags, starred=entry.starred,
        rating=entry.rating, created_at=entry.created_at,
    )


def _board(s: Session, name: str) -> Board:
    board = s.scalar(select(Board).where(Board.name == name))
    if board is None:
        board = Board(id=new_id(), name=name)
        s.add(board)
        s.flush()
    return board


def _forget_unused_blobs(library: Library, shas: set[str]) -> None:
    """After a failed import: remove the files it stored that no Work uses (a blob may be shared)."""
    used: set[str] = set()
    with library.sessions() as s:
        for some in _batches(sorted(shas)):
            used |= set(s.scalars(select(Work.sha256).where(Work.sha256.in_(some))))
            used |= set(s.scalars(select(Work.thumb_sha256).where(Work.thumb_sha256.in_(some))))
    for sha in shas - used:
        library.blobs.delete(sha)
