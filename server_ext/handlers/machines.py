"""REST handlers for /jetlag/api/machines: where jobs can run (`local` always exists).

Machines come from the machines file and the server's `JetLagExtension.machines`; each is
listed with whether it can take jobs now and why not, never with its secret settings.
"""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from jetlag.server_ext.handlers.base import ApiError, JetLagHandler
from jetlag.server_ext.handlers.traces import check_known


class MachinesHandler(JetLagHandler):
    """GET /machines: every configured machine (no secrets)."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        """The machines, `local` first, and errors that kept a machines file out."""
        check_known(self.query(), ())
        jobs = self.services.jobs
        machines = await self.blocking(jobs.machines)
        self.reply({"machines": machines, "errors": list(jobs.machine_errors)})


class MachineHandler(JetLagHandler):
    """GET /machines/{machine}: one machine; 404 naming the known ones when unknown."""

    @web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        """One machine."""
        check_known(self.query(), ())
        jobs = self.services.jobs
        if name not in jobs.configs:
            known = ", ".join(jobs.configs)
            raise ApiError(404, f"no machine {name!r}; the machines are: {known}", "machine")
        self.reply(await self.blocking(jobs.machine_json, name))
