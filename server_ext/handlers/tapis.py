"""REST handler for Tapis's webhook: POST /tapis/webhook/{machine}/{job_id}/{token}.

Tapis cannot send the Jupyter token, so this one endpoint takes no Jupyter credentials:
the URL's token (an HMAC of the machine and job id, made by the Tapis backend with a key
only this server has) is the proof. The notification's body is not trusted or even
read: a valid call only makes the backend look at the job on Tapis now instead of at
its next poll. Everything else answers a bare 404, so the endpoint tells a prober nothing.
"""

from __future__ import annotations

from jupyter_server.auth.decorator import allow_unauthenticated

from jetlag.runtime.jobs.states import is_job_id
from jetlag.server_ext.handlers.base import ApiError, JetLagHandler
from jetlag.server_ext.handlers.traces import check_known


class TapisWebhookHandler(JetLagHandler):
    """POST: Tapis says a job has a new status (204), or 404 for any wrong part."""

    def check_xsrf_cookie(self) -> None:
        """No cookie authenticates this endpoint, so there is no XSRF to check."""

    @allow_unauthenticated
    async def post(self, machine: str, job_id: str, token: str) -> None:
        """Nudge the machine's backend to look at the job now."""
        check_known(self.query(), ())
        backend = self.services.jobs.backends.get(machine)
        notified = getattr(backend, "notified", None)
        ok = notified is not None and is_job_id(job_id) and len(token) <= 200
        if ok:
            ok = await self.blocking(notified, job_id, token)
        if not ok:
            raise ApiError(404, "no such webhook", "token")
        self.set_status(204)
        await self.finish()
