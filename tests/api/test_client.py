"""The Python client, driven against the real app (the TestClient is an httpx.Client)."""

from __future__ import annotations

from pathlib import Path

import pytest

from docintake.client import DocintakeAPIError, DocintakeClient
from tests.conftest import Service, make_pdf, make_png, make_zip


@pytest.fixture
def client(service: Service) -> DocintakeClient:
    service.client.headers.update(service.tenant.headers)
    return DocintakeClient(http=service.client)


def test_upload_paths_and_pairs_then_wait_and_read_back(client: DocintakeClient, tmp_path: Path) -> None:
    pdf = tmp_path / "Rechnung Müller.pdf"
    pdf.write_bytes(make_pdf(2))
    bundle = make_zip({"x.png": make_png("X")})
    answer = client.upload(pdf, ("bundle.zip", bundle), type="invoice", info={"ref": "C-17"})
    assert [f.filename for f in answer.files] == ["Rechnung Müller.pdf", "bundle.zip", "x.png"]

    final = client.wait_for_import(answer.import_id, timeout=10)
    assert final.status == "completed"
    assert final.counts["processed"] == 3
    assert final.info == {"ref": "C-17"}
    assert final.options.type == "invoice"

    first = answer.files[0]
    assert client.file_content(first.id) == pdf.read_bytes()
    assert client.get_file(first.id).pages == 2
    assert first.document_id is not None
    assert client.get_document(first.document_id).status == "processed"
    assert [d.id for d in client.list_documents(import_id=answer.import_id).items]
    assert client.reprocess_file(first.id).documents[0].id == first.document_id


def test_errors_carry_problem_details(client: DocintakeClient) -> None:
    with pytest.raises(DocintakeAPIError) as caught:
        client.upload(("notes.txt", b"just text"))
    assert caught.value.status == 400
    assert caught.value.problem.errors[0].file == "notes.txt"
    with pytest.raises(DocintakeAPIError) as missing:
        client.get_import("01a20011-0000-7000-8000-000000000000")
    assert missing.value.problem.code == "not_found"


def test_batches_sets_paging_and_idempotency(client: DocintakeClient) -> None:
    created = client.batch(("a.pdf", make_pdf()), create_new_set=True, set_name="March", invoice_type="b2b")
    assert created.batch_id == created.import_id and created.set_reference_number
    late = make_pdf(seed=3)  # generated once: pdfium writes a random document /ID
    again = client.batch(
        ("b.pdf", late), set_reference_number=created.set_reference_number, idempotency_key="k-1"
    )
    replay = client.batch(
        ("b.pdf", late), set_reference_number=created.set_reference_number, idempotency_key="k-1"
    )
    assert replay == again
    assert [i.id for i in client.iter_imports(page_size=1)] == [again.import_id, created.import_id]
