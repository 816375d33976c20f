"""The access token and source keys never show their value by accident."""

from __future__ import annotations

import logging
import pickle

import pytest

from pinbridge.secrets import Secret

TOKEN = "pina_SECRET_VALUE_123"


def test_secret_is_masked_in_repr_str_and_format() -> None:
    secret = Secret(TOKEN)
    for shown in (repr(secret), str(secret), f"{secret}", f"{secret!r}", format(secret, ">20")):
        assert TOKEN not in shown
        assert "***" in shown


def test_secret_is_masked_inside_containers_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    secret = Secret(TOKEN)
    with caplog.at_level(logging.INFO):
        logging.getLogger("test").info("settings: %s", {"token": secret, "keys": (secret,)})
    assert TOKEN not in caplog.text
    assert TOKEN not in repr([secret])


def test_reveal_and_constant_time_match() -> None:
    secret = Secret(TOKEN)
    assert secret.reveal() == TOKEN
    assert secret.matches(TOKEN)
    assert not secret.matches(TOKEN + "x")
    assert not secret.matches("")
    assert Secret(TOKEN) == secret
    assert Secret("other") != secret


def test_secret_refuses_pickling() -> None:
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(Secret(TOKEN))
