"""Test-only code: literal re-implementations of the authors' model and preprocessing used as parity
oracles, and generators of small raw files in the exact formats."""
