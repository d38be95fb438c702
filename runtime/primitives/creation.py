"""Placeholder: filled by the creation primitives family."""
