"""Every response carries the Content-Security-Policy and the Permissions-Policy."""

from __future__ import annotations

import pytest

from newsarchive.middleware import ADMIN_CSP, PERMISSIONS_POLICY, SITE_CSP

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/search/?q=x",
        "/api/search?q=x",
        "/search/feed/",
        "/feeds/latest/",
        "/healthz",
        "/no-such-page/",
        "/api/nothing",
        "/search/export.csv?q=x",
    ],
)
def test_public_responses_allow_no_script_and_no_inline_style(client, path):
    response = client.get(path)
    if response.streaming:
        b"".join(response.streaming_content)
    assert response["Content-Security-Policy"] == SITE_CSP
    assert "script-src" not in SITE_CSP and "unsafe-inline" not in SITE_CSP
    assert response["Permissions-Policy"] == PERMISSIONS_POLICY


def test_only_the_admin_gets_its_allowances(client, settings):
    for path in ("/admin/", "/admin/login/"):
        assert client.get(path)["Content-Security-Policy"] == ADMIN_CSP
    # The admin's prefix, not a look-alike public path.
    assert client.get("/administration/")["Content-Security-Policy"] == SITE_CSP
