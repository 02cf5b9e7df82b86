from fastapi.testclient import TestClient
from docintake.services.resources import Resources
def test_probe(service, monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("secret-detail")
    monkeypatch.setattr(Resources, "list_imports", boom)
    c = TestClient(service.client.app, raise_server_exceptions=False)
    r = c.get("/v1/imports", headers={**service.tenant.headers, "x-request-id": "abc-123"})
    print(r.status_code, r.headers, r.text)
    r = c.get("/v1/imports", headers={**service.tenant.headers, "x-request-id": "bad id"})
    print(r.status_code, r.headers, r.text)
