"""The trace and job store shared by the kernel, the server extension and the CLI.

One SQLite index (WAL) under the Jupyter data directory plus a folder per trace holding
its events as memory-mappable NumPy columns. No Jupyter import, no pickle.
"""
