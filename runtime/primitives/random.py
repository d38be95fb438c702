"""Placeholder: filled by the random primitives family."""
