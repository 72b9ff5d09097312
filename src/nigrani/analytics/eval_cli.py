"""`nigrani eval analytics`: the worker's pipeline on labelled, scripted clips: precision and
recall per rule, the person-count error per clip, and raised voice on the sound clips."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from nigrani.core import clock
from nigrani.core.commands import settings_or_exit
from nigrani.health.fault_cases import DEFAULT_FOOTAGE

if TYPE_CHECKING:
    from nigrani.analytics.evaluation.scoring import RuleScore
    from nigrani.analytics.evaluation.sound import SoundReport
    from nigrani.analytics.evaluation.video import VideoReport

console = Console()
COMMAND = "nigrani eval analytics"


def eval_analytics(
    footage: Annotated[
        Path, typer.Option(help="OpenCV's vtest.avi.", dir_okay=False)
    ] = DEFAULT_FOOTAGE["vtest.avi"],
    cache: Annotated[Path, typer.Option(help="Where the scripted clips are kept.")] = Path(
        "var/analytics-eval"
    ),
    scenarios: Annotated[
        Path | None,
        typer.Option(
            help="Another table of scenarios (default: the committed one).", dir_okay=False
        ),
    ] = None,
    scenario: Annotated[
        list[str] | None, typer.Option(help="Only these video scenarios (e.g. crowd-queue).")
    ] = None,
    counts: Annotated[bool, typer.Option(help="Measure the person counts.")] = True,
    sound: Annotated[bool, typer.Option(help="Score raised voice on the sound clips.")] = True,
    sound_clip: Annotated[list[str] | None, typer.Option(help="Only these sound clips.")] = None,
    threads: Annotated[
        int | None, typer.Option(min=0, help="Detector threads (default: the settings').")
    ] = None,
    check: Annotated[bool, typer.Option(help="Exit 1 if a goal is missed.")] = False,
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Write the results to this file.", dir_okay=False)
    ] = None,
    record: Annotated[
        bool, typer.Option(help="Record each rule's precision and recall in measured.json.")
    ] = False,
) -> None:
    """Make the scripted clips, run the worker's pipeline on them and score every rule."""
    from nigrani.analytics.detector import build_detector  # onnxruntime only when run
    from nigrani.analytics.evaluation import video

    if not footage.is_file():
        console.print(f"[red]Footage not found: {footage}[/red]")
        raise typer.Exit(2)
    overrides = {} if threads is None else {"analytics_detector_threads": threads}
    settings = settings_or_exit(console, **overrides)
    table = video.load_scenarios(scenarios) if scenarios else video.load_scenarios()
    chosen = scenario or []
    known = {s.name for s in table.scenarios}
    for name in chosen:
        if name not in known:
            raise typer.BadParameter(
                f"unknown scenario {name!r}; known: {', '.join(sorted(known))}"
            )
    names = [s.name for s in table.scenarios if not chosen or s.name in chosen]
    detector = build_detector(settings)
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("Video scenarios", total=len(names) + (1 if counts else 0))
        report = video.evaluate_video(
            footage, cache, detector, scenarios=chosen, counts=counts, table=table,
            progress=lambda _name: progress.advance(task),
        )  # fmt: skip
        heard = _sound(cache, sound_clip or [], progress) if sound else None
    _print(report, heard)
    missed = video.missed_goals(report)
    if heard is not None and not heard.meets_goal():
        missed.append("raised voice: precision ≥ 0.8 at recall ≥ 0.7")
    results = _results(report, heard)
    if json_path is not None:
        json_path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    if record:
        _record(results)
    if check and missed:
        console.print(f"[red]Goals missed: {'; '.join(missed)}[/red]")
        raise typer.Exit(1)


def _sound(cache: Path, clips: list[str], progress: Progress) -> SoundReport:
    from nigrani.analytics.evaluation import sound, sound_clips

    table = sound_clips.load_scenarios()
    total = len([c for c in table.clips if not clips or c.name in clips])
    task = progress.add_task("Sound clips", total=total)
    return sound.evaluate_sound(
        cache / "sound", clips=clips, scenarios=table,
        progress=lambda _name: progress.advance(task),
    )  # fmt: skip


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _print(report: VideoReport, heard: SoundReport | None) -> None:
    from nigrani.analytics.evaluation import video

    rules = Table(title="Station analytics: rules on scripted scenarios")
    for column in ("rule", "clips", "TP", "FP", "misses", "precision", "recall"):
        rules.add_column(column, justify="left" if column == "rule" else "right")
    scores = report.scores() + ([heard.score] if heard is not None else [])
    for s in scores:
        rules.add_row(s.rule, str(s.clips), str(s.true_positives), str(s.false_positives),
                      str(s.misses), _fmt(s.precision), _fmt(s.recall))  # fmt: skip
    for rule in report.not_measured:
        if all(s.rule != rule for s in scores):
            rules.add_row(rule, "-", "-", "-", "-", "not measured", "-")
    console.print(rules)
    for rule, why in report.not_measured.items():
        if all(s.rule != rule or s.recall is None for s in scores):
            console.print(f"{rule}: precision and recall not measured ({why}).")
    scenes = Table(title="Per scenario (clip seconds)")
    for column in ("scenario", "rule", "labelled", "found", "TP", "FP", "misses"):
        scenes.add_column(column, justify="right" if column in ("TP", "FP", "misses") else "left")
    for row in report.rows:
        m = row.match
        scenes.add_row(row.scenario, row.rule, _spans(row.labelled), _spans(row.found),
                       str(m.true_positives), str(m.false_positives), str(m.misses))  # fmt: skip
    console.print(scenes)
    if report.counts:
        people = Table(title="Person counts on labelled frames (people counted vs counted by eye)")
        for column in ("clip", "frames", "MAE", "goal", "queue MAE", "queue within ±1",
                       "queue worst"):  # fmt: skip
            people.add_column(column, justify="left" if column == "clip" else "right")
        for c in report.counts:
            people.add_row(c.clip, str(len(c.rows)), f"{c.mae:.2f}", f"≤ {video.MAE_GOAL}",
                           f"{c.queue_mae:.2f}", f"{c.queue_within}/{len(c.rows)}",
                           str(c.queue_worst))  # fmt: skip
        console.print(people)
    per_frame = 1000 * report.detect_s / max(report.detected, 1)
    console.print(
        f"{report.frames} frames analysed over {report.video_s:.0f} s of clips; the detector "
        f"ran on {report.detected} distinct frames ({per_frame:.0f} ms a frame in the analyser)."
    )
    if heard is not None:
        from nigrani.analytics.evaluation.sound import report_lines

        console.print("\n".join(report_lines(heard)), markup=False)


def _spans(spans: Any) -> str:
    def end(s: Any) -> str:
        return "end" if s.end_s is None else f"{s.end_s:.1f}"

    return ", ".join(f"{s.start_s:.1f}-{end(s)}" for s in spans) or "-"


def _score(s: RuleScore) -> dict[str, Any]:
    return {
        "clips": s.clips,
        "true_positives": s.true_positives,
        "false_positives": s.false_positives,
        "misses": s.misses,
        "precision": s.precision,
        "recall": s.recall,
    }


def _unmeasured(reasons: Mapping[str, str], rules: Mapping[str, Any]) -> dict[str, str]:
    """Why a rule's figures are missing, for the rules not scored or scored on clips with
    nothing to find (false alarms counted, no recall)."""
    return {k: v for k, v in reasons.items() if k not in rules or rules[k].get("recall") is None}


def _results(report: VideoReport, heard: SoundReport | None) -> dict[str, Any]:
    rules = {s.rule: _score(s) for s in report.scores()}
    if heard is not None:
        rules[heard.score.rule] = _score(heard.score)
    return {
        "rules": rules,
        "not_measured": _unmeasured(report.not_measured, rules),
        "person_counts": {
            c.clip: {
                "frames": len(c.rows),
                "mae": round(c.mae, 3),
                "queue_mae": round(c.queue_mae, 3),
                "queue_within_1": c.queue_within,
                "queue_worst": c.queue_worst,
            }
            for c in report.counts
        },
        "scenarios": [
            {
                "scenario": r.scenario,
                "rule": r.rule,
                "found": [[i.start_s, i.end_s] for i in r.found],
                "true_positives": r.match.true_positives,
                "false_positives": r.match.false_positives,
                "misses": r.match.misses,
            }
            for r in report.rows
        ],
    }


def _record(results: dict[str, Any]) -> None:
    """Lay this run's figures over measured.json (rules not run keep their figures)."""
    from nigrani.analytics.evaluation import measured as measured_file

    try:
        old = json.loads(measured_file.MEASURED.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        old = {}
    measured_on = clock.now().date().isoformat()
    commit = _commit()
    rules = dict(old.get("rules", {}))
    for rule, score in results["rules"].items():
        rules[rule] = {**score, "measured_on": measured_on, "commit": commit}
    data = {
        "command": f"{COMMAND} --record",
        "rules": rules,
        "not_measured": _unmeasured(results["not_measured"], rules),
        "person_counts": results["person_counts"] or old.get("person_counts", {}),
    }
    measured_file.MEASURED.write_text(
        json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    console.print(f"Recorded in {measured_file.MEASURED}.")


def _commit() -> str:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607
            capture_output=True, text=True, check=True, timeout=10,
            cwd=Path(__file__).parent,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip()
