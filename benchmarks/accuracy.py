"""Field accuracy of docintake's local extraction on a labelled folder.

    .venv/bin/python benchmarks/accuracy.py --data ../shared/datasets [--mode speed|accuracy]
        [--limit N] [--source NAME ...] [--predictions OUT.jsonl] [--workers N]

``DIR/labels.jsonl`` holds one label line per document in the ``../shared/datasets`` format
(``file`` relative to DIR, ``source``, ``fields``). Each file goes through the same extraction as
``docintake extract --mode MODE`` (``docintake.local``), and the first document's scalar fields
are scored by ``benchmarks/scoring.py`` exactly as the datasets README says: per field precision,
recall, F1 and support, micro-F1 per source and overall. WildReceipt's names and addresses and
Parsee's supplier names are judged loosely for the headline number (marked ``~``); the strict
("exact") F1, the loose F1 and the mean fuzzy score are printed beside every field.

``--limit N`` keeps the first N documents of each source; ``--source`` (repeatable) keeps only
those sources. Seconds per document are wall-clock time in this process, model loading included
in the first document; with ``--workers N`` files run in N processes and the per-document time is
the time between results (throughput, not latency).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.scoring import DEFAULT_LOOSE_SOURCES, Report, SourceScore, score
from docintake.local import Input, check_mode, run_inputs
from docintake.settings import get_settings


def read_labels(data: Path, sources: list[str] | None, limit: int | None) -> list[dict[str, Any]]:
    labels: list[dict[str, Any]] = []
    per_source: dict[str, int] = {}
    with (data / "labels.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            label = json.loads(line)
            source = str(label.get("source") or "unknown")
            if sources and source not in sources:
                continue
            if limit is not None and per_source.get(source, 0) >= limit:
                continue
            per_source[source] = per_source.get(source, 0) + 1
            labels.append(label)
    return labels


def extract(
    data: Path, labels: list[dict[str, Any]], mode: str, workers: int
) -> Iterator[tuple[dict[str, Any], dict[str, Any], float]]:
    """(label, result line, seconds) per labelled file, in label order."""
    items = []
    for label in labels:
        path = data / label["file"]
        items.append(Input(str(label["file"]), path, missing=not path.exists()))
    started = time.perf_counter()
    for label, lines in zip(labels, run_inputs(items, mode, workers), strict=True):
        now = time.perf_counter()
        yield label, lines[0], now - started
        started = now


def _fmt(value: float) -> str:
    return f"{value:.3f}"


def print_source(name: str, result: SourceScore, seconds: list[float], errors: list[str]) -> None:
    timing = ""
    if seconds:
        timing = f", {statistics.mean(seconds):.2f} s/doc (median {statistics.median(seconds):.2f})"
    failed = f", {len(errors)} failed" if errors else ""
    print(f"\n== {name}: {result.documents} documents{timing}{failed}")
    for problem in errors[:10]:
        print(f"   failed: {problem}")
    if len(errors) > 10:
        print(f"   ... and {len(errors) - 10} more")
    header = f"{'field':<22} {'P':>6} {'R':>6} {'F1':>6} {'support':>8} {'pred':>5}  {'exact F1':>8} {'loose F1':>8} {'fuzzy':>6}"
    print(header)
    print("-" * len(header))
    for field_name in sorted(result.fields):
        stats = result.fields[field_name]
        label = f"{field_name}{' ~' if stats.loose_primary else ''}"
        primary = stats.primary
        print(
            f"{label:<22} {_fmt(primary.precision):>6} {_fmt(primary.recall):>6} {_fmt(primary.f1):>6}"
            f" {stats.support:>8} {stats.predicted:>5}  {_fmt(stats.exact.f1):>8} {_fmt(stats.loose.f1):>8}"
            f" {_fmt(stats.fuzzy):>6}"
        )
    micro = result.micro
    print("-" * len(header))
    print(
        f"{'micro':<22} {_fmt(micro.precision):>6} {_fmt(micro.recall):>6} {_fmt(micro.f1):>6}"
        f" {result.support:>8} {result.predicted:>5}  {_fmt(result.micro_exact.f1):>8}"
        f" {_fmt(result.micro_loose.f1):>8} {_fmt(result.fuzzy):>6}"
    )
    print(f"micro-F1 {name}: {micro.f1:.3f} (TP {micro.tp}, FP {micro.fp}, FN {micro.fn})")


def print_report(
    report: Report, seconds: dict[str, list[float]], errors: dict[str, list[str]], mode: str, workers: int
) -> None:
    loose = "; ".join(f"{s}: {', '.join(sorted(f))}" for s, f in DEFAULT_LOOSE_SOURCES.items())
    print(f"mode {mode}, workers {workers}. P/R/F1 by the headline rule; ~ = judged loosely ({loose}).")
    print("pred = labelled fields with a non-empty prediction; fuzzy = mean 1 - edit distance / max length.")
    for name in sorted(report.sources):
        print_source(name, report.sources[name], seconds.get(name, []), errors.get(name, []))
    all_seconds = [s for values in seconds.values() for s in values]
    all_errors = [e for values in errors.values() for e in values]
    if len(report.sources) > 1:
        print_source("overall", report.overall, all_seconds, all_errors)
    else:
        micro = report.overall.micro
        print(f"micro-F1 overall: {micro.f1:.3f} (TP {micro.tp}, FP {micro.fp}, FN {micro.fn})")
    if report.overall.support and report.overall.predicted == 0:
        print(
            "\nNo labelled field got a prediction: every labelled field counts as a miss (FN), so "
            "precision, recall and micro-F1 are 0."
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, required=True, help="folder with labels.jsonl")
    parser.add_argument("--mode", choices=["speed", "accuracy"], default="speed")
    parser.add_argument("--limit", type=int, default=None, help="at most N documents per source")
    parser.add_argument("--source", action="append", default=None, help="only this source (repeatable)")
    parser.add_argument("--predictions", type=Path, default=None, help="write {file, fields} JSON lines here")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)

    if not (args.data / "labels.jsonl").is_file():
        print(f"{args.data / 'labels.jsonl'} not found", file=sys.stderr)
        return 1
    problem = check_mode(get_settings(), args.mode)
    if problem is not None:
        print(problem, file=sys.stderr)
        return 1
    labels = read_labels(args.data, args.source, args.limit)
    if not labels:
        print("no labelled documents selected", file=sys.stderr)
        return 1

    predictions: dict[str, dict[str, Any]] = {}
    seconds: dict[str, list[float]] = {}
    errors: dict[str, list[str]] = {}
    out = args.predictions.open("w", encoding="utf-8") if args.predictions else None
    try:
        for done, (label, line, elapsed) in enumerate(extract(args.data, labels, args.mode, args.workers), 1):
            source = str(label.get("source") or "unknown")
            fields = line.get("fields") or {}
            predictions[str(label["file"])] = fields
            seconds.setdefault(source, []).append(elapsed)
            record: dict[str, Any] = {"file": label["file"], "fields": fields}
            if "error" in line:
                problem = f"{label['file']}: {line['error'].get('code')}: {line['error'].get('message')}"
                errors.setdefault(source, []).append(problem)
                record["error"] = line["error"]
            if out is not None:
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
            sys.stderr.write(f"\r{done}/{len(labels)} documents")
            sys.stderr.flush()
    finally:
        sys.stderr.write("\n")
        if out is not None:
            out.close()

    print_report(score(labels, predictions), seconds, errors, args.mode, args.workers)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
