"""Tests of the mapping core, its configuration and ``pinbridge transform``."""
