"""Measurement: task events and where they are collected.

`events` records one event per task (GUID, parent GUID, worker, start/end ns). The trace
model and its writers build on these records.
"""
