from __future__ import annotations

import os

import pytest

from escalada.errors import EscaladaError
from escalada.policy.model import SecretRef
from escalada.secrets import MAX_SECRET_BYTES
from escalada.secrets import redact_url
from escalada.secrets import resolve
from escalada.secrets import shown_url
from escalada.secrets import url_credentials


def test_env_secret_is_read_and_redacted_in_repr():
    value = resolve(SecretRef("env", "TOKEN"), environ={"TOKEN": " abc123\n"})
    assert value == "abc123"
    assert "abc123" not in repr(value)


def test_missing_env_names_the_variable():
    with pytest.raises(EscaladaError, match="environment variable JIRA_API_TOKEN is not set"):
        resolve(SecretRef("env", "JIRA_API_TOKEN"), environ={})


def test_file_secret(tmp_path):
    path = tmp_path / "token"
    path.write_text("from-file\n")
    assert resolve(SecretRef("file", str(path))) == "from-file"


def test_missing_or_empty_file_is_one_clear_error(tmp_path):
    with pytest.raises(EscaladaError, match="cannot read secret file"):
        resolve(SecretRef("file", str(tmp_path / "nope")))
    (tmp_path / "empty").write_text("\n")
    with pytest.raises(EscaladaError, match="is empty"):
        resolve(SecretRef("file", str(tmp_path / "empty")))


def test_redact_url_keeps_only_the_host():
    assert redact_url("https://hooks.slack.com/services/T0/B0/XYZ") == "https://hooks.slack.com/***"


def test_special_and_oversized_files_are_refused_without_hanging(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    big = tmp_path / "big"
    big.write_bytes(b"x" * (MAX_SECRET_BYTES + 1))
    for path, why in [
        (fifo, "not a regular file"),
        ("/dev/zero", "not a regular file"),
        (big, "larger than the 64 KiB limit"),
    ]:
        with pytest.raises(EscaladaError, match=why):
            resolve(SecretRef("file", str(path)))


@pytest.mark.parametrize(
    ("url", "found"),
    [
        ("https://acme.atlassian.net", []),
        ("https://acme.service-now.com:8443/", []),
        ("https://u:pw@acme.atlassian.net", ["a user name and password before the host"]),
        (
            "https://tok@acme.zendesk.com",
            ["a user part before the host (a token written as a user name)"],
        ),
        ("https://h.example/x?token=1&page=2", ["the query parameter token"]),
        (
            "https://h.example/x?api_key=1&apikey=2",
            ["the query parameter api_key", "the query parameter apikey"],
        ),
        ("https://h.example/x?sv=2024&sig=abc%3D", ["the query parameter sig"]),
        ("https://h.example/api/f?code=abc", ["the query parameter code"]),
        ("https://h.example/x?Access_Token=1", ["the query parameter Access_Token"]),
        ("https://h.example/x?view=all", []),
    ],
)
def test_credentials_in_a_url_are_named_without_their_values(url: str, found: list[str]):
    assert url_credentials(url) == found


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://u:pw@acme.atlassian.net", "https://acme.atlassian.net"),
        ("http://acme.zendesk.com:8080/?token=s3cr3t", "http://acme.zendesk.com:8080/..."),
        ("https://h.example/", "https://h.example"),
        ("https://h.example:x/", "https://h.example:?"),
        ("acme.zendesk.com", "not a URL"),
    ],
)
def test_a_url_is_shown_without_its_user_part_path_or_query(url: str, shown: str):
    assert shown_url(url) == shown
