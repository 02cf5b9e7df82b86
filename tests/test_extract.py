"""`docintake extract`: local files, folders and zips through the pipeline, no server or database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from docintake import local
from docintake.cli import app as cli_app
from docintake.settings import get_settings
from tests.conftest import make_pdf, make_png, make_zip


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Settings point at a data directory that must stay absent: extract needs none."""
    path = tmp_path / "data"
    monkeypatch.setenv("DOCINTAKE_DATA_DIR", str(path))
    get_settings.cache_clear()
    yield path
    get_settings.cache_clear()
    assert not path.exists(), "extract wrote to the data directory"


def run(*args: str) -> Result:
    get_settings.cache_clear()  # read the environment afresh, like a new process
    return CliRunner().invoke(cli_app, ["extract", *args])


def lines_of(result: Result) -> list[dict[str, Any]]:
    return [json.loads(line) for line in result.stdout.splitlines()]


def without_timings(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k != "timings"}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return [strip(line) for line in lines]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """in/a.pdf, in/sub/b.png, in/sub/deeper/c.pdf, and dot-files that are skipped."""
    root = tmp_path / "in"
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / ".git").mkdir()
    (root / "a.pdf").write_bytes(make_pdf(2, seed=1))
    (root / "sub" / "b.png").write_bytes(make_png("INVOICE 42"))
    (root / "sub" / "deeper" / "c.pdf").write_bytes(make_pdf(1, seed=3))
    (root / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (root / ".git" / "x.pdf").write_bytes(make_pdf(1))
    return root


def test_jsonl_one_line_per_file_through_folders(folder: Path, tmp_path: Path) -> None:
    single = tmp_path / "single.pdf"
    single.write_bytes(make_pdf(1, seed=9))
    result = run("--jsonl", str(single), str(folder))
    assert result.exit_code == 0, result.output
    lines = lines_of(result)
    assert [line["file"] for line in lines] == [
        str(single),
        str(folder / "a.pdf"),
        str(folder / "sub" / "b.png"),
        str(folder / "sub" / "deeper" / "c.pdf"),
    ]
    first = lines[1]
    assert first["mediaType"] == "application/pdf" and first["pages"] == 2
    assert first["fields"]["invoice_number"] == "2024-0001"  # make_pdf(2, seed=1)
    assert first["fields"]["currency"] == "EUR"
    (document,) = first["documents"]
    assert document["pages"] == {"start": 1, "end": 2}
    assert "type" in document and document["errors"] == []
    assert set(document["timings"]) >= {"pages", "text"}
    assert [(p["number"], p["source"]) for p in document["pageTexts"]] == [
        (1, "text_layer"),
        (2, "text_layer"),
    ]
    assert all(p["wordCount"] > 5 for p in document["pageTexts"])
    assert "INVOICE" not in json.dumps(first), "word texts are not part of the line"
    image = lines[2]
    assert image["mediaType"] == "image/png"
    assert image["documents"][0]["pageTexts"][0]["source"] == "ocr"
    assert all("error" not in line for line in lines)


def test_a_broken_file_gives_an_error_line_and_the_run_goes_on(tmp_path: Path) -> None:
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\nnot really a pdf\n")
    truncated = tmp_path / "truncated.png"
    truncated.write_bytes(make_png()[:60])
    text = tmp_path / "notes.txt"
    text.write_text("just some text\n")
    good = tmp_path / "good.pdf"
    good.write_bytes(make_pdf(1))
    result = run("--jsonl", str(broken), str(truncated), str(text), str(good))
    assert result.exit_code == 0, result.output
    lines = lines_of(result)
    assert len(lines) == 4
    assert lines[0]["error"]["code"] == "pdf_unreadable"
    assert lines[1]["error"]["code"] == "image_unreadable"
    assert lines[2]["error"]["code"] == "unsupported_type"
    assert all(line["documents"] == [] and line["fields"] == {} for line in lines[:3])
    assert "error" not in lines[3] and lines[3]["pages"] == 1


def test_a_missing_path_exits_2_after_processing_the_others(tmp_path: Path) -> None:
    good = tmp_path / "good.pdf"
    good.write_bytes(make_pdf(1))
    missing = tmp_path / "nope.pdf"
    result = run("--jsonl", str(missing), str(good))
    assert result.exit_code == 2
    lines = lines_of(result)
    assert [line["file"] for line in lines] == [str(missing), str(good)]
    assert lines[0]["error"]["code"] == "not_found"
    assert lines[1]["pages"] == 1


def test_zip_members_are_processed_one_line_each(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle.zip"
    inner = make_zip({"deep.pdf": make_pdf(1)})
    bundle.write_bytes(
        make_zip(
            {
                "x/one.pdf": make_pdf(2),
                "two.png": make_png(),
                "readme.txt": b"hello",
                "__MACOSX/._one.pdf": b"junk",
                "inner.zip": inner,
            }
        )
    )
    empty = tmp_path / "empty.zip"
    empty.write_bytes(make_zip({}))
    result = run("--jsonl", str(bundle), str(empty))
    assert result.exit_code == 0, result.output
    by_file = {line["file"]: line for line in lines_of(result)}
    assert list(by_file) == [
        f"{bundle}/x/one.pdf",
        f"{bundle}/two.png",
        f"{bundle}/readme.txt",
        f"{bundle}/inner.zip/deep.pdf",
        str(empty),
    ]
    assert by_file[f"{bundle}/x/one.pdf"]["pages"] == 2
    assert by_file[f"{bundle}/two.png"]["mediaType"] == "image/png"
    assert by_file[f"{bundle}/readme.txt"]["error"]["code"] == "unsupported_type"
    assert by_file[f"{bundle}/inner.zip/deep.pdf"]["pages"] == 1
    assert by_file[str(empty)]["error"]["code"] == "zip_empty"


def test_zips_follow_the_intake_limits_from_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = tmp_path / "bundle.zip"
    bundle.write_bytes(make_zip({"a.pdf": make_pdf(1), "b.pdf": make_pdf(1), "c.pdf": make_pdf(1)}))
    nested = tmp_path / "nested.zip"
    nested.write_bytes(make_zip({"inner.zip": make_zip({"deep.pdf": make_pdf(1)})}))
    monkeypatch.setenv("DOCINTAKE_ZIP_MAX_ENTRIES", "2")
    monkeypatch.setenv("DOCINTAKE_ZIP_MAX_DEPTH", "1")
    result = run("--jsonl", str(bundle), str(nested))
    assert result.exit_code == 0, result.output
    lines = lines_of(result)
    assert [(line["file"], line["error"]["code"]) for line in lines] == [
        (str(bundle), "zip_too_many_entries"),
        (f"{nested}/inner.zip", "zip_too_deep"),
    ]


def test_two_workers_give_the_same_output_as_one(folder: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\nbroken")
    bundle = tmp_path / "bundle.zip"
    bundle.write_bytes(make_zip({"m.pdf": make_pdf(1)}))
    args = ("--jsonl", str(folder), str(broken), str(bundle))
    one = run(*args)
    two = run("--workers", "2", *args)
    assert one.exit_code == two.exit_code == 0, two.output
    assert len(lines_of(one)) == 5  # three in the folder, the broken one, one zip member
    assert without_timings(lines_of(two)) == without_timings(lines_of(one))
    assert run("--workers", "0", *args).exit_code == 2  # a usage error


def test_mode_accuracy_is_accepted_and_a_bad_mode_is_not(tmp_path: Path) -> None:
    scan = tmp_path / "scan.png"
    scan.write_bytes(make_png("TOTAL 19.98", size=(500, 200)))
    result = run("--jsonl", "--mode", "accuracy", str(scan))
    assert result.exit_code == 0, result.output
    (line,) = lines_of(result)
    (page,) = line["documents"][0]["pageTexts"]
    assert page["source"] == "ocr" and page["engine"]
    refused = run("--mode", "fastest", str(scan))
    assert refused.exit_code == 2
    assert "fastest" in refused.stderr and refused.stdout == ""


def test_progress_on_stderr_only_for_more_than_one_file(tmp_path: Path) -> None:
    first = tmp_path / "one.pdf"
    first.write_bytes(make_pdf(1))
    second = tmp_path / "two.pdf"
    second.write_bytes(make_pdf(1, seed=2))
    alone = run("--jsonl", str(first))
    assert alone.exit_code == 0 and alone.stderr == ""
    assert len(lines_of(alone)) == 1
    both = run("--jsonl", str(first), str(second))
    assert both.exit_code == 0
    assert "2/2" in both.stderr
    assert len(lines_of(both)) == 2, "progress stays out of stdout"


def test_summary_without_jsonl(tmp_path: Path) -> None:
    good = tmp_path / "good.pdf"
    good.write_bytes(make_pdf(3))
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\nbroken")
    result = run(str(good), str(broken))
    assert result.exit_code == 0, result.output
    good_line, broken_line = result.stdout.splitlines()
    assert good_line.startswith(str(good)) and "application/pdf" in good_line
    assert "3 pages" in good_line and "text_layer x3" in good_line and "ERROR" not in good_line
    assert "  invoice  " in good_line and "total 19.98 EUR" in good_line  # type and key fields
    assert broken_line.startswith(str(broken)) and "ERROR pdf_unreadable" in broken_line


def test_the_installed_command_writes_nothing_where_it_runs(tmp_path: Path, folder: Path) -> None:
    """In its own process, from another working directory, with the default data directory."""
    script = Path(sys.executable).with_name("docintake")
    if not script.exists():
        pytest.skip("the docintake console script is not installed beside this interpreter")
    work = tmp_path / "work"
    work.mkdir()
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    (tmp_path / "b.zip").write_bytes(make_zip({"m.pdf": make_pdf(1), "n.png": make_png()}))
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCINTAKE_")}
    env["TMPDIR"] = str(scratch)
    completed = subprocess.run(
        [str(script), "extract", "--jsonl", "../in", str(tmp_path / "b.zip")],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    lines = [json.loads(line) for line in completed.stdout.splitlines()]
    assert [line["file"] for line in lines] == [
        os.path.join("..", "in", "a.pdf"),
        os.path.join("..", "in", "sub", "b.png"),
        os.path.join("..", "in", "sub", "deeper", "c.pdf"),
        f"{tmp_path / 'b.zip'}/m.pdf",
        f"{tmp_path / 'b.zip'}/n.png",
    ]
    assert all("error" not in line for line in lines)
    assert list(work.iterdir()) == [], "nothing is written in the working directory"
    assert list(scratch.iterdir()) == [], "temporary zip members are cleaned up"
    assert "4/4 files" in completed.stderr  # progress counts inputs: a zip is one


def test_stdout_summary_helper_is_readable_for_partial_results() -> None:
    line = {
        "file": "x.png",
        "mediaType": "image/png",
        "pages": 1,
        "documents": [
            {
                "pageTexts": [{"source": "ocr", "engine": "tesseract 5", "wordCount": 0}],
                "errors": [{"stage": "text", "code": "ocr_failed", "message": "boom"}],
            }
        ],
    }
    assert local.summary(line) == "x.png  image/png  1 page  ocr (tesseract 5) x1  partial: ocr_failed"
