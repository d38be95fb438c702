"""Placeholder: filled by the linalg primitives family."""
