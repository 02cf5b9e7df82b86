"""Write a synthetic dataset to disk: PDFs, some scanned-looking images, and labels.jsonl.

    .venv/bin/python -m training.synthetic.cli --out /tmp/synth --count 300 --seed 1 --images 30

The labels file uses the same record format as the real datasets (``file`` relative to the
output folder, ``source`` "synthetic"), so training and evaluation scripts read both the same
way. Document ``i`` of seed ``S`` is ``generate(S * 1_000_000 + i)``: any single document can be
regenerated without the rest.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from training.synthetic.content import generate, seeded
from training.synthetic.render import render_image, render_pdf


def doc_seed(seed: int, index: int) -> int:
    return seed * 1_000_000 + index


def _write_one(job: tuple[Path, int, int, bool]) -> list[dict[str, Any]]:
    out, seed, index, as_image = job
    number = doc_seed(seed, index)
    doc = generate(number)
    stem = f"{index:05d}_{doc.doc_type}_{doc.language}"
    records = []
    pdf_path = Path("pdf") / f"{stem}.pdf"
    (out / pdf_path).write_bytes(render_pdf(doc, number))
    records.append(doc.label(pdf_path.as_posix()))
    if as_image:
        rng = seeded("image", number)
        rotate = rng.choice((90, 180, 270)) if rng.random() < 0.12 else 0
        data = render_image(doc, number, dpi=rng.choice((150, 150, 200)), rotate=rotate)
        suffix = ".png" if data[:4] == b"\x89PNG" else ".tif"
        image_path = Path("img") / f"{stem}{suffix}"
        (out / image_path).write_bytes(data)
        records.append(doc.label(image_path.as_posix()))
    return records


def write_dataset(
    out: Path, count: int, seed: int, images: int = 0, workers: int = 1
) -> list[dict[str, Any]]:
    """Generate ``count`` documents (``images`` of them also as images) and return the label records."""
    (out / "pdf").mkdir(parents=True, exist_ok=True)
    if images:
        (out / "img").mkdir(exist_ok=True)
    chosen = set(seeded("images", seed).sample(range(count), min(images, count)))
    jobs = [(out, seed, i, i in chosen) for i in range(count)]
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            results = list(pool.map(_write_one, jobs, chunksize=8))
    else:
        results = [_write_one(job) for job in jobs]
    records = [record for group in results for record in group]
    with (out / "labels.jsonl").open("w", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    return records


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="output folder (created)")
    parser.add_argument("--count", type=int, default=100, help="number of documents")
    parser.add_argument("--seed", type=int, default=0, help="dataset seed")
    parser.add_argument("--images", type=int, default=0, help="how many documents also get a scanned image")
    parser.add_argument("--workers", type=int, default=1, help="processes to use")
    args = parser.parse_args(argv)
    started = time.monotonic()
    records = write_dataset(args.out, args.count, args.seed, args.images, args.workers)
    elapsed = time.monotonic() - started
    print(
        f"wrote {len(records)} files for {args.count} documents to {args.out} in {elapsed:.1f}s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
