"""Train the field ranker: one LightGBM model per field over its kind's candidates.

Reproducible end to end (fixed seeds, deterministic LightGBM):

    .venv/bin/python training/ocr_cache.py --data ../shared/datasets --mode speed --workers 2
    .venv/bin/python training/ocr_cache.py --data ../shared/datasets --mode accuracy --workers 2
    .venv/bin/python training/train_fields.py --data ../shared/datasets --synthetic 400

Training data (licences allow it, see the model card): SROIE (CC BY 4.0), the DocILE sample and
the Parsee invoices (MIT), read by both OCR modes so the model knows both engines' errors, and
synthetic documents the project renders itself (``training/synthetic``). WildReceipt and the
e-invoice samples are never trained on: they measure generalisation. ``--cv`` reports a
5-fold cross-validated accuracy per field on the real documents (a fold's documents never train
the model that scores them).

A candidate is a positive for a field when its normalised value equals the label (amounts to
the cent, dates, ids letter-for-letter); for names and addresses, which OCR rarely reads
perfectly, the candidates closest to the label (similarity >= 0.8) are the positives.
"""

from __future__ import annotations

import argparse
import difflib
import gzip
import json
import random
import re
import sys
import tempfile
import time
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

from docintake.extraction.candidates import FIELD_KIND, Candidate, matrix, prepare_view
from docintake.extraction.ranker import MODEL_PATH, MODEL_VERSION
from docintake.pipeline.model import Box, PageText, Word

TRAIN_SOURCES = ("sroie_train", "docile_sample", "parsee_invoices_dev")
LABEL_ALIASES = {
    "supplier_vat": "supplier_tax_id",
    "iban": "supplier_iban",
    "supplier_zip": "supplier_postcode",
}
PARAMS: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.05,
    "num_leaves": 15,
    "min_data_in_leaf": 10,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "seed": 7,
    "deterministic": True,
    "force_row_wise": True,
    "num_threads": 2,
    "verbose": -1,
}
ROUNDS = 250


@dataclass
class Doc:
    key: str
    source: str
    pages: list[PageText]
    labels: dict[str, str]


def pages_from_cache(data: dict[str, Any]) -> list[PageText]:
    return [
        PageText(
            p["number"],
            p["width"],
            p["height"],
            p["source"],
            [Word(w[0], Box(*w[2:6]), w[1]) for w in p["words"]],
            p.get("rotation", 0),
            p.get("engine"),
        )
        for p in data["pages"]
    ]


def load_real(data_dir: Path, cache: Path, modes: list[str]) -> list[Doc]:
    docs = []
    for raw in (data_dir / "labels.jsonl").read_text().splitlines():
        label = json.loads(raw)
        if label["source"] not in TRAIN_SOURCES:
            continue
        for mode in modes:
            path = cache / mode / (label["file"].replace("/", "__") + ".json")
            if path.exists():
                fields = {
                    LABEL_ALIASES.get(k, k): v for k, v in label["fields"].items() if isinstance(v, str)
                }
                docs.append(
                    Doc(
                        label["file"], label["source"], pages_from_cache(json.loads(path.read_text())), fields
                    )
                )
    return docs


def load_synthetic(count: int, seed: int) -> list[Doc]:
    import pypdfium2 as pdfium

    from docintake.pipeline.pdftext import text_layer_words
    from training.synthetic.content import generate
    from training.synthetic.render import render_pdf

    rng = random.Random(seed)  # noqa: S311 - reproducible sampling, not security
    docs = []
    for index in range(count):
        doc_seed = rng.randrange(1 << 30)
        synthetic = generate(doc_seed)
        pdf = pdfium.PdfDocument(render_pdf(synthetic, doc_seed))
        pages = []
        for number in range(len(pdf)):
            page = pdf[number]
            width, height = page.get_size()
            pages.append(PageText(number + 1, width, height, "text_layer", text_layer_words(page)))
        pdf.close()
        docs.append(Doc(f"synthetic-{index}", "synthetic", pages, dict(synthetic.fields)))
    return docs


def _loose(text: str) -> str:
    return re.sub(r"[\W_]+", "", text).casefold()


def _amount(text: str) -> Decimal | None:
    try:
        return Decimal(text)
    except (InvalidOperation, ValueError):
        return None


def positives(field: str, candidates: list[Candidate], label: str) -> list[bool]:
    kind = FIELD_KIND[field]
    if kind == "amount":
        wanted = _amount(label)
        return [wanted is not None and _amount(c.value) == wanted for c in candidates]
    if kind == "date":
        return [c.value == label for c in candidates]
    if kind == "id":
        return [_loose(c.value) == _loose(label) for c in candidates]
    target = _loose(label)
    scores = [
        difflib.SequenceMatcher(None, _loose(c.value), target, autojunk=False).ratio() for c in candidates
    ]
    best = max(scores, default=0.0)
    return [s >= 0.8 and s >= best - 0.02 for s in scores]


Featurized = list[tuple[Doc, dict[str, list[Candidate]]]]
Rows = dict[str, tuple[list[list[float]], list[int], list[int], list[str]]]


def featurize(docs: list[Doc]) -> Featurized:
    """Every document's candidates (the slow part: done once, shared by every fold)."""
    return [(doc, prepare_view(doc.pages)[1]) for doc in docs]


def rows(featurized: Featurized) -> Rows:
    """Per field: feature rows, labels, document ids (for grouping) and feature names."""
    out: Rows = {}
    union: dict[str, set[str]] = {}
    for _, found in featurized:
        for kind, items in found.items():
            for item in items:
                union.setdefault(kind, set()).update(item.features)
    names = {kind: sorted(features) for kind, features in union.items()}  # every feature any candidate has
    for field, kind in FIELD_KIND.items():
        features, y, groups = [], [], []
        for doc_id, (doc, found) in enumerate(featurized):
            label = doc.labels.get(field)
            if label is None:
                continue
            items = found[kind]
            features.extend(matrix(items, names.get(kind, [])))
            y.extend(1 if positive else 0 for positive in positives(field, items, label))
            groups.extend([doc_id] * len(items))
        out[field] = (features, y, groups, names.get(kind, []))
    return out


def train(data: Rows) -> dict[str, Any]:
    models = {}
    for field, (features, y, _, names) in data.items():
        if not features or sum(y) < 5:
            print(f"{field}: not enough positives ({sum(y)})", file=sys.stderr)
            continue
        booster = lgb.train(PARAMS, lgb.Dataset(np.array(features), np.array(y), feature_name=names), ROUNDS)
        models[field] = booster.model_to_string()
        print(f"{field}: {len(features)} candidates, {sum(y)} positives", file=sys.stderr)
    return models


def main() -> None:
    parser = argparse.ArgumentParser(description="train the field ranker")
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--cache", type=Path, default=Path(".cache/ocr"))
    parser.add_argument("--modes", default="speed,accuracy")
    parser.add_argument("--synthetic", type=int, default=400)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    args = parser.parse_args()
    started = time.perf_counter()
    docs = load_real(args.data, args.cache, args.modes.split(","))
    print(f"{len(docs)} real document readings", file=sys.stderr)
    if args.synthetic:
        docs += load_synthetic(args.synthetic, args.seed)
    print(f"{len(docs)} documents in all ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    models = train(rows(featurize(docs)))
    bundle = {
        "version": MODEL_VERSION,
        "trained_on": {
            "real": sorted({d.source for d in docs if d.source != "synthetic"}),
            "real_readings": sum(1 for d in docs if d.source != "synthetic"),
            "synthetic": args.synthetic,
            "modes": args.modes,
        },
        "fields": models,
    }
    with tempfile.NamedTemporaryFile("wb", dir=args.out.parent, delete=False) as tmp:
        tmp.write(gzip.compress(json.dumps(bundle).encode(), mtime=0))
    Path(tmp.name).replace(args.out)
    print(
        f"wrote {args.out} ({args.out.stat().st_size // 1024} KiB) in {time.perf_counter() - started:.0f} s"
    )


if __name__ == "__main__":
    main()
