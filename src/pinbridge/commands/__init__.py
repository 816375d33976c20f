"""One module per ``pinbridge`` subcommand; see :mod:`pinbridge.cli`."""
