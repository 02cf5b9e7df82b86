"""Read every labelled document of a dataset folder once and keep its words, for training.

Training and error analysis look at the same pages many times; OCR is by far the slowest step
(seconds per scan in accuracy mode), so the words each mode's pipeline produces are cached as
JSON, one file per document: ``<out>/<mode>/<file path with / -> __>.json``. The pages come from
the project's own pipeline stages (``OpenPages`` + ``ReadText``), so the model is trained on
exactly what it will see in production.

    .venv/bin/python training/ocr_cache.py --data ../shared/datasets --mode speed --workers 2
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from docintake.intake.sniff import sniff_file
from docintake.pipeline.runner import PipelineContext, run_pipeline
from docintake.pipeline.stages import default_stages
from docintake.settings import Settings


def cache_name(file: str) -> str:
    return file.replace("/", "__") + ".json"


def read_pages(path: Path, mode: str) -> dict[str, Any]:
    stages = [s for s in default_stages(Settings()) if s.name in {"pages", "text"}]
    media_type = sniff_file(path, path.name).media_type or "application/octet-stream"
    ctx = PipelineContext(path=path, media_type=media_type, filename=path.name, processing_pref=mode)
    started = time.perf_counter()
    outcome = run_pipeline(stages, ctx)
    return {
        "media_type": media_type,
        "seconds": round(time.perf_counter() - started, 3),
        "errors": [e.__dict__ for e in outcome.errors],
        "pages": [
            {
                "number": p.number,
                "width": p.width,
                "height": p.height,
                "source": p.source,
                "rotation": p.rotation,
                "engine": p.engine,
                "words": [[w.text, round(w.confidence, 3), *w.box.as_list()] for w in p.words],
            }
            for p in outcome.pages
        ],
    }


def _job(args: tuple[Path, str, Path]) -> str:
    path, mode, target = args
    target.write_text(json.dumps(read_pages(path, mode)))
    return str(target)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="folder with labels.jsonl")
    parser.add_argument("--mode", choices=["speed", "accuracy"], default="speed")
    parser.add_argument("--out", type=Path, default=Path(".cache/ocr"))
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    out = args.out / args.mode
    out.mkdir(parents=True, exist_ok=True)
    jobs = []
    for line in (args.data / "labels.jsonl").read_text().splitlines():
        file = json.loads(line)["file"]
        target = out / cache_name(file)
        if not target.exists():
            jobs.append((args.data / file, args.mode, target))
    print(f"{len(jobs)} documents to read", file=sys.stderr)
    with ProcessPoolExecutor(args.workers) as pool:
        for done, name in enumerate(pool.map(_job, jobs), 1):
            if done % 10 == 0:
                print(f"{done}/{len(jobs)} {name}", file=sys.stderr)


if __name__ == "__main__":
    main()
