"""Loading the extension into a jupyter-server: services, settings and routes.

`JetLagExtension` opens the trace store and the job service when the server starts (the
job service re-attaches to jobs a previous server left running and starts watching
them), puts them in the web app's settings for the handlers, registers the routes under
<base_url>jetlag/api/, and stops the job monitor and the worker pool on shutdown.
Configurable like any Jupyter app: `--JetLagExtension.max_upload_bytes=...`.
"""

from __future__ import annotations

from jupyter_server.extension.application import ExtensionApp
from traitlets import Dict, Integer, Unicode

from jetlag.server_ext.handlers import routes
from jetlag.server_ext.services import Services


class JetLagExtension(ExtensionApp):
    """The JetLag server extension (REST /jetlag/api/: machines, jobs, traces)."""

    name = "jetlag"
    description = "JetLag: jobs, the trace store and Traveler-style trace queries over REST"
    load_other_extensions = True

    store = Unicode(
        "",
        config=True,
        help="The store's root directory (default: $JETLAG_STORE, else <Jupyter data dir>/jetlag).",
    )
    max_upload_bytes = Integer(
        512 * 2**20,
        config=True,
        help="Largest trace upload (POST /jetlag/api/traces) in bytes; larger answers 413.",
    )
    max_job_bytes = Integer(
        256 * 2**20,
        config=True,
        help="Largest job submission (POST /jetlag/api/jobs, arguments included) in bytes.",
    )
    query_cache = Integer(8, config=True, help="Traces whose query indices stay in memory (LRU).")
    machines = Dict(
        {},
        config=True,
        help="Machines jobs can run on, by id, each a dict like a table of the machines file "
        "(backend, host, user, partition, cores_per_node, ...); these win over the file's.",
    )
    machines_file = Unicode(
        "",
        config=True,
        help="The machines file (TOML; default: $JETLAG_MACHINES, else jetlag_machines.toml "
        "in the Jupyter config directory).",
    )
    notifications = Dict(
        {},
        config=True,
        help="Job notifications: smtp_host, smtp_port, smtp_sender, smtp_username, "
        "smtp_password, smtp_starttls, smtp_ssl, max_attempts, backoff_s, max_backoff_s, "
        "timeout_s (default: $JETLAG_SMTP_HOST etc.; without SMTP, e-mail is refused).",
    )
    workers = Integer(
        4, config=True, help="Threads running blocking work (queries, imports, submissions)."
    )

    def initialize_settings(self) -> None:
        """Open the store and the job service; re-attach to running jobs."""
        services = Services.create(
            self.store or None,
            cache_size=self.query_cache,
            workers=self.workers,
            machines=dict(self.machines),
            machines_file=self.machines_file or None,
            notifications=dict(self.notifications),
        )
        self.services = services
        self.settings.update(
            {
                "jetlag_services": services,
                "jetlag_max_upload_bytes": self.max_upload_bytes,
                "jetlag_max_job_bytes": self.max_job_bytes,
            }
        )
        self.log.info("JetLag: trace and job store at %s", services.store.root)

    def initialize_handlers(self) -> None:
        """Every route under /jetlag/api/ (the base URL is prepended by ExtensionApp)."""
        self.handlers.extend(routes("/"))

    async def stop_extension(self) -> None:
        """Stop watching jobs and the worker pool (running jobs keep running)."""
        services = getattr(self, "services", None)
        if services is not None:
            services.close()
