"""Tests of ``pinbridge send``: readers, checkpoint, failed-events file, the run, the CLI."""
