"""Time `datapkg build` on the shipped seeds, against a baseline measured in the same run.

    python benchmarks/build_seeds.py [--seeds seeds] [--repeat 5]

Baselines: loading the seeds alone (read, parse, anchor, check every document: the work
every build must do before writing anything), in-process and as `datapkg validate`.
Figures are medians of --repeat runs; the in-process build is also split per sink.
The target for the shipped seeds is well under 2 s of wall time for the CLI build. The machine
may be shared: the fastest run is printed beside each median as the least disturbed figure.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any


class Timing(float):
    """Median wall seconds of the runs (what is compared), with the fastest run for reference."""

    best: float

    def __str__(self) -> str:
        return f"{float(self):7.3f} (best {self.best:.3f})"


def median_time(fn: Callable[[], Any], repeat: int) -> Timing:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    result = Timing(statistics.median(times))
    result.best = min(times)
    return result


def load_only(seeds_dir: Path) -> None:
    from datapkg.seeds import ActorIndex, iter_documents, merge_actors, open_seeds

    index = ActorIndex()
    for result in iter_documents(open_seeds(seeds_dir)):
        merge_actors(index, result)


def per_sink(seeds_dir: Path, out: Path, store: bool) -> dict[str, float]:
    """Seconds spent in each sink (render + write + finish) during one in-process build."""
    import datapkg.build as b
    from datapkg.emit import BuildOptions

    spent: dict[str, float] = defaultdict(float)
    original = b.load_sinks

    def timed(ctx: Any) -> list[Any]:
        sinks = original(ctx)
        for sink in sinks:
            for name in ("render", "write", "finish"):
                method = getattr(sink, name)

                def wrapper(*args: Any, _m: Any = method, _k: str = type(sink).__name__) -> Any:
                    start = time.perf_counter()
                    try:
                        return _m(*args)
                    finally:
                        spent[_k] += time.perf_counter() - start

                setattr(sink, name, wrapper)
        return sinks

    b.load_sinks = timed
    try:
        b.build(seeds_dir, out, BuildOptions(store=store))
    finally:
        b.load_sinks = original
    return dict(spent)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=Path, default=Path("seeds"))
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    seeds, repeat = args.seeds.resolve(), args.repeat
    work = Path(tempfile.mkdtemp(prefix="datapkg-bench-"))
    try:
        exe = [sys.executable, "-m", "datapkg.cli"]

        def cli(*extra: str) -> Callable[[], None]:
            return lambda: subprocess.run([*exe, *extra], check=True, capture_output=True, cwd=work)

        out = work / "build"
        cli_validate = median_time(cli("validate", "--seeds", str(seeds)), repeat)
        cli_build = median_time(cli("build", "--seeds", str(seeds), "--out", str(out)), repeat)
        cli_build_nostore = median_time(cli("build", "--no-store", "--seeds", str(seeds), "--out", str(out)), repeat)

        from datapkg.build import build
        from datapkg.emit import BuildOptions

        start = time.perf_counter()
        build(seeds, out, BuildOptions(store=False))  # first run: imports every sink's libraries
        first = time.perf_counter() - start
        load = median_time(lambda: load_only(seeds), repeat)
        warm = median_time(lambda: build(seeds, out, BuildOptions(store=False)), repeat)
        sinks = per_sink(seeds, out, store=False)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"datapkg build on {seeds} (median of {repeat} [fastest], wall seconds)")
    print(f"  CLI  datapkg validate (baseline)      {cli_validate}")
    print(f"  CLI  datapkg build                    {cli_build}   {cli_build / cli_validate:5.2f}x validate")
    print(
        f"  CLI  datapkg build --no-store         {cli_build_nostore}   {cli_build_nostore / cli_validate:5.2f}x validate"
    )
    print(f"  in-process load seeds only (baseline) {load}")
    print(f"  in-process build, first (imports)     {first:7.3f}")
    print(f"  in-process build, warm, no store      {warm}   {warm / load:5.2f}x load")
    print("  per sink (warm, no store):")
    for name, seconds in sorted(sinks.items(), key=lambda kv: -kv[1]):
        print(f"    {name:<24} {seconds:7.3f}")
    verdict = "ok" if cli_build < 2.0 else "OVER TARGET"
    print(f"target: CLI build well under 2 s -> {float(cli_build):.3f} s ({verdict})")


if __name__ == "__main__":
    main()
