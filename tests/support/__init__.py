"""Test helpers shared across the suite (real processes, shared files, contract checks)."""
