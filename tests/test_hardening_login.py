"""The admin's log-in is throttled: after too many wrong passwords even the right one is
refused, the lockout is shown, and an operator command unlocks it."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.urls import reverse

from tests.factories import make_staff, make_superuser

pytestmark = pytest.mark.django_db

LOGIN = reverse("admin:login")
ATTACKER = "192.0.2.66"
CURATOR_DESK = "192.0.2.10"


def log_in(client, username: str, password: str, ip: str):
    return client.post(
        LOGIN, {"username": username, "password": password, "next": "/admin/"}, REMOTE_ADDR=ip
    )


def logged_in(client) -> bool:
    return client.get("/admin/").status_code == 200


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    # Each wrong password costs one full PBKDF2 run until the lockout; keep the test quick.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def curator():
    user = make_staff("curator", password="the-right-password")
    user.password = make_password("the-right-password")
    user.save()
    return user


def test_300_wrong_passwords_then_the_right_one_is_refused(client, curator):
    for n in range(300):
        response = log_in(client, "curator", f"guess-{n}", ATTACKER)
        assert response.status_code in (200, 429)
    response = log_in(client, "curator", "the-right-password", ATTACKER)
    assert response.status_code == 429
    html = response.content.decode()
    assert "Log-in locked" in html
    assert "Too many failed log-ins for “curator”" in html
    assert "10 allowed" in html
    assert not logged_in(client)


def test_the_lockout_starts_at_the_limit_and_covers_the_user_name_from_anywhere(client, curator):
    for n in range(9):
        assert log_in(client, "curator", f"guess-{n}", ATTACKER).status_code == 200
    assert log_in(client, "curator", "guess-9", ATTACKER).status_code == 429
    # The same account from the curator's own desk: locked too (the attack was on it).
    assert log_in(client, "curator", "the-right-password", CURATOR_DESK).status_code == 429
    # Another account from another address logs in as usual.
    make_staff("editor2", password="other-password")
    assert log_in(client, "editor2", "other-password", CURATOR_DESK).status_code == 302
    assert logged_in(client)


def test_an_operator_command_unlocks_the_account(client, curator):
    for n in range(12):
        log_in(client, "curator", f"guess-{n}", ATTACKER)
    assert log_in(client, "curator", "the-right-password", CURATOR_DESK).status_code == 429
    out = io.StringIO()
    call_command("axes_reset_username", "curator", stdout=out)
    assert "attempts removed" in out.getvalue()
    assert log_in(client, "curator", "the-right-password", CURATOR_DESK).status_code == 302
    assert logged_in(client)


def test_an_address_that_tried_many_accounts_is_locked_until_an_operator_unlocks_it(client):
    make_staff("editor2", password="other-password")
    for n in range(10):
        log_in(client, f"user{n}", "guess", ATTACKER)
    assert log_in(client, "editor2", "other-password", ATTACKER).status_code == 429
    call_command("axes_reset_ip", ATTACKER, stdout=io.StringIO())
    assert log_in(client, "editor2", "other-password", ATTACKER).status_code == 302


def test_superusers_see_the_failed_attempts_in_the_admin(client, curator):
    for n in range(3):
        log_in(client, "curator", f"guess-{n}", ATTACKER)
    client.force_login(make_superuser())
    html = client.get("/admin/axes/accessattempt/").content.decode()
    assert "curator" in html
    assert ATTACKER in html
