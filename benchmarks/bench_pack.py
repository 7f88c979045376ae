"""Benchmark `archive pack` and `archive verify` against a plain read-and-SHA-256 of the files.

Generates N fictional captures (``benchmarks/fiction.py``), then times, each as a whole process:

* the baseline: one core reading every capture and hashing it with SHA-256;
* ``archive pack`` (``--jobs``, default all cores) and ``archive verify`` of the release;
* optionally (``--bagit``) bagit-python's ``make_bag`` and ``validate`` on a copy of the corpus,
  with as many processes as the pack's ``--jobs``;

and prints docs/s, MB/s, peak memory (largest single process) and each speed as a ratio against
the baseline measured in the same run. ``--json`` prints the figures as one JSON object.

    python benchmarks/bench_pack.py -n 10000
    python benchmarks/bench_pack.py -n 100000 --bagit --json
    python benchmarks/bench_pack.py -n 10000 --executor ray
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def measure(command: list[str], env: dict | None = None, stages: Path | None = None) -> dict:
    """Run ``command`` in a fresh child and return its wall time and peak memory (MiB).

    Peak memory is the largest single process of the command's tree: each process's own
    high-water mark (``VmHWM``), read from ``/proc`` every 50 ms while the command runs.
    (``ru_maxrss`` of the children would miss the workers of a fork server, which are not
    our children's children but the server's.)

    With ``stages`` (a file the command appends each stage's name to as it starts, see
    :data:`STAGED_PACK`), each sample's resident memory (``VmRSS``) is also filed under the
    stage then running: ``stages`` in the result lists, in order, each stage's start (s), the
    most the command's own process held, and the most any other process of its tree held.
    """
    wrapper = (
        "import json, os, subprocess, sys, threading, time\n"
        "def tree(root):\n"
        "    parent = {}\n"
        "    for name in os.listdir('/proc'):\n"
        "        if name.isdigit():\n"
        "            try:\n"
        "                with open(f'/proc/{name}/stat') as f:\n"
        "                    parent[int(name)] = int(f.read().rpartition(')')[2].split()[1])\n"
        "            except (OSError, ValueError, IndexError):\n"
        "                pass\n"
        "    found, todo = [], [root]\n"
        "    while todo:\n"
        "        p = todo.pop()\n"
        "        found.append(p)\n"
        "        todo += [c for c, q in parent.items() if q == p]\n"
        "    return found\n"
        "def mib(pid, field):\n"
        "    try:\n"
        "        with open(f'/proc/{pid}/status') as f:\n"
        "            for line in f:\n"
        "                if line.startswith(field):\n"
        "                    return int(line.split()[1]) / 1024\n"
        "    except OSError:\n"
        "        pass\n"
        "    return 0.0\n"
        "stages_file = sys.argv[1]\n"
        "def stage():\n"
        "    try:\n"
        "        with open(stages_file) as f:\n"
        "            names = f.read().split()\n"
        "    except OSError:\n"
        "        return None\n"
        "    return names[-1] if names else 'start'\n"
        "peak = [0.0]\n"
        "stages = {}\n"
        "start = time.perf_counter()\n"
        "child = subprocess.Popen(sys.argv[2:], stdout=subprocess.DEVNULL)\n"
        "def watch():\n"
        "    while child.poll() is None:\n"
        "        pids = tree(child.pid)\n"
        "        peak[0] = max([peak[0], *(mib(p, 'VmHWM:') for p in pids)])\n"
        "        name = stage() if stages_file else None\n"
        "        if name is not None:\n"
        "            row = stages.setdefault(name, [time.perf_counter() - start, 0.0, 0.0])\n"
        "            row[1] = max(row[1], mib(child.pid, 'VmRSS:'))\n"
        "            row[2] = max([row[2], *(mib(p, 'VmRSS:') for p in pids[1:])])\n"
        "        time.sleep(0.05)\n"
        "watcher = threading.Thread(target=watch, daemon=True)\n"
        "watcher.start()\n"
        "code = child.wait()\n"
        "wall = time.perf_counter() - start\n"
        "watcher.join()\n"
        "staged = [dict(zip(('stage', 'start_s', 'own_mib', 'others_mib'), [k, *v]))\n"
        "          for k, v in stages.items()]\n"
        "print(json.dumps({'wall': wall, 'peak_mib': peak[0], 'exit': code, 'stages': staged}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", wrapper, str(stages or ""), *command],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if result["exit"] != 0:
        raise SystemExit(f"{' '.join(command)} exited {result['exit']}")
    return result


# ``archive pack`` as the command line runs it, but for its progress: each stage's name is
# appended to the file ``sys.argv[1]`` as the stage starts (``measure``'s ``stages``).
STAGED_PACK = (
    "import sys\n"
    "import archive.cli\n"
    "names = open(sys.argv[1], 'a', buffering=1)\n"
    "class Stages:\n"
    "    stage = None\n"
    "    def __call__(self, stage, done, total):\n"
    "        if stage != self.stage:\n"
    "            self.stage = stage\n"
    "            names.write(stage + '\\n')\n"
    "    def close(self):\n"
    "        pass\n"
    "archive.cli.terminal_bars = lambda quiet: Stages()\n"
    "sys.argv = ['archive', *sys.argv[2:]]\n"
    "archive.cli.run()\n"
)


BASELINE = (
    "import hashlib, os, sys\n"
    "for folder, dirs, files in os.walk(sys.argv[1]):\n"
    "    dirs.sort()\n"
    "    for name in sorted(files):\n"
    "        with open(os.path.join(folder, name), 'rb') as handle:\n"
    "            hashlib.sha256(handle.read()).hexdigest()\n"
)

# bagit-python with as many processes as archive gets (its own option, default 1).
BAGIT_MAKE = "import bagit, sys\nbagit.make_bag(sys.argv[1], processes=int(sys.argv[2]))\n"
BAGIT_VALIDATE = "import bagit, sys\nbagit.Bag(sys.argv[1]).validate(processes=int(sys.argv[2]))\n"


def compile_archive() -> None:
    """Write archive's bytecode, as installing a package does. Every other tool timed here
    (bagit-python, and archive's own dependencies) runs from the bytecode pip wrote at install;
    a checkout of archive under ``PYTHONDONTWRITEBYTECODE`` would compile its modules from
    source in every command timed (about 0.1 s of each verify's start-up)."""
    import compileall
    import importlib.util

    for folder in importlib.util.find_spec("archive").submodule_search_locations:
        compileall.compile_dir(folder, quiet=1)


def corpus(workdir: Path, n: int, seed: int, kind: str = "fiction") -> Path:
    dest = workdir / (f"corpus-{n}-{seed}" if kind == "fiction" else f"{kind}-{n}-{seed}")
    if not (dest / ".complete").exists():
        shutil.rmtree(dest, ignore_errors=True)
        if kind == "fiction":
            sys.path.insert(0, str(HERE))
            from fiction import generate_text_corpus

            generate_text_corpus(dest / "captures", n, seed=seed)
        else:
            planted_corpus(dest / "captures", n, seed)
        (dest / ".complete").write_text("ok")
    return dest


def planted_corpus(folder: Path, n: int, seed: int) -> None:
    """The relation test corpus (``tests/relations``) as text captures: 5% syndicated and 1%
    spun copies, 1% exact copies, with their dates in a capture log."""
    sys.path[:0] = [str(HERE.parent), str(HERE.parent / "tests")]
    from relations.corpus import stream

    with open(_new(folder / "captures.jsonl"), "w", encoding="utf-8") as log:
        for k, (record, _) in enumerate(stream(n, seed=seed, syndicated=0.05, spun=0.01)):
            path = f"{k // 1000:04d}/{record.record_id}.txt"
            _new(folder / path).write_text(record.text + "\n", encoding="utf-8")
            entry = {"path": path}
            for key in ("published_at", "retrieved_at"):
                if getattr(record, key) is not None:
                    entry[key] = getattr(record, key).isoformat()
            log.write(json.dumps(entry) + "\n")


def _new(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def row(name: str, result: dict, docs: int, megabytes: float, baseline_wall: float) -> dict:
    wall = result["wall"]
    return {
        "step": name,
        "seconds": round(wall, 3),
        "docs_per_s": round(docs / wall, 1),
        "mb_per_s": round(megabytes / wall, 2),
        "peak_mib": round(result["peak_mib"], 1),
        "vs_read_sha256": round(baseline_wall / wall, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=10_000, help="captures to generate")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--corpus",
        default="fiction",
        choices=["fiction", "planted"],
        help="fiction: benchmarks/fiction.py news captures; planted: the relation test "
        "corpus (5%% syndicated, 1%% spun copies)",
    )
    parser.add_argument("--jobs", type=int, default=None, help="pack --jobs (default: all cores)")
    parser.add_argument("--extract", default="article", choices=["article", "none"])
    parser.add_argument(
        "--executor",
        default="local",
        choices=["local", "ray"],
        help="pack and verify --executor (Ray's workers are not in the peak memory: "
        "benchmarks/bench_ray.py measures them)",
    )
    parser.add_argument("--address", help="with --executor ray: the cluster to join")
    parser.add_argument(
        "--workdir", type=Path, default=Path(tempfile.gettempdir()) / "archive-bench"
    )
    parser.add_argument("--bagit", action="store_true", help="also time bagit-python")
    parser.add_argument(
        "--no-relations", action="store_true", help="pack without finding relations"
    )
    parser.add_argument(
        "--stages",
        action="store_true",
        help="also print the pack's memory by stage: the most its own process and the largest "
        "of its workers held while each stage ran (sampled every 50 ms)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()

    args.workdir.mkdir(parents=True, exist_ok=True)
    base = corpus(args.workdir, args.n, args.seed, args.corpus)
    captures = base / "captures"
    megabytes = folder_bytes(captures) / 1e6
    out = base / "dist"
    shutil.rmtree(out, ignore_errors=True)
    env = dict(os.environ, SOURCE_DATE_EPOCH="1767225600")

    compile_archive()
    measure([sys.executable, "-c", BASELINE, str(captures)])  # warm the page cache
    baseline = measure([sys.executable, "-c", BASELINE, str(captures)])
    pack_cmd = [
        sys.executable,
        "-m",
        "archive.cli",
        "pack",
        str(captures),
        "--out",
        str(out),
        "--name",
        "bench",
        "--version",
        "1.0.0",
        "--extract",
        args.extract,
        "-q",
    ]
    if (captures / "captures.jsonl").exists():
        pack_cmd += ["--capture-log", str(captures / "captures.jsonl")]
    if args.jobs:
        pack_cmd += ["--jobs", str(args.jobs)]
    if args.no_relations:
        pack_cmd += ["--no-relations"]
    executor = ["--executor", args.executor] + (["--address", args.address] if args.address else [])
    jobs = str(args.jobs or os.cpu_count())
    stages = None
    if args.stages:
        stages = base / "stages.txt"
        stages.write_text("")
        pack_cmd[1:3] = ["-c", STAGED_PACK, str(stages)]
    packed = measure(pack_cmd + executor, env, stages)
    verify_cmd = [sys.executable, "-m", "archive.cli", "verify", str(out / "bench-1.0.0")]
    verified = measure([*verify_cmd, "-q", "--jobs", jobs, *executor])
    rows = [
        row("read+sha256 (1 core)", baseline, args.n, megabytes, baseline["wall"]),
        row("archive pack", packed, args.n, megabytes, baseline["wall"]),
        row("archive verify", verified, args.n, megabytes, baseline["wall"]),
    ]
    if args.bagit:
        bag = base / "bag"
        shutil.rmtree(bag, ignore_errors=True)
        shutil.copytree(captures, bag)
        made = measure([sys.executable, "-c", BAGIT_MAKE, str(bag), jobs])
        validated = measure([sys.executable, "-c", BAGIT_VALIDATE, str(bag), jobs])
        rows += [
            row("bagit make_bag", made, args.n, megabytes, baseline["wall"]),
            row("bagit validate", validated, args.n, megabytes, baseline["wall"]),
        ]
        shutil.rmtree(bag, ignore_errors=True)
        rows[1]["vs_bagit_make_bag"] = round(made["wall"] / packed["wall"], 2)
        rows[2]["vs_bagit_validate"] = round(validated["wall"] / verified["wall"], 2)
    figures = {
        "captures": args.n,
        "megabytes": round(megabytes, 1),
        "cores": os.cpu_count(),
        "jobs": args.jobs or os.cpu_count(),
        "corpus": args.corpus,
        "extract": args.extract,
        "executor": args.executor,
        "steps": rows,
    }
    if args.stages:
        figures["pack_stages"] = [
            {k: round(v, 1) if isinstance(v, float) else v for k, v in stage.items()}
            for stage in packed["stages"]
        ]
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(
        f"{args.n} captures ({args.corpus}), {megabytes:.1f} MB, {figures['cores']} cores, "
        f"extract={args.extract}"
    )
    header = f"{'step':<22}{'s':>9}{'docs/s':>11}{'MB/s':>9}{'peak MiB':>10}{'x read+sha':>12}"
    print(header)
    for r in rows:
        print(
            f"{r['step']:<22}{r['seconds']:>9.2f}{r['docs_per_s']:>11.0f}{r['mb_per_s']:>9.1f}"
            f"{r['peak_mib']:>10.0f}{r['vs_read_sha256']:>12.3f}"
        )
    if args.stages:
        print(f"\n{'pack stage':<22}{'starts, s':>10}{'driver MiB':>12}{'largest worker MiB':>20}")
        for stage in figures["pack_stages"]:
            print(
                f"{stage['stage']:<22}{stage['start_s']:>10.1f}{stage['own_mib']:>12.0f}"
                f"{stage['others_mib']:>20.0f}"
            )
    for r in rows:
        for key in ("vs_bagit_make_bag", "vs_bagit_validate"):
            if key in r:
                print(f"{r['step']}: {r[key]}x faster than {key[3:].replace('_', ' ')}")


if __name__ == "__main__":
    main()
