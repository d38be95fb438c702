"""Placeholder: filled by the io primitives family."""
