"""Pipeline speed and memory on generated documents, against raw OCR on the same pages.

    .venv/bin/python benchmarks/speed.py [--pages 10] [--mode speed|accuracy|both] [--scans DIR]

For each kind of input (synthetic text-layer invoice PDFs, synthetic scanned receipts as PNG, and
with ``--scans DIR`` real photos or scans, e.g. ``../shared/datasets/sroie_train/images``) it runs
the pipeline in a warm process, one page at a time, and prints per-stage median milliseconds,
pages per second, the process's peak RSS and the peak after each stage, and the ratio of pipeline
time to the engine's bare `recognize()` on the same page (the pipeline's overhead: deskew,
orientation detection, normalisation, extraction). Each mode runs in its own process, so its
peak memory is its own. Single thread: OMP_THREAD_LIMIT=1 is set before the engines load."""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_THREAD_LIMIT", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image

from docintake.pipeline.images import normalize_for_ocr
from docintake.pipeline.ocr import OcrOptions, get_engine
from docintake.pipeline.runner import PipelineContext, run_pipeline
from docintake.pipeline.stages import default_stages
from docintake.settings import Settings
from training.synthetic import generate, render_image, render_pdf


def invoice_pdf(seed: int) -> bytes:
    """A realistic one- or two-page invoice with a text layer (the project's synthetic generator:
    varied layouts, languages and fonts)."""
    document = generate(seed, doc_type="invoice")
    return render_pdf(document, seed)


def receipt_png(seed: int) -> bytes:
    """A scanned-looking till receipt: rendered at 200 dpi with noise and a slight skew."""
    document = generate(seed, doc_type="receipt")
    return render_image(document, seed, dpi=200, noise=True)


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class PeakAfter:
    """Wraps a stage to record the process's peak RSS right after it ran: the first stage after
    which the peak jumps is the one that needs the memory (engines load lazily, on first use)."""

    def __init__(self, stage: Any, peaks: dict[str, float]) -> None:
        self.stage, self.peaks = stage, peaks
        self.name, self.required = stage.name, stage.required

    def __call__(self, ctx: PipelineContext) -> None:
        try:
            self.stage(ctx)
        finally:
            self.peaks[self.name] = max(self.peaks.get(self.name, 0.0), peak_rss_mb())


def run(kind: str, files: list[Path], media: str, settings: Settings, mode: str) -> None:
    peaks: dict[str, float] = {}
    stages = [PeakAfter(stage, peaks) for stage in default_stages(settings)]
    engine_name = settings.ocr_engine_speed if mode == "speed" else settings.ocr_engine_accuracy
    engine = get_engine(engine_name, OcrOptions(tuple(settings.ocr_languages.split("+"))))
    totals, per_stage, raw = [], {}, []  # type: ignore[var-annotated]
    run_pipeline(
        stages, PipelineContext(path=files[0], media_type=media, filename="warm", processing_pref=mode)
    )
    for path in files:
        ctx = PipelineContext(path=path, media_type=media, filename=path.name, processing_pref=mode)
        started = time.perf_counter()
        run_pipeline(stages, ctx)
        pages = max(ctx.page_count, 1)  # a two-page invoice counts as two pages, at half its time each
        totals.append((time.perf_counter() - started) * 1000 / pages)
        for name, ms in ctx.timings.items():
            per_stage.setdefault(name, []).append(ms / pages)
        if media != "application/pdf":
            image = normalize_for_ocr(Image.open(path))
            started = time.perf_counter()
            engine.recognize(image)
            raw.append((time.perf_counter() - started) * 1000)
    median = statistics.median(totals)
    stages_text = ", ".join(f"{name} {statistics.median(values):.1f}" for name, values in per_stage.items())
    ratio = f"{median / statistics.median(raw):.2f}x raw OCR" if raw else "no OCR (text layer)"
    print(
        f"{kind:<14} {mode:<8} median {median:8.1f} ms/page  {1000 / median:6.2f} pages/s  "
        f"peak RSS {peak_rss_mb():6.0f} MB  {ratio}\n{'':<24}stages (ms): {stages_text}\n"
        f"{'':<24}peak RSS after each stage (MB): {', '.join(f'{k} {v:.0f}' for k, v in peaks.items())}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pages", type=int, default=10)
    parser.add_argument("--mode", choices=["speed", "accuracy", "both"], default="both")
    parser.add_argument("--scans", type=Path, default=None, help="also time these real images (a folder)")
    args = parser.parse_args()
    if args.mode == "both":  # one process per mode, so each mode's peak memory is its own
        for mode in ("speed", "accuracy"):
            command = [sys.executable, __file__, "--pages", str(args.pages), "--mode", mode]
            subprocess.run([*command, *(["--scans", str(args.scans)] if args.scans else [])], check=True)
        return
    modes = [args.mode]
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp))
        pdfs, pngs = [], []
        for seed in range(args.pages):
            pdf = Path(tmp) / f"invoice-{seed}.pdf"
            pdf.write_bytes(invoice_pdf(seed))
            pdfs.append(pdf)
            png = Path(tmp) / f"receipt-{seed}.png"
            png.write_bytes(receipt_png(seed))
            pngs.append(png)
        real = (
            sorted(p for p in args.scans.iterdir() if p.suffix.lower() in {".jpg", ".jpeg", ".png"})[
                : args.pages
            ]
            if args.scans
            else []
        )
        for mode in modes:
            run("text-layer PDF", pdfs, "application/pdf", settings, mode)
            run("scanned PNG", pngs, "image/png", settings, mode)
            if real:
                run("real scans", real, "image/jpeg", settings, mode)


if __name__ == "__main__":
    main()
