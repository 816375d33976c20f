"""Arguments and helpers shared by several subcommands."""

from __future__ import annotations

import argparse
import os

from pinbridge.config import Settings, load_settings

__all__ = ["ENV_CONFIG", "add_config_argument", "settings_from_args"]

ENV_CONFIG = "PINBRIDGE_CONFIG"


def add_config_argument(parser: argparse.ArgumentParser) -> None:
    """``--config FILE``, defaulting to ``$PINBRIDGE_CONFIG`` (no file: all defaults)."""
    parser.add_argument(
        "--config",
        metavar="FILE",
        default=os.environ.get(ENV_CONFIG) or None,
        help=f"TOML configuration file (default: ${ENV_CONFIG}, else built-in defaults)",
    )


def settings_from_args(args: argparse.Namespace) -> Settings:
    """Load the settings named by ``--config``; raises ConfigError with the fix."""
    return load_settings(args.config)
