"""Configuration rules about access: tokens, sender and admin keys, and host names.

A destination's token is given inline, by the name of an environment variable, or by a
file (the way container secrets are mounted); :func:`resolve_token` reads it and says, in
plain words, where it came from. :func:`check_keys` enforces a minimum length and that no
key is used twice; :func:`allowed_hosts` checks ``[server] allowed_hosts``. Messages name
the configuration key and never show a token or key.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from pinbridge.errors import ConfigError
from pinbridge.secrets import Secret

__all__ = [
    "MIN_KEY_LENGTH",
    "ResolvedToken",
    "TokenSpec",
    "allowed_hosts",
    "check_keys",
    "resolve_token",
]

MIN_KEY_LENGTH = 16
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_HOST_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")


@dataclass(frozen=True)
class TokenSpec:
    """The three ways a destination may give its token, as written in its table."""

    access_token: Secret | None = None
    access_token_env: str | None = None
    access_token_file: str | None = None


@dataclass(frozen=True)
class ResolvedToken:
    """The token (``None`` when not given, or its variable is unset) and where it is read."""

    token: Secret | None
    source: str


def resolve_token(prefix: str, spec: TokenSpec, env: Mapping[str, str]) -> ResolvedToken:
    """Read the token that ``spec`` points at; ``prefix`` is the table's dotted key.

    Raises :class:`ConfigError` when more than one way is given, when the variable name is
    not one, or when the file cannot be read or holds no token.
    """
    given = [
        key
        for key, value in (
            ("access_token", spec.access_token),
            ("access_token_env", spec.access_token_env),
            ("access_token_file", spec.access_token_file),
        )
        if value is not None
    ]
    if len(given) > 1:
        raise ConfigError(
            f"{prefix}.{given[0]} and {prefix}.{given[1]} are both set; "
            "give the access token one way only"
        )
    if spec.access_token is not None:
        return ResolvedToken(spec.access_token, f"{prefix}.access_token")
    if spec.access_token_env is not None:
        return _from_env(f"{prefix}.access_token_env", spec.access_token_env, env)
    if spec.access_token_file is not None:
        return _from_file(f"{prefix}.access_token_file", spec.access_token_file)
    return ResolvedToken(
        None, f"{prefix}.access_token, access_token_env or access_token_file (none is set)"
    )


def _from_env(where: str, name: str, env: Mapping[str, str]) -> ResolvedToken:
    if not _ENV_NAME.fullmatch(name):
        # The value is not echoed: a token pasted here by mistake must not reach a log.
        raise ConfigError(
            f"{where} must be the name of an environment variable (letters, digits and '_', "
            'not starting with a digit), such as "PINBRIDGE_FR_TOKEN"'
        )
    value = env.get(name)
    if value is None:
        return ResolvedToken(None, f"{where} ({name}, which is not set)")
    if not value.strip():
        return ResolvedToken(None, f"{where} ({name}, which is empty)")
    return ResolvedToken(Secret(value.strip()), f"{where} ({name})")


def _from_file(where: str, path: str) -> ResolvedToken:
    if not path.strip():
        raise ConfigError(f'{where} must be the path of a file, such as "/run/secrets/fr_token"')
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{where}: cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{where}: {path} is not UTF-8 text; it must hold the token") from None
    token = text.strip()
    if not token:
        raise ConfigError(f"{where}: {path} is empty; it must hold the access token")
    if any(c.isspace() for c in token):
        raise ConfigError(
            f"{where}: {path} holds more than one word; it must hold only the access token"
        )
    return ResolvedToken(Secret(token), f"{where} ({path})")


def check_keys(keys: Iterable[tuple[str, Secret]]) -> None:
    """Every key (``(place, key)``, in file order) is long enough and used once.

    ``place`` names the key's position, such as ``[server] admin_keys[1]``.
    """
    seen: dict[str, str] = {}
    for place, key in keys:
        value = key.reveal()
        if len(value) < MIN_KEY_LENGTH:
            raise ConfigError(
                f"{place} is {len(value)} characters long; keys must be at least "
                f"{MIN_KEY_LENGTH} characters (a random string such as the output of "
                "`openssl rand -hex 24`)"
            )
        first = seen.setdefault(value, place)
        if first != place:
            raise ConfigError(
                f"{place} is the same key as {first}; every sender and admin key must be "
                "different, and a sender key belongs to exactly one destination"
            )


def allowed_hosts(hosts: tuple[str, ...]) -> tuple[str, ...]:
    """``[server] allowed_hosts``, each checked and lower-cased; ConfigError naming a bad one."""
    return tuple(_host(f"[server] allowed_hosts[{i}]", host) for i, host in enumerate(hosts))


def _host(where: str, text: str) -> str:
    """A bare host name or IP address, lower-cased (IPv6 without brackets)."""
    host = text.strip().lower()
    bracketed = host.startswith("[") and host.endswith("]")
    try:
        return str(ipaddress.ip_address(host[1:-1] if bracketed else host))
    except ValueError:
        pass
    labels = host.split(".")
    if (
        len(host) <= 253
        and all(_HOST_LABEL.fullmatch(label) for label in labels)
        and not labels[-1].isdigit()
    ):
        return host
    if "://" in host:
        problem = "has a scheme"
    elif "/" in host:
        problem = "has a path"
    elif ":" in host:
        problem = "has a port"
    else:
        problem = "is not a host name or IP address"
    raise ConfigError(
        f"{where} {text!r} {problem}; write only the host name or IP address (no scheme, port "
        'or path), such as "pinbridge.example.com" or "10.0.0.5"'
    )
