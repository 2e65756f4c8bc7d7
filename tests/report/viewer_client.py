"""A test client of the viewer that came in the way a user does: through the address the CLI prints."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from workgym.report.viewer import viewer_address

BASE = "http://127.0.0.1"
"""The test client's origin: the viewer answers only to the address it was made for."""


def signed_in(app: FastAPI) -> TestClient:
    """A client that opened :func:`viewer_address` and so holds the token's cookie."""
    client = TestClient(app, base_url=BASE)
    opened = client.get(viewer_address(app, BASE))
    assert opened.status_code == 200 and opened.history and opened.history[0].status_code == 303
    return client
