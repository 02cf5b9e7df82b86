"""Score extraction on cached OCR (``training/ocr_cache.py``), fast enough to iterate on.

The real benchmark (``benchmarks/accuracy.py``) runs the whole pipeline, OCR included, and is
what the README reports. This script skips OCR by reading the cached pages, so a change to
candidates, features or the model can be scored on all documents in seconds. With ``--cv K``
the documents of the training sources are scored by models that never saw them: each of K folds
is scored by a model trained on the other folds (plus the synthetic documents), which is the
honest number for SROIE; the other sources are scored by the shipped model.

    .venv/bin/python training/evaluate_cached.py --data ../shared/datasets --mode speed [--cv 5]
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.accuracy import print_report
from benchmarks.scoring import score
from docintake.extraction.document import extract_document
from docintake.extraction.ranker import MODEL_PATH, FieldRanker
from training.train_fields import (
    TRAIN_SOURCES,
    featurize,
    load_real,
    load_synthetic,
    pages_from_cache,
    rows,
    train,
)


def _fields(result: dict[str, Any]) -> dict[str, str]:
    return {name: field["value"] for name, field in result["extraction"]["fields"].items()}


def main() -> None:
    parser = argparse.ArgumentParser(description="score extraction on cached OCR")
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--cache", type=Path, default=Path(".cache/ocr"))
    parser.add_argument("--mode", default="speed")
    parser.add_argument("--cv", type=int, default=0, help="K-fold cross-validation on the training sources")
    parser.add_argument("--synthetic", type=int, default=400)
    parser.add_argument("--source", action="append", default=None)
    parser.add_argument("--predictions", type=Path, default=None)
    parser.add_argument("--fields", default=None, help="with --cv: train only these fields (comma list)")
    args = parser.parse_args()
    labels = [json.loads(line) for line in (args.data / "labels.jsonl").read_text().splitlines()]
    labels = [label for label in labels if not args.source or label["source"] in args.source]
    shipped = FieldRanker(MODEL_PATH)
    rankers: dict[str, FieldRanker] = {}
    if args.cv:
        real = featurize(load_real(args.data, args.cache, ["speed", "accuracy"]))
        synthetic = featurize(load_synthetic(args.synthetic, 11))
        keys = sorted({doc.key for doc, _ in real})
        folds = {key: index % args.cv for index, key in enumerate(keys)}
        for fold in range(args.cv):
            data = rows([item for item in real if folds[item[0].key] != fold] + synthetic)
            if args.fields:
                data = {name: value for name, value in data.items() if name in args.fields.split(",")}
            models = train(data)
            with tempfile.NamedTemporaryFile(suffix=".json.gz", delete=False) as tmp:
                tmp.write(gzip.compress(json.dumps({"version": f"cv-{fold}", "fields": models}).encode()))
            ranker = FieldRanker(Path(tmp.name))
            rankers.update({key: ranker for key in keys if folds[key] == fold})
    predictions, seconds, errors = [], {}, {}
    for label in labels:
        path = args.cache / args.mode / (label["file"].replace("/", "__") + ".json")
        if not path.exists():
            errors.setdefault(label["source"], []).append(f"{label['file']}: not in the OCR cache")
            continue
        pages = pages_from_cache(json.loads(path.read_text()))
        ranker = rankers.get(label["file"], shipped) if label["source"] in TRAIN_SOURCES else shipped
        result = extract_document(pages, None, ranker)
        predictions.append({"file": label["file"], "fields": _fields(result)})
    if args.predictions:
        args.predictions.write_text("".join(json.dumps(p) + "\n" for p in predictions))
    scored = [label for label in labels if label["source"] not in errors or True]
    print_report(score(scored, predictions), seconds, errors, f"{args.mode} (cached OCR)", 1)


if __name__ == "__main__":
    main()
