"""Arguments and helpers shared by several subcommands."""

from __future__ import annotations

import argparse
import os
import re
from datetime import UTC, datetime

from pinbridge.config import ENV_ACCESS_TOKEN, ENV_AD_ACCOUNT_ID, Settings, load_settings
from pinbridge.errors import ConfigError
from pinbridge.secrets import Secret

__all__ = [
    "ENV_CONFIG",
    "add_config_argument",
    "add_destination_argument",
    "add_received_at_argument",
    "require_credentials",
    "require_destination_credentials",
    "settings_from_args",
]

ENV_CONFIG = "PINBRIDGE_CONFIG"
_SECONDS = re.compile(r"\d{1,11}")
_RECEIVED_AT_FORMS = (
    "Unix seconds (such as 1795860000) or an ISO 8601 date-time (such as "
    "2026-11-28T10:00:00Z; no offset means UTC)"
)


def add_config_argument(parser: argparse.ArgumentParser) -> None:
    """``--config FILE``, defaulting to ``$PINBRIDGE_CONFIG`` (no file: all defaults)."""
    parser.add_argument(
        "--config",
        metavar="FILE",
        default=os.environ.get(ENV_CONFIG) or None,
        help=f"TOML configuration file (default: ${ENV_CONFIG}, else built-in defaults)",
    )


def add_received_at_argument(parser: argparse.ArgumentParser, help_text: str) -> None:
    """``--received-at TIME``: the receive time every event is mapped with."""
    parser.add_argument(
        "--received-at",
        type=received_at,
        metavar="TIME",
        help=f"{help_text}; {_RECEIVED_AT_FORMS}",
    )


def received_at(text: str) -> int:
    """Unix seconds from ``1795860000`` or ``2026-11-28T10:00:00Z`` (an argparse type)."""
    value = text.strip()
    if _SECONDS.fullmatch(value):
        return int(value)
    try:
        moment = datetime.fromisoformat(value) if value[:4].isdigit() else None
    except ValueError:
        moment = None
    if moment is None:
        hint = " (milliseconds? divide by 1000)" if value.isdigit() else ""
        raise argparse.ArgumentTypeError(f"expected {_RECEIVED_AT_FORMS}, not {text!r}{hint}")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    seconds = int(moment.timestamp())
    if seconds < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is before 1970; give {_RECEIVED_AT_FORMS}")
    return seconds


def add_destination_argument(parser: argparse.ArgumentParser, what: str) -> None:
    """``--destination NAME`` (default ``default``): whose tables (and account) to use."""
    parser.add_argument(
        "--destination",
        metavar="NAME",
        default="default",
        help=f"{what} (a [destinations.NAME] of the config; default: default, the top-level "
        "sections)",
    )


def settings_from_args(args: argparse.Namespace) -> Settings:
    """Load the settings named by ``--config``; raises ConfigError with the fix."""
    return load_settings(args.config)


def require_destination_credentials(settings: Settings, command: str) -> None:
    """Every configured destination has its ad account id and token, or a ConfigError
    naming the first one that does not and where its token is read from."""
    for name, destination in settings.destinations.items():
        if name == "default":
            require_credentials(settings, command)
        elif destination.pinterest.access_token is None:
            raise ConfigError(
                f"{command} needs an access token for destination {name!r}: "
                f"set {destination.token_source}"
            )


def require_credentials(
    settings: Settings,
    command: str,
    hint: str = "",
    *,
    grouped: bool = False,
    destination: str = "default",
) -> Secret:
    """The access token of ``destination``, once both its Pinterest credentials are set.

    Otherwise a ConfigError ``"<command> needs ..."`` naming each missing setting with its
    config key and environment variable, then ``hint``. ``grouped`` lists the settings
    together (``pinbridge send``'s wording) rather than one by one (``pinbridge serve``'s).
    """
    if destination != "default":
        chosen = settings.destination(destination)
        if chosen.pinterest.access_token is None:
            raise ConfigError(
                f"{command} needs an access token for destination {destination!r}: "
                f"set {chosen.token_source}{hint}"
            )
        return chosen.pinterest.access_token
    pinterest = settings.pinterest
    token = pinterest.access_token
    missing = [
        (key, env, article)
        for key, env, article, value in (
            ("ad_account_id", ENV_AD_ACCOUNT_ID, "an ad account id", pinterest.ad_account_id),
            ("access_token", ENV_ACCESS_TOKEN, "an access token", token),
        )
        if not value
    ]
    if not missing and token is not None:
        return token
    if grouped:
        keys = " and ".join(key for key, _, _ in missing)
        envs = " and ".join(env for _, env, _ in missing)
        plural = "s" if len(missing) > 1 else ""
        needs = (
            f"the Pinterest {keys}: set {keys} in the [pinterest] section of the config file "
            f"(--config), or the environment variable{plural} {envs}"
        )
    else:
        needs = " and ".join(
            f"{article} ([pinterest] {key} in the config file, or the environment variable {env})"
            for key, env, article in missing
        )
    raise ConfigError(f"{command} needs {needs}{hint}")
