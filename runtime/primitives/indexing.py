"""Placeholder: filled by the indexing primitives family."""
