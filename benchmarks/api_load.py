"""HTTP API under load: can `muselab serve` on SQLite with 10,000 works answer 50 busy clients with p99 < 100 ms,
no errors and no lost jobs?

    python benchmarks/api_load.py [--clients 50 --seconds 30 --works 10000]

What it does, in one run:
1. makes a fresh data dir and seeds N works into it through the library (bulk: the library's own models, search
   terms and blob layout in a few big transactions; `--seed-mode add` uses Library.add one by one instead, slower);
2. the peer: the same list query (newest 50 works) done in-process through `Library.list`, no HTTP;
3. starts the real server (`muselab serve`) in a subprocess on a free loopback port;
4. an unloaded baseline (one client, one request at a time), then C concurrent clients (httpx, asyncio) for S seconds
   mixing GET /v1/works (plain list, filters, search incl. Chinese) and POST /v1/jobs (demo.text, steps=1,
   step_seconds=0), each client sending its next request as soon as the last one returned (closed loop);
5. waits for the queue to drain and checks that every job the server accepted exists and ended `succeeded`;
6. prints p50/p95/p99 per endpoint and overall, requests/s, errors, lost jobs, the ratio HTTP p50 / direct p50,
   and a one-line verdict against the goal.

It only ever talks to 127.0.0.1 and removes its data dir at the end (unless --keep).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import platform
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src"
if SRC.is_dir() and str(SRC) not in sys.path:
    sys.path.insert(0, str(SRC))

import httpx  # noqa: E402

GOAL_P99_MS = 100.0

ZH = ["秋风", "春雨", "明月", "山水", "江南", "故乡", "梅花", "长城", "夜雨", "星空", "海浪", "竹林", "落叶", "雪夜",
      "孤舟", "黄河", "丝路", "灯火", "远方", "归来"]
EN = ["autumn", "wind", "river", "moon", "mountain", "rain", "night", "dream", "city", "song", "light", "ocean",
      "forest", "road", "memory", "garden", "winter", "spring", "fire", "stone"]
TAGS = ["draft", "poem", "lyrics", "client-a", "client-b", "final", "idea", "archive"]
MODELS = ["demo", "tiny-gpt", "lstm-poet", "qwen-0.5b"]
KIND_MIX = [("text", "text/plain; charset=utf-8", 70), ("midi", "audio/midi", 15), ("data", "application/json", 10),
            ("file", "application/octet-stream", 5)]
BOARDS = ["moodboard", "album 1", "客户项目"]

# Endpoint mix of the load: (label, weight)
MIX = [("GET /v1/works", 40), ("GET /v1/works filtered", 20), ("GET /v1/works?q= search", 20), ("POST /v1/jobs", 20)]


# ---- seeding ----------------------------------------------------------------------------------
def fake_work(rng: random.Random, i: int, now: datetime):
    """The i-th made-up work: a NewWork as an engine's output would give it."""
    from muselab.library.store import NewWork

    kinds = [k for k, _, w in KIND_MIX for _ in range(w)]
    kind = rng.choice(kinds)
    media_type = next(m for k, m, _ in KIND_MIX if k == kind)
    words = lambda n: " ".join(rng.choice(ZH) if rng.random() < 0.5 else rng.choice(EN) for _ in range(n))  # noqa: E731
    prompt = words(rng.randint(2, 5))
    if kind == "text":
        text = "\n".join(words(rng.randint(4, 10)) for _ in range(rng.randint(3, 8))) + f"\n#{i}"
        data = text.encode()
    elif kind == "data":
        text, data = None, json.dumps({"i": i, "prompt": prompt}, ensure_ascii=False).encode()
    else:
        text, data = None, b"MThd" + i.to_bytes(4, "big") + rng.randbytes(rng.randint(40, 400))
    return NewWork(
        kind=kind, media_type=media_type, data=data, title=prompt[:80], text=text, task="demo.text",
        recipe={"prompt": prompt, "steps": rng.randint(1, 20), "step_seconds": 0.0, "seed": rng.getrandbits(31),
                "fail_at_step": None},
        model=rng.choice(MODELS), seed=rng.getrandbits(31), authorship=rng.choice(["ai", "ai", "co-created"]),
        meta={"n": i}, tags=rng.sample(TAGS, rng.randint(0, 3)), starred=rng.random() < 0.1,
        rating=rng.choice([None, None, 3, 4, 5]), created_at=now - timedelta(seconds=(10 * i)),
    )


def bulk_row(new, pk: int) -> tuple[dict, bytes]:
    """The `works` row Library.add would write for `new` (checked by check_bulk_equals_add), and its bytes."""
    from muselab.ids import new_id
    from muselab.library import search_text
    from muselab.library.store import MAX_TEXT_CONTENT

    data = new.data
    sha = hashlib.sha256(data).hexdigest()
    text = new.text
    if text is None and new.media_type.startswith("text/") and len(data) <= MAX_TEXT_CONTENT:
        text = data.decode("utf-8", errors="replace")
    row = dict(
        pk=pk, id=new.id or new_id(), kind=new.kind, media_type=new.media_type, title=(new.title or "")[:500],
        filename=new.filename, sha256=sha, size=len(data), thumb_sha256=None, task=new.task, recipe=new.recipe,
        model=new.model, model_hash=new.model_hash, seed=new.seed, authorship=new.authorship, status=new.status,
        job_id=new.job_id, text_content=(text or None) and text[:MAX_TEXT_CONTENT], meta=new.meta or {},
        starred=new.starred, rating=new.rating, created_at=new.created_at,
        search_terms=search_text.index_terms(new.title, text, *search_text.recipe_strings(new.recipe),
                                             *(new.tags or [])),
    )
    return row, data


def seed_bulk(studio, n: int, rng: random.Random) -> None:
    """Insert n works in batches: blobs written straight to their content-addressed paths (no fsync: this data
    dir is thrown away), rows, tags, FTS terms and board links by executemany, one transaction per batch."""
    from sqlalchemy import insert, text

    from muselab.db import transaction
    from muselab.ids import new_id
    from muselab.library.models import Board, BoardWork, Work, WorkTag

    lib = studio.library
    now = datetime.now(timezone.utc)
    with lib.sessions() as s:
        start_pk = (s.scalar(text("SELECT COALESCE(MAX(pk), 0) FROM works")) or 0) + 1
    with transaction(lib.sessions) as s:
        board_pks = []
        for name in BOARDS:
            board = Board(id=new_id(), name=name)
            s.add(board)
            s.flush()
            board_pks.append(board.pk)
    for prefix in range(256):  # the blob store's fan-out folders, made once
        (lib.blobs.root / f"{prefix:02x}").mkdir(parents=True, exist_ok=True)

    def write_blob(item: tuple[Path, bytes]) -> None:
        path, data = item
        if not path.exists():
            path.write_bytes(data)

    # Creating 10,000 small files is the slow part on a busy disk: a few threads write them while the rows go in.
    pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="seed-blobs")
    pending = []
    batch = 2000
    for first in range(0, n, batch):
        rows, tags, fts, board_links, blobs = [], [], [], [], []
        for i in range(first, min(n, first + batch)):
            new = fake_work(rng, i, now)
            row, data = bulk_row(new, start_pk + i)
            blobs.append((lib.blobs.path(row["sha256"]), data))
            rows.append(row)
            tags += [{"work_pk": row["pk"], "tag": t} for t in dict.fromkeys(new.tags or [])]
            fts.append({"pk": row["pk"], "terms": row["search_terms"]})
            if rng.random() < 0.05:
                board_links.append({"board_pk": rng.choice(board_pks), "work_pk": row["pk"], "added_at": now})
        with transaction(lib.sessions) as s:
            s.execute(insert(Work), rows)
            if tags:
                s.execute(insert(WorkTag), tags)
            if board_links:
                s.execute(insert(BoardWork), board_links)
            if lib.sqlite:
                s.execute(text("INSERT INTO works_fts(rowid, terms) VALUES (:pk, :terms)"), fts)
        pending += [pool.submit(write_blob, item) for item in blobs]
    for future in pending:
        future.result()
    pool.shutdown()


def seed_add(studio, n: int, rng: random.Random) -> None:
    """The reference way: Library.add per work (blob with fsync, ORM flush), 500 per transaction."""
    from muselab.db import transaction
    from muselab.library.store import WorkFilter

    lib = studio.library
    now = datetime.now(timezone.utc)
    for first in range(0, n, 500):
        with transaction(lib.sessions) as s:
            for i in range(first, min(n, first + 500)):
                lib.add(fake_work(rng, i, now), session=s)
    for index, name in enumerate(BOARDS):
        works, _ = lib.list(WorkFilter(limit=20, offset=index * 20))
        lib.add_to_board(name, [w.id for w in works])


def check_bulk_equals_add(studio) -> None:
    """Guard for the bulk seeder: one work added by Library.add has exactly the row bulk_row computes."""
    from muselab.library.store import work_to_dict

    now = datetime.now(timezone.utc)
    new = fake_work(random.Random(7), 0, now)
    expected, _ = bulk_row(new, pk=0)
    added = studio.library.add(new)
    got = {c: getattr(added, c) for c in expected if c not in ("pk", "id")}
    want = {c: v for c, v in expected.items() if c not in ("pk", "id")}
    got["created_at"] = got["created_at"].replace(tzinfo=timezone.utc) if got["created_at"].tzinfo is None \
        else got["created_at"]
    diff = {c: (want[c], got[c]) for c in want if want[c] != got[c]}
    if diff:
        raise SystemExit(f"bulk seeding would not match Library.add: {diff}")
    assert sorted(work_to_dict(added)["tags"]) == sorted(set(new.tags or []))
    studio.library.delete(added.id)


# ---- measuring --------------------------------------------------------------------------------
def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of values in seconds, returned in ms."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, int(round(q / 100 * len(ordered) + 0.5 - 1e-9)))
    return ordered[min(rank, len(ordered)) - 1] * 1000


def summary(values: list[float]) -> str:
    return f"p50 {pct(values, 50):7.1f}  p95 {pct(values, 95):7.1f}  p99 {pct(values, 99):7.1f}  max " \
           f"{max(values) * 1000 if values else float('nan'):7.1f} ms"


def measure_direct(studio, iterations: int) -> dict[str, list[float]]:
    """The peer: the plain list query through the Library in this process (and with the API's dict-making)."""
    from muselab.library.store import WorkFilter, work_to_dict

    lib = studio.library
    for _ in range(10):
        lib.list(WorkFilter(limit=50))
    plain, with_dicts, search = [], [], []
    for i in range(iterations):
        t = time.perf_counter()
        lib.list(WorkFilter(limit=50))
        plain.append(time.perf_counter() - t)
        t = time.perf_counter()
        works, total = lib.list(WorkFilter(limit=50))
        json.dumps({"items": [work_to_dict(w, full=False) for w in works], "total": total}, ensure_ascii=False)
        with_dicts.append(time.perf_counter() - t)
        t = time.perf_counter()
        lib.list(WorkFilter(query=ZH[i % len(ZH)], limit=50))
        search.append(time.perf_counter() - t)
    return {"Library.list (newest 50)": plain, "Library.list + work_to_dict + json": with_dicts,
            "Library.list search (zh)": search}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (Linux /proc), in seconds."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def start_server(data_dir: Path, port: int, workers: int | None) -> subprocess.Popen:
    env = {**os.environ, "MUSELAB_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1",
           "PYTHONPATH": os.pathsep.join(p for p in (str(SRC), os.environ.get("PYTHONPATH", "")) if p)}
    env.pop("MUSELAB_API_KEY", None)
    env.pop("MUSELAB_DATABASE_URL", None)
    cmd = [sys.executable, "-m", "muselab.cli.main", "serve", "--port", str(port), "--log-level", "warning"]
    if workers:
        cmd += ["--workers", str(workers)]
    log = open(data_dir / "server.log", "wb")
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited ({proc.returncode}):\n{(data_dir / 'server.log').read_text()}")
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise SystemExit("server did not answer /health within 60 s")


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def request_for(label: str, rng: random.Random) -> tuple[str, str, dict]:
    """(method, path, params-or-json) of one request of this kind."""
    if label == "GET /v1/works":
        return "GET", "/v1/works", {"limit": 50}
    if label == "GET /v1/works filtered":
        params = rng.choice([{"kind": "midi"}, {"tag": rng.choice(TAGS)}, {"starred": "true"},
                             {"kind": "text", "tag": rng.choice(TAGS)}, {"model": rng.choice(MODELS)},
                             {"board": rng.choice(BOARDS)}])
        return "GET", "/v1/works", {**params, "limit": 50}
    if label == "GET /v1/works?q= search":
        q = rng.choice([rng.choice(ZH), rng.choice(EN), f"{rng.choice(ZH)} {rng.choice(EN)}", rng.choice(EN)[:3]])
        return "GET", "/v1/works", {"q": q, "limit": 50}
    prompt = f"{rng.choice(ZH)} {rng.choice(EN)} load test"
    return "POST", "/v1/jobs", {"task": "demo.text", "recipe": {"prompt": prompt, "steps": 1, "step_seconds": 0}}


async def run_load(base: str, clients: int, seconds: float, think_ms: float, seed: int) -> dict:
    latencies: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    error_samples: list[str] = []
    job_ids: list[str] = []
    labels = [label for label, weight in MIX for _ in range(weight)]
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=httpx.Timeout(30.0)) as client:
        deadline = time.monotonic() + seconds

        async def one_client(index: int) -> None:
            rng = random.Random(seed * 1000 + index)
            while time.monotonic() < deadline:
                label = rng.choice(labels)
                method, path, payload = request_for(label, rng)
                t = time.perf_counter()
                try:
                    if method == "GET":
                        response = await client.get(path, params=payload)
                    else:
                        response = await client.post(path, json=payload)
                    elapsed = time.perf_counter() - t
                    ok = response.status_code in (200, 201)
                    if ok and method == "POST":
                        job_ids.append(response.json()["id"])
                    elif ok:
                        response.json()["total"]  # a whole, parseable answer
                    if not ok:
                        errors[label] += 1
                        if len(error_samples) < 5:
                            error_samples.append(f"{label}: HTTP {response.status_code} {response.text[:200]}")
                except (httpx.HTTPError, ValueError, KeyError) as exc:
                    elapsed = time.perf_counter() - t
                    errors[label] += 1
                    if len(error_samples) < 5:
                        error_samples.append(f"{label}: {type(exc).__name__}: {exc}")
                latencies[label].append(elapsed)
                if think_ms:
                    await asyncio.sleep(rng.expovariate(1 / (think_ms / 1000)))

        started = time.perf_counter()
        await asyncio.gather(*(one_client(i) for i in range(clients)))
        wall = time.perf_counter() - started
    return {"latencies": latencies, "errors": errors, "error_samples": error_samples, "job_ids": job_ids,
            "wall": wall}


def baseline_http(base: str, n: int) -> list[float]:
    """One client, one request at a time: the HTTP path's own cost without queueing behind other clients."""
    out = []
    with httpx.Client(base_url=base, timeout=30) as client:
        for _ in range(10):
            client.get("/v1/works", params={"limit": 50})
        for _ in range(n):
            t = time.perf_counter()
            client.get("/v1/works", params={"limit": 50}).raise_for_status()
            out.append(time.perf_counter() - t)
    return out


def drain_and_check(base: str, job_ids: list[str], timeout: float) -> dict:
    """Wait until nothing is queued or running, then read every job back: lost = accepted but not there."""
    t0 = time.monotonic()
    with httpx.Client(base_url=base, timeout=30) as client:
        while True:
            queued = client.get("/v1/jobs", params={"state": "queued", "limit": 1}).json()["total"]
            running = client.get("/v1/jobs", params={"state": "running", "limit": 1}).json()["total"]
            if queued == 0 and running == 0:
                break
            if time.monotonic() - t0 > timeout:
                break
            time.sleep(0.5)
        drain_seconds = time.monotonic() - t0
        states: dict[str, str] = {}
        works: dict[str, int] = {}
        offset = 0
        while True:
            page = client.get("/v1/jobs", params={"limit": 500, "offset": offset}).json()
            for job in page["items"]:
                states[job["id"]] = job["state"]
                works[job["id"]] = len(job["work_ids"])
            offset += len(page["items"])
            if not page["items"] or offset >= page["total"]:
                break
    lost = [j for j in job_ids if j not in states]
    unfinished = [j for j in job_ids if states.get(j) in ("queued", "running")]
    not_succeeded = {j: states[j] for j in job_ids if j in states and states[j] != "succeeded"}
    without_work = [j for j in job_ids if states.get(j) == "succeeded" and works.get(j) != 1]
    return {"drain_seconds": drain_seconds, "queued_left": queued, "running_left": running, "lost": lost,
            "unfinished": unfinished, "not_succeeded": not_succeeded, "without_work": without_work}


# ---- main ---------------------------------------------------------------------------------------
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients (default 50)")
    parser.add_argument("--seconds", type=float, default=30, help="load duration (default 30)")
    parser.add_argument("--works", type=int, default=10_000, help="works seeded before the load (default 10000)")
    parser.add_argument("--think-ms", type=float, default=0.0,
                        help="mean pause between a client's requests (default 0: closed loop, next request at once)")
    parser.add_argument("--workers", type=int, default=None, help="server job workers (default: MUSELAB_WORKERS or 2)")
    parser.add_argument("--seed-mode", choices=["bulk", "add"], default="bulk",
                        help="bulk (fast, default) or add (Library.add per work, the slow reference)")
    parser.add_argument("--direct-iterations", type=int, default=200, help="repetitions of the in-process peer")
    parser.add_argument("--data-dir", type=Path, default=None, help="use this (new) folder instead of a tmp dir")
    parser.add_argument("--keep", action="store_true", help="keep the data dir afterwards")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this JSON file")
    args = parser.parse_args()
    if not 1 <= args.clients <= 200:
        parser.error("--clients must be between 1 and 200 (this is a shared machine)")
    if not 1 <= args.seconds <= 600:
        parser.error("--seconds must be between 1 and 600")

    from muselab.config import Settings
    from muselab.studio import Studio

    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="muselab-bench-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    if any(data_dir.iterdir()):
        raise SystemExit(f"{data_dir} is not empty: the benchmark needs a fresh data dir")
    print(f"Muselab API load benchmark  {datetime.now(timezone.utc):%Y-%m-%d %H:%M UTC}")
    print(f"machine: {platform.node()} · {platform.machine()} · {os.cpu_count()} cores · Python "
          f"{platform.python_version()} · load average {os.getloadavg()[0]:.2f} (1 min) at start")
    print(f"data dir: {data_dir}")
    proc = None
    try:
        studio = Studio(Settings(data_dir=data_dir))
        check_bulk_equals_add(studio)
        t = time.perf_counter()
        (seed_bulk if args.seed_mode == "bulk" else seed_add)(studio, args.works, random.Random(42))
        seed_seconds = time.perf_counter() - t
        from muselab.library.store import WorkFilter

        total = studio.library.list(WorkFilter(limit=1))[1]
        found = studio.library.list(WorkFilter(query="秋风", limit=1))[1]
        print(f"seeded {total} works ({args.seed_mode}) in {seed_seconds:.1f} s "
              f"({total / seed_seconds:,.0f} works/s); '秋风' matches {found}")
        if total != args.works:
            raise SystemExit(f"expected {args.works} works after seeding, found {total}")

        direct = measure_direct(studio, args.direct_iterations)
        studio.close()

        port = free_port()
        proc = start_server(data_dir, port, args.workers)
        base = f"http://127.0.0.1:{port}"
        unloaded = baseline_http(base, args.direct_iterations)

        print(f"\nload: {args.clients} clients for {args.seconds:g} s against {base} (think time "
              f"{args.think_ms:g} ms) ...", flush=True)
        cpu0, client_cpu0, load0 = cpu_seconds(proc.pid), time.process_time(), os.getloadavg()[0]
        result = asyncio.run(run_load(base, args.clients, args.seconds, args.think_ms, seed=1))
        server_cpu = cpu_seconds(proc.pid) - cpu0
        client_cpu = time.process_time() - client_cpu0
        load1 = os.getloadavg()[0]
        check = drain_and_check(base, result["job_ids"], timeout=max(120.0, len(result["job_ids"]) / 5))
    finally:
        if proc is not None:
            stop_server(proc)

    lat, errors = result["latencies"], result["errors"]
    everything = [v for values in lat.values() for v in values]
    n_requests = len(everything)
    n_errors = sum(errors.values())
    rps = n_requests / result["wall"]
    print(f"\n{'endpoint':<34}{'requests':>9}{'errors':>8}   latency")
    for label, _ in MIX:
        print(f"{label:<34}{len(lat[label]):>9}{errors[label]:>8}   {summary(lat[label])}")
    print(f"{'all':<34}{n_requests:>9}{n_errors:>8}   {summary(everything)}")
    print(f"\nthroughput: {rps:,.0f} requests/s over {result['wall']:.1f} s; jobs accepted {len(result['job_ids'])} "
          f"({len(result['job_ids']) / result['wall']:.1f}/s)")
    print(f"CPU during the load: server {server_cpu:.1f} s, load generator {client_cpu:.1f} s of "
          f"{result['wall'] * (os.cpu_count() or 1):.0f} core-seconds; load average {load0:.2f} -> {load1:.2f}")
    print(f"queue drained in {check['drain_seconds']:.1f} s after the load; lost jobs {len(check['lost'])}, "
          f"not succeeded {len(check['not_succeeded'])}, succeeded without exactly one work "
          f"{len(check['without_work'])}")
    for sample in result["error_samples"]:
        print(f"  error sample: {sample}")
    if check["not_succeeded"]:
        print(f"  not succeeded (first 5): {dict(list(check['not_succeeded'].items())[:5])}")

    peer = direct["Library.list (newest 50)"]
    plain_http = lat["GET /v1/works"]
    print("\npeer (same query in-process, no HTTP, no other load):")
    for label, values in direct.items():
        print(f"  {label:<40} {summary(values)}")
    print(f"  HTTP one client at a time (GET /v1/works) {summary(unloaded)}")
    ratio_loaded = pct(plain_http, 50) / pct(peer, 50)
    ratio_unloaded = pct(unloaded, 50) / pct(peer, 50)
    print(f"ratio HTTP p50 / direct Library.list p50: {ratio_loaded:.1f}x under load "
          f"({pct(plain_http, 50):.1f} / {pct(peer, 50):.1f} ms), {ratio_unloaded:.1f}x with one client "
          f"({pct(unloaded, 50):.1f} / {pct(peer, 50):.1f} ms)")

    p99 = pct(everything, 99)
    lost = len(check["lost"]) + len(check["unfinished"]) + len(check["not_succeeded"])
    met = p99 < GOAL_P99_MS and n_errors == 0 and lost == 0
    reasons = []
    if p99 >= GOAL_P99_MS:
        reasons.append(f"p99 {p99:.0f} ms >= {GOAL_P99_MS:.0f} ms")
    if n_errors:
        reasons.append(f"{n_errors} errors")
    if lost:
        reasons.append(f"{lost} jobs lost or not succeeded")
    print(f"\nVERDICT: {'GOAL MET' if met else 'GOAL MISSED'} — p99 {p99:.1f} ms (goal < {GOAL_P99_MS:.0f} ms) on "
          f"SQLite with {args.works:,} works, {args.clients} clients, {n_errors} errors, {lost} lost jobs"
          + (f" [{'; '.join(reasons)}]" if reasons else ""))

    if args.json:
        args.json.write_text(json.dumps({
            "date": datetime.now(timezone.utc).isoformat(), "args": {k: str(v) for k, v in vars(args).items()},
            "cores": os.cpu_count(), "seed_seconds": seed_seconds, "requests": n_requests, "errors": dict(errors),
            "rps": rps, "p": {label: {q: pct(lat[label], q) for q in (50, 95, 99)} for label, _ in MIX},
            "p_all": {q: pct(everything, q) for q in (50, 95, 99)},
            "direct_p50": {k: pct(v, 50) for k, v in direct.items()}, "unloaded_http_p50": pct(unloaded, 50),
            "ratio_loaded": ratio_loaded, "ratio_unloaded": ratio_unloaded,
            "jobs": len(result["job_ids"]), "lost": lost, "drain_seconds": check["drain_seconds"],
            "server_cpu": server_cpu, "client_cpu": client_cpu, "met": met,
        }, indent=1))
    if not args.keep:
        shutil.rmtree(data_dir, ignore_errors=True)
    else:
        print(f"kept {data_dir}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
