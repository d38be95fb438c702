"""Placeholder: filled by the products primitives family."""
