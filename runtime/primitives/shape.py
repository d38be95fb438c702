"""Placeholder: filled by the shape primitives family."""
