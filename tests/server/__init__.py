"""Tests of ``pinbridge serve``: real server processes on loopback, real SQLite files."""
