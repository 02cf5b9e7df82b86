"""Zip bundles over HTTP: unpacking, entry names, unsafe entries, nesting and every limit."""

from __future__ import annotations

import io
import random
import unicodedata
import zipfile
from typing import Any

import pytest

from tests.conftest import Service, make_pdf, make_png, make_zip
from tests.helpers import PROBLEM, created, get

ZIP = "application/zip"


# -- helpers ---------------------------------------------------------------------------------


def upload(service: Service, *files: tuple[str, bytes]) -> Any:
    return service.client.post(
        "/v1/ingest/uploads",
        files=[("files", (name, content, ZIP)) for name, content in files],
        headers=service.tenant.headers,
    )


def files_by_name(service: Service, import_id: str) -> dict[str, dict[str, Any]]:
    """Every file of the import (zip children included), by filename."""
    files = get(service, f"/v1/imports/{import_id}")["files"]
    by_name = {f["filename"]: f for f in files}
    assert len(by_name) == len(files), "filenames in these tests are unique"
    return by_name


def raw_zip(entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in entries:
            archive.writestr(info, data)
    return buffer.getvalue()


def noise(size: int, seed: int = 0) -> bytes:
    """Incompressible bytes."""
    return random.Random(seed).randbytes(size)


def digits(size: int, seed: int = 0) -> bytes:
    """Bytes that deflate a little (about 2.4:1), far from any zip-bomb ratio."""
    rng = random.Random(seed)
    return bytes(rng.choice(b"0123456789") for _ in range(size))


def assert_tmp_empty(service: Service) -> None:
    """Nothing was left behind (or inflated and kept) in the spool directory."""
    assert list(service.settings.tmp_dir.iterdir()) == []


# -- unpacking -------------------------------------------------------------------------------


def test_zip_children_are_flat_files_of_the_import_with_parent_ids(service: Service) -> None:
    """GIVEN a zip of a PDF, a PNG in a folder, macOS resource forks, dot-files and a directory
    WHEN it is uploaded
    THEN the zip is processed without a document, its real entries are processed children, and the
    junk is skipped without a trace."""
    pdf, png = make_pdf(2), make_png()
    bundle = make_zip(
        {
            "a.pdf": pdf,
            "scans/b.png": png,
            "__MACOSX/._a.pdf": b"\x00\x05\x16\x07 resource fork",
            "__MACOSX/scans/._b.png": b"\x00\x05\x16\x07",
            ".DS_Store": b"\x00\x00\x00\x01Bud1",
            "scans/.hidden.pdf": make_pdf(seed=3),
            ".git/config": b"[core]",
            "empty-dir/": b"",
        }
    )
    body = created(upload(service, ("bundle.zip", bundle)))
    assert body["errors"] == []
    container, first, second = body["files"]
    assert (container["filename"], container["status"], container["documentId"]) == (
        "bundle.zip",
        "processed",
        None,
    )
    assert first["filename"] == "a.pdf"
    assert second["filename"].endswith("b.png")
    assert first["documentId"] and second["documentId"]

    zip_file = get(service, f"/v1/ingest/files/{container['id']}")
    assert zip_file["status"] == "processed"
    assert zip_file["mediaType"] == ZIP
    assert zip_file["documents"] == []
    assert zip_file["parentFileId"] is None
    assert zip_file["processedAt"].endswith("Z")

    for ref, content, media_type, pages in (
        (first, pdf, "application/pdf", 2),
        (second, png, "image/png", 1),
    ):
        child = get(service, f"/v1/ingest/files/{ref['id']}")
        assert child["parentFileId"] == container["id"]
        assert child["source"] == "zip"
        assert child["status"] == "processed"
        assert child["mediaType"] == media_type
        assert child["pages"] == pages
        assert child["size"] == len(content)
        assert [d["id"] for d in child["documents"]] == [ref["documentId"]]
        response = service.client.get(f"/v1/ingest/files/{ref['id']}/content", headers=service.tenant.headers)
        assert response.content == content

    imported = get(service, f"/v1/imports/{body['importId']}")
    assert [f["id"] for f in imported["files"]] == [container["id"], first["id"], second["id"]]
    assert imported["counts"]["processed"] == 3
    assert imported["status"] == "completed"
    assert_tmp_empty(service)


def test_stored_zip_of_pdfs_is_a_bundle_not_a_pdf(service: Service) -> None:
    """An uncompressed zip holds "%PDF-" in its first bytes: it must still be unpacked."""
    bundle = make_zip({"a.pdf": make_pdf(), "b.pdf": make_pdf(seed=1)}, compression=zipfile.ZIP_STORED)
    body = created(upload(service, ("stored.zip", bundle)))
    assert [f["filename"] for f in body["files"]] == ["stored.zip", "a.pdf", "b.pdf"]
    by_name = files_by_name(service, body["importId"])
    assert by_name["stored.zip"]["mediaType"] == ZIP
    assert by_name["a.pdf"]["status"] == by_name["b.pdf"]["status"] == "processed"


def test_entry_names_utf8_flagged_cp437_and_nfd_are_decoded_to_nfc(service: Service) -> None:
    # Python flags non-ASCII names as UTF-8; for the legacy CP437 name, write an ASCII placeholder
    # of the same length and patch the raw bytes (local header and central directory).
    nfd_name = unicodedata.normalize("NFD", "Résumé.png")
    bundle = make_zip(
        {
            "Rechnung_請求書.pdf": make_pdf(seed=1),
            "cafX.pdf": make_pdf(seed=2),
            nfd_name: make_png(),
        }
    )
    assert bundle.count(b"cafX.pdf") == 2
    bundle = bundle.replace(b"cafX.pdf", b"caf\x82.pdf")
    with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
        flagged = {info.filename: bool(info.flag_bits & 0x800) for info in archive.infolist()}
    assert flagged["caf\u00e9.pdf"] is False and flagged["Rechnung_請求書.pdf"] is True

    body = created(upload(service, ("names.zip", bundle)))
    names = [f["filename"] for f in body["files"][1:]]
    assert names == ["Rechnung_請求書.pdf", "café.pdf", "Résumé.png"]
    assert all(unicodedata.is_normalized("NFC", n) for n in names)
    by_name = files_by_name(service, body["importId"])
    assert {by_name[n]["status"] for n in names} == {"processed"}


# -- unsafe entries --------------------------------------------------------------------------


def test_traversal_absolute_and_link_entries_are_rejected_unsafe_path(service: Service) -> None:
    link = zipfile.ZipInfo("link.pdf")
    link.external_attr = (0o120777 << 16) | 0x20  # S_IFLNK | 0777
    bundle = raw_zip(
        [
            ("ok.pdf", make_pdf()),
            ("../evil.pdf", make_pdf(seed=1)),
            ("/abs.pdf", make_pdf(seed=2)),
            ("a/../../b.pdf", make_pdf(seed=3)),
            ("..\\win.pdf", make_pdf(seed=4)),
            ("C:\\drive.pdf", make_pdf(seed=5)),
            (link, b"/etc/passwd"),
            ("fine/../inside.png", make_png()),
        ]
    )
    body = created(upload(service, ("tricky.zip", bundle)))
    # Any ".." is refused, even one that would stay inside the archive.
    unsafe = {
        "../evil.pdf",
        "/abs.pdf",
        "a/../../b.pdf",
        "..\\win.pdf",
        "C:\\drive.pdf",
        "link.pdf",
        "fine/../inside.png",
    }
    errors = {e["file"]: e for e in body["errors"]}
    assert set(errors) == unsafe
    assert {e["code"] for e in errors.values()} == {"unsafe_path"}
    assert "symbolic link" in errors["link.pdf"]["message"]

    by_name = files_by_name(service, body["importId"])
    assert by_name["tricky.zip"]["status"] == "processed"
    assert by_name["ok.pdf"]["status"] == "processed"
    for name in unsafe:
        record = by_name[name]
        assert record["status"] == "rejected", name
        assert record["error"]["code"] == "unsafe_path", name
        assert record["parentFileId"] == by_name["tricky.zip"]["id"]
        assert record["documents"] == []
        assert record["sha256"] is None  # never inflated
    # Nothing was written outside the data directory by the name of an entry.
    data_dir = service.settings.data_dir
    assert not (data_dir.parent / "evil.pdf").exists()
    assert not (data_dir / "evil.pdf").exists()
    assert_tmp_empty(service)


# -- nesting ---------------------------------------------------------------------------------


def test_nested_zip_is_unpacked_with_a_parent_chain(service: Service) -> None:
    inner = make_zip({"deep.pdf": make_pdf(seed=1)}, compression=zipfile.ZIP_STORED)
    outer = make_zip({"top.png": make_png(), "inner.zip": inner})
    body = created(upload(service, ("outer.zip", outer)))
    assert body["errors"] == []
    by_name = files_by_name(service, body["importId"])
    assert set(by_name) == {"outer.zip", "top.png", "inner.zip", "deep.pdf"}
    assert by_name["outer.zip"]["parentFileId"] is None
    assert by_name["top.png"]["parentFileId"] == by_name["outer.zip"]["id"]
    assert by_name["inner.zip"]["parentFileId"] == by_name["outer.zip"]["id"]
    assert by_name["deep.pdf"]["parentFileId"] == by_name["inner.zip"]["id"]
    assert by_name["inner.zip"]["status"] == "processed"
    assert by_name["inner.zip"]["documents"] == []
    assert by_name["deep.pdf"]["status"] == "processed"
    assert len(by_name["deep.pdf"]["documents"]) == 1


def test_zip_in_zip_in_zip_rejects_the_innermost_container(service: Service) -> None:
    level3 = make_zip({"x.pdf": make_pdf(seed=1)})
    level2 = make_zip({"level3.zip": level3, "y.pdf": make_pdf(seed=2)})
    level1 = make_zip({"level2.zip": level2})
    body = created(upload(service, ("level1.zip", level1)))
    assert [(e["file"], e["code"]) for e in body["errors"]] == [("level3.zip", "zip_too_deep")]
    by_name = files_by_name(service, body["importId"])
    assert set(by_name) == {"level1.zip", "level2.zip", "level3.zip", "y.pdf"}
    assert by_name["level1.zip"]["status"] == by_name["level2.zip"]["status"] == "processed"
    assert by_name["level3.zip"]["status"] == "rejected"
    assert by_name["level3.zip"]["error"]["code"] == "zip_too_deep"
    assert by_name["level3.zip"]["parentFileId"] == by_name["level2.zip"]["id"]
    assert by_name["y.pdf"]["status"] == "processed"
    assert_tmp_empty(service)


# -- limits ----------------------------------------------------------------------------------


def test_zip_bomb_is_rejected_without_inflating_it(service: Service) -> None:
    """GIVEN a 50 KB zip whose one entry inflates to 50 MB of zeros (ratio ~1000)
    WHEN it is uploaded beside a PDF
    THEN the zip is rejected as a bomb, nothing of it is on disk, and the PDF is processed."""
    bomb = make_zip({"zeros.pdf": bytes(50 * 1024 * 1024)})
    assert len(bomb) < 100_000
    body = created(
        service.client.post(
            "/v1/ingest/uploads",
            files=[("files", ("bomb.zip", bomb, ZIP)), ("files", ("ok.pdf", make_pdf(), "application/pdf"))],
            headers=service.tenant.headers,
        )
    )
    assert [(e["file"], e["code"]) for e in body["errors"]] == [("bomb.zip", "zip_bomb")]
    by_name = files_by_name(service, body["importId"])
    assert set(by_name) == {"bomb.zip", "ok.pdf"}
    assert by_name["bomb.zip"]["status"] == "rejected"
    assert by_name["bomb.zip"]["error"]["code"] == "zip_bomb"
    assert by_name["ok.pdf"]["status"] == "processed"
    assert_tmp_empty(service)
    biggest = max(p.stat().st_size for p in service.settings.data_dir.rglob("*") if p.is_file())
    assert biggest < 10 * 1024 * 1024


def test_lone_zip_bomb_answers_400_and_creates_nothing(service: Service) -> None:
    """GIVEN a request whose only file is a zip bomb WHEN it is uploaded
    THEN the answer is 400 naming the zip, and no import was created."""
    bomb = make_zip({"zeros.pdf": bytes(50 * 1024 * 1024)})
    response = upload(service, ("lonely-bomb.zip", bomb))
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    problem = response.json()
    assert "lonely-bomb.zip" in problem["detail"]
    assert [(e["file"], e["code"]) for e in problem["errors"]] == [("lonely-bomb.zip", "zip_bomb")]
    assert get(service, "/v1/imports")["items"] == []
    assert_tmp_empty(service)
    blobs = service.settings.data_dir / "blobs"
    assert not [p for p in blobs.rglob("*") if p.is_file()], "a refused request left its blobs behind"


@pytest.mark.parametrize("settings_overrides", [{"zip_max_total_bytes": 150_000}])
def test_zip_size_budget_is_shared_by_the_zips_of_a_request(service: Service) -> None:
    """GIVEN a 150 KB budget WHEN two zips of 100 KB each come in one request
    THEN the first is unpacked and the second is refused: many zips cannot multiply the budget."""
    first = make_zip({"a.pdf": noise(100_000, 1)})
    second = make_zip({"b.pdf": noise(100_000, 2)})
    body = created(upload(service, ("one.zip", first), ("two.zip", second)))
    by_name = files_by_name(service, body["importId"])
    assert by_name["one.zip"]["status"] == "processed"
    assert by_name["two.zip"]["status"] == "rejected"
    assert by_name["two.zip"]["error"]["code"] == "zip_too_large"


@pytest.mark.parametrize("settings_overrides", [{"zip_max_entries": 50}])
def test_nested_zips_cannot_multiply_the_entry_limit(service: Service) -> None:
    """GIVEN at most 50 entries per request WHEN a zip holds 10 zips of 10 empty files each (110 entries)
    THEN unpacking stops at the budget: the zips past it are rejected zip_too_many_entries."""
    inner = {f"e{i}.pdf": b"" for i in range(10)}
    outer = make_zip({f"inner{i}.zip": make_zip({**inner, f"tag{i}.pdf": b""}) for i in range(10)})
    body = created(upload(service, ("outer.zip", outer)))
    codes = [e["code"] for e in body["errors"]]
    assert "zip_too_many_entries" in codes
    assert len(get(service, f"/v1/imports/{body['importId']}")["files"]) <= 1 + 50


def test_small_entries_are_not_exempt_from_the_ratio_check(service: Service) -> None:
    """GIVEN a zip of fifty 1 MiB files of zeros (ratio ~1000) WHEN uploaded THEN it is a zip bomb."""
    bomb = make_zip({f"z{i}.pdf": bytes(1024 * 1024) for i in range(50)})
    response = upload(service, ("many-small.zip", bomb), ("ok.zip", make_zip({"a.png": make_png()})))
    body = created(response)
    assert [(e["file"], e["code"]) for e in body["errors"]] == [("many-small.zip", "zip_bomb")]
    blobs = sum(p.stat().st_size for p in (service.settings.data_dir / "blobs").rglob("*") if p.is_file())
    assert blobs < 1024 * 1024


@pytest.mark.parametrize("settings_overrides", [{"zip_max_total_bytes": 100_000}])
def test_zip_expanding_beyond_zip_max_total_bytes_is_zip_too_large(service: Service) -> None:
    bundle = make_zip({"a.pdf": noise(60_000, 1), "b.pdf": noise(60_000, 2)})
    small = make_zip({"c.png": make_png()})
    body = created(upload(service, ("big.zip", bundle), ("small.zip", small)))
    assert [(e["file"], e["code"]) for e in body["errors"]] == [("big.zip", "zip_too_large")]
    assert "100000" in body["errors"][0]["message"]
    by_name = files_by_name(service, body["importId"])
    assert set(by_name) == {"big.zip", "small.zip", "c.png"}
    assert by_name["big.zip"]["status"] == "rejected"
    assert by_name["c.png"]["status"] == "processed"
    assert_tmp_empty(service)


@pytest.mark.parametrize("settings_overrides", [{"zip_max_entries": 3}])
def test_zip_with_more_entries_than_zip_max_entries_is_rejected(service: Service) -> None:
    bundle = make_zip({f"{i}.pdf": make_pdf(seed=i) for i in range(5)})
    within = make_zip({f"{i}.png": make_png(str(i)) for i in range(3)} | {"dir/": b""})
    body = created(upload(service, ("many.zip", bundle), ("three.zip", within)))
    assert [(e["file"], e["code"]) for e in body["errors"]] == [("many.zip", "zip_too_many_entries")]
    assert "3" in body["errors"][0]["message"]
    by_name = files_by_name(service, body["importId"])
    assert set(by_name) == {"many.zip", "three.zip", "0.png", "1.png", "2.png"}
    assert by_name["many.zip"]["status"] == "rejected"
    assert by_name["three.zip"]["status"] == "processed"


@pytest.mark.parametrize("settings_overrides", [{"max_file_bytes": 100_000}])
def test_zip_entry_larger_than_max_file_bytes_is_rejected_alone(service: Service) -> None:
    bundle = make_zip({"big.pdf": b"%PDF-1.4\n" + digits(150_000), "small.pdf": make_pdf()})
    assert len(bundle) < 100_000
    body = created(upload(service, ("mixed.zip", bundle)))
    assert [(e["file"], e["code"]) for e in body["errors"]] == [("big.pdf", "file_too_large")]
    by_name = files_by_name(service, body["importId"])
    assert by_name["mixed.zip"]["status"] == "processed"
    assert by_name["big.pdf"]["status"] == "rejected"
    assert by_name["small.pdf"]["status"] == "processed"
    assert_tmp_empty(service)


def test_zip_of_only_unsupported_files_is_accepted_with_rejected_children(service: Service) -> None:
    bundle = make_zip({"notes.txt": b"plain text", "data.bin": noise(500), "empty.pdf": b""})
    body = created(upload(service, ("junk.zip", bundle)))
    assert body["files"][0]["status"] == "processed"
    assert sorted(e["file"] for e in body["errors"]) == ["data.bin", "empty.pdf", "notes.txt"]
    codes = {e["file"]: e["code"] for e in body["errors"]}
    assert codes == {
        "notes.txt": "unsupported_type",
        "data.bin": "unsupported_type",
        "empty.pdf": "empty_file",
    }
    by_name = files_by_name(service, body["importId"])
    assert by_name["junk.zip"]["status"] == "processed"
    for name in ("notes.txt", "data.bin", "empty.pdf"):
        assert by_name[name]["status"] == "rejected"
        assert by_name[name]["parentFileId"] == by_name["junk.zip"]["id"]


def test_encrypted_zip_entry_is_rejected_and_siblings_go_on(service: Service) -> None:
    bundle = raw_zip([("secret.pdf", make_pdf(seed=1)), ("open.pdf", make_pdf(seed=2))])
    # Set the "encrypted" flag of secret.pdf in the central directory (Python cannot write one).
    central = bundle.index(b"PK\x01\x02")
    assert bundle[central + 46 : central + 46 + 10] == b"secret.pdf"
    flags = int.from_bytes(bundle[central + 8 : central + 10], "little") | 0x1
    bundle = bundle[: central + 8] + flags.to_bytes(2, "little") + bundle[central + 10 :]
    body = created(upload(service, ("locked.zip", bundle)))
    assert [(e["file"], e["code"]) for e in body["errors"]] == [("secret.pdf", "encrypted")]
    by_name = files_by_name(service, body["importId"])
    assert by_name["open.pdf"]["status"] == "processed"


def test_corrupt_zip_is_rejected_zip_invalid(service: Service) -> None:
    corrupt = b"PK\x03\x04" + b"\x14\x00junk, not a zip at all" * 20
    response = upload(service, ("broken.zip", corrupt))
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    problem = response.json()
    assert "broken.zip" in problem["detail"]
    assert [(e["file"], e["code"]) for e in problem["errors"]] == [("broken.zip", "zip_invalid")]

    body = created(
        service.client.post(
            "/v1/ingest/uploads",
            files=[("files", ("broken.zip", corrupt, ZIP)), ("files", ("ok.png", make_png(), "image/png"))],
            headers=service.tenant.headers,
        )
    )
    assert [(e["file"], e["code"]) for e in body["errors"]] == [("broken.zip", "zip_invalid")]
    by_name = files_by_name(service, body["importId"])
    assert by_name["broken.zip"]["status"] == "rejected"
    assert by_name["broken.zip"]["error"]["code"] == "zip_invalid"
    assert by_name["ok.png"]["status"] == "processed"
    # A corrupt zip inside a good zip is rejected the same way.
    nested = created(upload(service, ("outer.zip", make_zip({"broken.zip": corrupt, "a.pdf": make_pdf()}))))
    assert [(e["file"], e["code"]) for e in nested["errors"]] == [("broken.zip", "zip_invalid")]
    assert_tmp_empty(service)
