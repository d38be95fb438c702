"""Placeholder: filled by the casting primitives family."""
