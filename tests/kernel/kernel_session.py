"""Driving a real physl kernel from tests: start it, run cells, read what they produced."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from jupyter_client.manager import KernelManager, start_new_kernel

KERNEL_NAME = "physl"
TRACE_MIME = "application/vnd.jetlag.trace+json"


@dataclass
class Outcome:
    """What one execute request produced."""

    reply: dict[str, Any]
    messages: list[dict[str, Any]] = field(default_factory=list)

    @property
    def status(self) -> str:
        return self.reply["content"]["status"]

    @property
    def count(self) -> int:
        return self.reply["content"]["execution_count"]

    def stream(self, name: str) -> str:
        return "".join(
            m["content"]["text"]
            for m in self.messages
            if m["msg_type"] == "stream" and m["content"]["name"] == name
        )

    @property
    def stdout(self) -> str:
        return self.stream("stdout")

    @property
    def stderr(self) -> str:
        return self.stream("stderr")

    @property
    def results(self) -> list[str]:
        return [
            m["content"]["data"]["text/plain"]
            for m in self.messages
            if m["msg_type"] == "execute_result"
        ]

    @property
    def traces(self) -> list[dict[str, Any]]:
        return [
            m["content"]["data"]
            for m in self.messages
            if m["msg_type"] == "display_data" and TRACE_MIME in m["content"]["data"]
        ]

    @property
    def error(self) -> dict[str, Any] | None:
        errors = [m["content"] for m in self.messages if m["msg_type"] == "error"]
        return errors[0] if errors else None


class KernelSession:
    """A started physl kernel and its client."""

    def __init__(self, manager: KernelManager, client: Any) -> None:
        self.manager = manager
        self.client = client

    def run(self, code: str, timeout: float = 60) -> Outcome:
        """Execute `code` and collect its iopub messages until the kernel is idle."""
        messages: list[dict[str, Any]] = []
        reply = self.client.execute_interactive(
            code, output_hook=messages.append, timeout=timeout, stop_on_error=False
        )
        return Outcome(reply, messages)

    def ok(self, code: str, timeout: float = 60) -> Outcome:
        """Execute `code`, which must succeed."""
        outcome = self.run(code, timeout)
        assert outcome.status == "ok", outcome.error
        return outcome

    def close(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)


def start_session(settings: dict[str, str] | None = None) -> KernelSession:
    """A new physl kernel with default settings (no JETLAG_* overrides but the store's
    root, JETLAG_STORE) plus `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JETLAG_")}
    if "JETLAG_STORE" in os.environ:
        env["JETLAG_STORE"] = os.environ["JETLAG_STORE"]
    env.update(settings or {})
    manager, client = start_new_kernel(kernel_name=KERNEL_NAME, startup_timeout=60, env=env)
    return KernelSession(manager, client)
