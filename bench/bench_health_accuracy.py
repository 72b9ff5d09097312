"""Camera health, picture checks: recall per scripted fault and false alarms on healthy
footage (the table `nigrani eval health` prints), per camera and per case, and the CPU of
`picture.judge` per probe next to two references measured in the same run on the same clips:
decoding a probe's 2 s of H.264 with PyAV (what every probe pays anyway) and one `ffprobe`
of the clip (the issue's named reference). The last line extrapolates to Kanpur's 6,720
cameras every 5 minutes.

    .venv/bin/python -m bench.bench_health_accuracy                   # every case (minutes)
    .venv/bin/python -m bench.bench_health_accuracy --camera fence    # a quick look
    .venv/bin/python -m bench.bench_health_accuracy --keyframes       # as keyframe probes see it
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from nigrani.health import evaluate
from nigrani.health.fault_cases import CASES, DEFAULT_FOOTAGE, SOURCES
from nigrani.health.faults import FaultCase, make_clip

CITY = 6720  # Kanpur's 1,720 linked cameras and the 5,000 to come
INTERVAL_S = 300.0
console = Console()


def main() -> None:
    args = _parser().parse_args()
    cases = [c for c in CASES if not args.camera or c.source in args.camera]
    run = evaluate.Evaluation(
        footage=DEFAULT_FOOTAGE,
        cache=args.cache,
        stride_s=args.stride,
        healthy_stride_s=args.healthy_stride,
        keyframes=args.keyframes,
    )
    began = time.monotonic()
    report = run.run(cases, step=lambda name: console.print(f"  {name}", style="dim"))
    console.print(f"evaluated {len(cases)} clips in {time.monotonic() - began:.0f} s")
    _per_case(report)
    table = Table(title="Camera health: picture checks on scripted faults")
    for column in ("fault", "clips", "probes", "recall", "target", "else said"):
        table.add_column(column)
    for row in evaluate.summary_rows(report):
        table.add_row(*row)
    console.print(table)
    for line in evaluate.healthy_lines(report):
        console.print(line)
    _costs(report, run, cases)


def _per_case(report: evaluate.Report) -> None:
    table = Table(title="Per clip")
    for column in ("case", "expected", "probes", "right", "said"):
        table.add_column(column)
    for r in report.results:
        said = ", ".join(f"{k or 'fine'} {v}" for k, v in r.reasons.most_common())
        expected = r.case.fault or "fine"
        table.add_row(r.case.name, expected, str(r.probes), str(r.right), said)
    console.print(table)


def _costs(report: evaluate.Report, run: evaluate.Evaluation, cases: list[FaultCase]) -> None:
    judge_ms = 1000 * report.judge_cpu_s / max(1, report.judge_calls)
    decode_ms = 1000 * report.decode_cpu_s / max(1, report.decoded_probes)
    ffprobe_ms = _ffprobe_ms(run, cases[:12])
    console.print(
        f"CPU per probe: judge() {judge_ms:.2f} ms over {report.judge_calls} calls; "
        f"reference in the same run: PyAV decoding a probe's 2 s {decode_ms:.1f} ms "
        f"({report.decoded_probes} clips), ffprobe of a clip {ffprobe_ms:.1f} ms"
    )
    share = (judge_ms + decode_ms) / 1000 * CITY / INTERVAL_S / 2 * 100
    console.print(
        f"{CITY} cameras every {INTERVAL_S / 60:.0f} min: judge + decode "
        f"{judge_ms + decode_ms:.1f} ms x {CITY / INTERVAL_S:.1f} probes/s = {share:.1f} % of "
        "a 2-core machine (before opening the streams)"
    )


def _ffprobe_ms(run: evaluate.Evaluation, cases: list[FaultCase]) -> float:
    """Mean CPU (own and children's) of one `ffprobe -show_streams` per clip."""
    ffprobe = shutil.which("ffprobe")
    if ffprobe is None:
        return float("nan")
    sources = {s.name: s for s in SOURCES}
    paths = [
        make_clip(c, sources[c.source], run.footage[sources[c.source].file], run.cache)
        for c in cases
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    for path in paths:
        subprocess.run(  # noqa: S603
            [ffprobe, "-v", "error", "-show_streams", str(path)], check=True, capture_output=True
        )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return 1000 * cpu / max(1, len(paths))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--camera", action="append", help="only this camera (repeatable)")
    parser.add_argument("--cache", type=Path, default=Path("var/health-eval"))
    parser.add_argument("--stride", type=float, default=0.5, help="s between fault probes")
    parser.add_argument(
        "--healthy-stride", type=float, default=0.1, help="s between healthy probes"
    )
    parser.add_argument(
        "--keyframes", action="store_true", help="judge the keyframes of each 2 s, one a second"
    )
    return parser


if __name__ == "__main__":
    main()
