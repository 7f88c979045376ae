"""Benchmark ``archive pack`` on the local executor and on Ray, and project to large collections.

Generates N fictional text captures (``benchmarks/fiction.py``), then packs them once per executor,
each pack in a fresh driver process, and reports:

* wall time and docs/s, and Ray's overhead as a ratio against the local executor;
* peak memory (VmHWM) of the driver, of the largest worker, and of Ray's own processes (GCS,
  raylet, agents), sampled from /proc over the driver's process tree (a cluster joined with
  ``--address`` runs its workers elsewhere: only the driver is measured then);
* each stage's wall time: the parallel stages (extract, gather, finalize, the relation stages,
  write: one task per unit, shard or batch of candidate pairs) and the serial rest in the driver
  (walk and plan, furniture learning, duplicate links, relation candidates and the table's
  merge, manifest) and the executor's start and stop (Ray's, a fixed cost);
* from those, each stage's cost per task and per capture, and the projected time for 10 and 100
  million captures on N workers: serial cost x captures + parallel cost x captures / N.

    python benchmarks/bench_ray.py -n 20000
    python benchmarks/bench_ray.py -n 20000 --executors ray --address 127.0.0.1:6379 --json
    python benchmarks/bench_ray.py -n 100000 --corpus planted
    python benchmarks/bench_ray.py --warc /tmp/warcbench    # a folder of WARC files
    python benchmarks/bench_ray.py -n 20000 --out s3://bench/dist   # work files in a bucket
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_pack import corpus  # noqa: E402  (the same cached corpus for every benchmark)

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PARALLEL = (
    "extract",
    "gather",
    "finalize",
    "relations-index",
    "relations-sign",
    "relations-pair",
    "relations-confirm",
    "write",
)
PROJECT = (10_000_000, 100_000_000)
WORKERS = (2, 16, 64, 256)

# The driver: pack through the Python API, time each stage from the progress calls.
DRIVER = """
import json, resource, sys, time
start = time.perf_counter()
from archive.runtime.process import forgo_pandas, use_system_allocator
use_system_allocator()  # set up as the archive command sets up its process
forgo_pandas()
from archive import PackSettings, pack
from archive.runtime.executors import LocalExecutor
from archive.runtime.ray_executor import RayExecutor
from archive.settings import created_time
args = json.loads(sys.argv[1])
marks = {}
startup = []
def timed(cls, name):
    method = getattr(cls, name)
    def timed_method(self, *args):
        began = time.perf_counter()
        try:
            return method(self, *args)
        finally:
            startup.append(time.perf_counter() - began)
    setattr(cls, name, timed_method)
for cls in (LocalExecutor, RayExecutor):
    timed(cls, "__enter__")
    timed(cls, "__exit__")
def progress(stage, done, total):
    now = time.perf_counter() - start
    first, _, tasks = marks.get(stage, (now, now, total))
    marks[stage] = (first, now, total if total is not None else max(done, tasks or 0))
settings = PackSettings(
    "bench", "1.0.0", created_time(None, {"SOURCE_DATE_EPOCH": "1767225600"}),
    jobs=args["jobs"], relations=args["relations"],
)
if __name__ == "__main__":
    result = pack(
        [args["captures"]], args["out"], settings, capture_log=args["log"],
        executor=args["executor"], address=args["address"], progress=progress,
    )
    print(json.dumps({
        "wall": time.perf_counter() - start,
        "stages": marks,
        "shards": result.manifest["settings"]["shards"],
        "records": result.manifest["counts"]["records"],
        "executor_start": sum(startup),
        "driver_cpu": sum(resource.getrusage(resource.RUSAGE_SELF)[:2]),
        "driver_peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))
"""


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as handle:
                parent = int(handle.read().rpartition(")")[2].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        tree.setdefault(parent, []).append(int(entry.name))
    return tree


def _descendants(root: int) -> list[int]:
    tree, found, todo = _children(), [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(tree.get(pid, []))
    return found


def _usage(pid: int) -> tuple[str, int, float] | None:
    """(command line, peak resident KiB, CPU seconds) of a live process."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            command = handle.read().replace(b"\0", b" ").decode(errors="replace")
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rpartition(")")[2].split()
        cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return command, int(line.split()[1]), cpu
    except (OSError, ValueError, IndexError):
        return None
    return None


def _kind(command: str) -> str:
    """A worker runs tasks (a pool process, or a Ray worker); the rest of Ray is its system."""
    if "multiprocessing.forkserver" in command or (
        command.startswith("ray::") and "Agent" not in command
    ):
        return "worker"
    if "ray" in command:
        return "ray_system"
    return "other"


def run_pack(executor: str, args, captures: Path, out: Path | str) -> dict:
    """One pack in a fresh driver; peaks and CPU time of its process tree sampled from /proc
    every 0.2 s while it runs."""
    if isinstance(out, Path):
        shutil.rmtree(out, ignore_errors=True)
    options = {
        "captures": str(captures),
        "out": str(out),
        "log": str(captures / "captures.jsonl") if (captures / "captures.jsonl").exists() else None,
        "jobs": args.jobs,
        "executor": executor,
        "address": args.address if executor == "ray" else None,
        "relations": args.relations,
    }
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get(
        "PYTHONPATH")])))  # fmt: skip
    driver = subprocess.Popen(
        [sys.executable, "-c", DRIVER, json.dumps(options)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    seen: dict[int, tuple[str, int, float]] = {}
    while driver.poll() is None:
        for pid in _descendants(driver.pid)[1:]:
            found = _usage(pid)
            if found:
                seen[pid] = found
        time.sleep(0.2)
    output = driver.stdout.read()
    if driver.returncode != 0:
        raise SystemExit(f"pack with --executor {executor} exited {driver.returncode}")
    result = json.loads(output.strip().splitlines()[-1])
    peaks: dict[str, list[int]] = {}
    cpu: dict[str, float] = {}
    for command, kib, seconds in seen.values():
        peaks.setdefault(_kind(command), []).append(kib)
        cpu[_kind(command)] = cpu.get(_kind(command), 0.0) + seconds
    result["worker_peak_mib"] = max(peaks.get("worker", [0])) / 1024 or None
    result["ray_system_mib"] = sum(peaks.get("ray_system", [])) / 1024 or None
    result["worker_cpu"] = cpu.get("worker")
    result["ray_system_cpu"] = cpu.get("ray_system")
    return result


def figures(executor: str, result: dict, n: int, slots: int) -> dict:
    """Stage times, cost per task and per capture, and the projections.

    The workers' cost per capture is their CPU time (from /proc) over the captures, or, when the
    workers run elsewhere, the parallel stages' wall time x slots; the driver's is its wall time
    outside the parallel stages and the executor's start (a fixed cost), over the captures."""
    stages = result["stages"]
    parallel = {}
    for stage in (s for s in PARALLEL if s in stages):
        first, last, tasks = stages[stage]
        wall = last - first
        parallel[stage] = {
            "tasks": tasks,
            "seconds": round(wall, 3),
            "worker_s_per_task": round(wall * min(slots, tasks) / max(tasks, 1), 4),
        }
    parallel_wall = sum(s["seconds"] for s in parallel.values())
    serial_wall = result["wall"] - parallel_wall - result["executor_start"]
    worker_seconds = result["worker_cpu"] or parallel_wall * slots
    per_doc_parallel = worker_seconds / n
    per_doc_serial = serial_wall / n
    projected = {
        f"{m:,} captures": {
            f"{w} workers": _duration(
                result["executor_start"] + m * per_doc_serial + m * per_doc_parallel / w
            )
            for w in WORKERS
        }
        for m in PROJECT
    }
    return {
        "executor": executor,
        "seconds": round(result["wall"], 2),
        "docs_per_s": round(n / result["wall"], 1),
        "driver_peak_mib": round(result["driver_peak_mib"], 1),
        "worker_peak_mib": _round(result["worker_peak_mib"]),
        "ray_system_mib": _round(result["ray_system_mib"]),
        "shards": result["shards"],
        "stages": parallel,
        "executor_start_seconds": round(result["executor_start"], 2),
        "serial_driver_seconds": round(serial_wall, 2),
        "worker_cpu_seconds": _round(result["worker_cpu"]),
        "ray_system_cpu_seconds": _round(result["ray_system_cpu"]),
        "worker_ms_per_capture": round(per_doc_parallel * 1000, 3),
        "driver_ms_per_capture": round(per_doc_serial * 1000, 3),
        "projected": projected,
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _duration(seconds: float) -> str:
    hours = seconds / 3600
    return f"{hours:.1f} h" if hours >= 1 else f"{seconds / 60:.0f} min"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=20_000, help="captures to generate")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--executors", default="local,ray", help="comma-separated: local, ray")
    parser.add_argument("--address", help="Ray cluster to join (default: start one here)")
    parser.add_argument(
        "--relations", action=argparse.BooleanOptionalAction, default=True,
        help="find relations (three more parallel stages)",
    )  # fmt: skip
    parser.add_argument(
        "--corpus",
        default="fiction",
        choices=["fiction", "planted"],
        help="the generated text corpus (see bench_pack.py)",
    )
    parser.add_argument(
        "--warc", type=Path, help="pack this folder of WARC files instead (see bench_warc.py)"
    )
    parser.add_argument(
        "--workdir", type=Path, default=Path(tempfile.gettempdir()) / "archive-bench"
    )
    parser.add_argument(
        "--out", help="pack into this URL (s3://bucket/folder; endpoint and credentials from the "
        "environment): the work files and shards go there too, as on a cluster without a "
        "shared disk; each run writes a new run-<time>-<executor> folder and leaves it",
    )  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()

    args.workdir.mkdir(parents=True, exist_ok=True)
    if args.warc:
        captures = args.warc.resolve()
    else:
        captures = corpus(args.workdir, args.n, args.seed, args.corpus) / "captures"
    megabytes = sum(p.stat().st_size for p in captures.rglob("*") if p.is_file()) / 1e6
    rows = []
    for executor in args.executors.split(","):
        slots = args.jobs
        if executor == "ray" and args.address:
            slots = _cluster_cpus(args.address)
        out = args.workdir / f"dist-{executor}"
        if args.out:  # a fresh folder per run: releases are immutable
            out = f"{args.out.rstrip('/')}/run-{time.strftime('%Y%m%dT%H%M%S')}-{executor}"
        result = run_pack(executor, args, captures, out)
        if args.warc:
            args.n = result["records"]  # documents: the records packed
        rows.append(figures(executor, result, args.n, slots))
    if len(rows) == 2:
        rows[1]["vs_" + rows[0]["executor"]] = round(rows[1]["seconds"] / rows[0]["seconds"], 2)
    report = {
        "input": str(args.warc) if args.warc else args.corpus,
        "out": args.out or "local",
        "captures": args.n,
        "megabytes": round(megabytes, 1),
        "cores": os.cpu_count(),
        "jobs": args.jobs,
        "relations": args.relations,
        "runs": rows,
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    _print(report)


def _cluster_cpus(address: str) -> int:
    import ray

    ray.init(address=address, log_to_driver=False)
    try:
        return int(ray.cluster_resources().get("CPU", 1))
    finally:
        ray.shutdown()


def _print(report: dict) -> None:
    print(
        f"{report['captures']} captures ({report['input']}) into {report['out']}, "
        f"{report['megabytes']} MB, "
        f"{report['cores']} cores, "
        f"--jobs {report['jobs']}, relations {'on' if report['relations'] else 'off'}"
    )
    print(f"{'executor':<9}{'s':>8}{'docs/s':>9}{'driver MiB':>12}{'worker MiB':>12}"
          f"{'ray MiB':>9}{'start s':>9}{'serial s':>10}{'worker ms/doc':>15}")  # fmt: skip
    for r in report["runs"]:
        print(
            f"{r['executor']:<9}{r['seconds']:>8.1f}{r['docs_per_s']:>9.0f}"
            f"{r['driver_peak_mib']:>12.0f}{r['worker_peak_mib'] or 0:>12.0f}"
            f"{r['ray_system_mib'] or 0:>9.0f}{r['executor_start_seconds']:>9.1f}"
            f"{r['serial_driver_seconds']:>10.1f}"
            f"{r['worker_ms_per_capture']:>15.3f}"
        )
    for r in report["runs"]:
        stages = ", ".join(
            f"{name} {s['tasks']} tasks {s['seconds']:.1f} s ({s['worker_s_per_task']:.3f} s/task)"
            for name, s in r["stages"].items()
        )
        print(f"{r['executor']}: {stages}")
        for size, by_workers in r["projected"].items():
            line = ", ".join(f"{w}: {t}" for w, t in by_workers.items())
            print(f"  {size}: {line}")
        if "vs_local" in r:
            print(f"  {r['executor']} / local wall time: {r['vs_local']}x")


if __name__ == "__main__":
    main()
