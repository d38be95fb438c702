"""The PhySL Jupyter kernel (import name `jetlag.kernel`).

It compiles notebook cells through the runtime's public API; it is built in the kernel
issue. It must not reach into runtime internals.
"""
