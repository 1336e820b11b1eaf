from __future__ import annotations

import os

import pytest

from escalada.errors import EscaladaError
from escalada.policy.model import SecretRef
from escalada.secrets import MAX_SECRET_BYTES
from escalada.secrets import redact_url
from escalada.secrets import resolve


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
