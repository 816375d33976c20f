"""Tests of ``pinbridge simulate`` (the local Pinterest Conversions API stand-in)."""
