"""Export Works (or a board) as a zip with their files and a JSON manifest; import such a zip elsewhere.

The zip holds `manifest.json` and `blobs/<sha256>` for each file. Ids, recipes, tags, boards and
derived-from links travel with the Works, so an import into another library keeps every link.
"""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from muselab.errors import InvalidInput
from muselab.library.models import Work
from muselab.library.store import Library, NewWork, WorkFilter, work_to_dict

FORMAT = "muselab-export"
VERSION = 1
_SHA = re.compile(r"[0-9a-f]{64}")


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


def export_zip(library: Library, destination: Path, ids: list[str] | None = None, board: str | None = None,
               with_parents: bool = True) -> dict:
    wanted = collect(library, ids, board, with_parents)
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
    destination = Path(destination)
    tmp = destination.with_suffix(destination.suffix + ".partial")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1))
        for sha in sorted(shas):
            zf.write(library.blobs.path(sha), f"blobs/{sha}")
    tmp.replace(destination)
    return {"path": str(destination), "works": len(entries), "files": len(shas)}


def import_zip(library: Library, source: Path) -> dict:
    """Add the zip's Works to this library; Works whose id is already here are skipped, not duplicated."""
    try:
        zf = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InvalidInput(f"not a readable zip file: {exc}", "file") from None
    with zf:
        try:
            manifest = json.loads(zf.read("manifest.json"))
        except KeyError:
            raise InvalidInput("the zip has no manifest.json: not a Muselab export", "file") from None
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"manifest.json is not valid JSON: {exc}", "file") from None
        if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
            raise InvalidInput(f"unsupported export format {manifest.get('format')!r} "
                               f"version {manifest.get('version')!r}; accepted: {FORMAT} {VERSION}", "file")
        works = manifest.get("works") or []
        names = set(zf.namelist())
        for entry in works:  # check everything before writing anything
            sha = entry.get("sha256", "")
            if not _SHA.fullmatch(sha) or f"blobs/{sha}" not in names:
                raise InvalidInput(f"work {entry.get('id')!r} has no file in the zip", "file")
        with library.sessions() as s:
            existing = set(s.scalars(select(Work.id).where(Work.id.in_([w.get("id") for w in works]))))
        added, skipped = [], []
        for entry in works:
            if entry["id"] in existing:
                skipped.append(entry["id"])
                continue
            data = zf.read(f"blobs/{entry['sha256']}")
            if hashlib.sha256(data).hexdigest() != entry["sha256"]:
                raise InvalidInput(f"file of work {entry['id']} does not match its sha256: the zip is damaged", "file")
            created = entry.get("created_at")
            library.add(NewWork(
                id=entry["id"], kind=entry["kind"], media_type=entry["media_type"], data=data,
                title=entry.get("title") or "", filename=entry.get("filename"), text=entry.get("text"),
                task=entry.get("task"), recipe=entry.get("recipe"), model=entry.get("model"),
                model_hash=entry.get("model_hash"), seed=entry.get("seed"),
                authorship=entry.get("authorship") or "ai", status=entry.get("status") or "ok",
                job_id=entry.get("job_id"), meta=entry.get("meta"), parents=entry.get("parents"),
                tags=entry.get("tags"), starred=bool(entry.get("starred")), rating=entry.get("rating"),
                created_at=datetime.fromisoformat(created) if created else None,
            ))
            added.append(entry["id"])
            for board in entry.get("boards") or []:
                library.add_to_board(board, [entry["id"]])
    return {"added": added, "skipped": skipped}
