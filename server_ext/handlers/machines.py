"""REST handlers for /jetlag/api/machines: where jobs can run (`local` always exists)."""

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
        """The machines, `local` first."""
        check_known(self.query(), ())
        machines = await self.blocking(self.services.jobs.machines)
        self.reply({"machines": machines})


class MachineHandler(JetLagHandler):
    """GET /machines/{machine}: one machine; 404 naming the known ones when unknown."""

    @web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        """One machine."""
        check_known(self.query(), ())
        machines = await self.blocking(self.services.jobs.machines)
        for machine in machines:
            if machine["id"] == name:
                self.reply(machine)
                return
        known = ", ".join(m["id"] for m in machines)
        raise ApiError(404, f"no machine {name!r}; the machines are: {known}", "machine")
