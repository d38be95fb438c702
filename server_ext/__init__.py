"""The jupyter-server extension (import name `jetlag.server_ext`): jobs, traces, REST API.

Built in the jobs/traces issues; it uses the runtime's public API only.
"""
