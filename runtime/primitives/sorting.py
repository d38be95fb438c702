"""Placeholder: filled by the sorting primitives family."""
