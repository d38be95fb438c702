"""Placeholder: filled by the elementwise primitives family."""
