"""Placeholder: filled by the reductions primitives family."""
