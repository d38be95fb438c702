"""The Tapis app that runs JetLag jobs: its definition and the script it runs.

Register it once per tenant (`tapis.apps.createAppVersion(**app_definition(...))`); the
Tapis backend submits jobs of it. Its one file input is the job's package folder, staged
as `job/` in the exec system's input directory; `APP_SCRIPT` (the ZIP runtime's
`tapisjob_app.sh`, or the container's command) runs JetLag's runner there and copies the
outputs -- exit.json, result.npz/.json, stdout.txt, stderr.txt, trace/ -- into the output
directory, which Tapis archives and the backend downloads. The script must have JetLag
on its Python (`$JETLAG_PYTHON`, default python3). This module only describes the app.
"""

from __future__ import annotations

from typing import Any

#: What the app runs. Tapis sets the two _tapis* variables for every job.
APP_SCRIPT = """#!/bin/bash
# tapisjob_app.sh: run the JetLag job staged as ./job, then hand its outputs to Tapis.
set -u
job="${_tapisExecSystemInputDir}/job"
out="${_tapisExecSystemOutputDir}"
cd "$job" || exit 2
mkdir -p "$out"
# Live task events go where Tapis can list them while the job runs (allowIfRunning).
JETLAG_LIVE_DIR="$out/live" "${JETLAG_PYTHON:-python3}" -m jetlag.runtime.jobs.runner . \\
  >stdout.txt 2>stderr.txt
code=$?
for name in exit.json status.json result.npz result.json stdout.txt stderr.txt trace; do
  if [ -e "$name" ]; then cp -r "$name" "$out/"; fi
done
rm -rf "$out/live"  # the final trace holds every event: no need to archive them twice
exit $code
"""


def app_definition(
    app_id: str,
    version: str,
    exec_system_id: str,
    *,
    runtime: str = "ZIP",
    image: str,
    max_minutes: int = 60,
) -> dict[str, Any]:
    """The app's definition for Tapis's createAppVersion.

    `runtime` "ZIP" with `image` the tapis:// URL of a zip holding `APP_SCRIPT` as
    tapisjob_app.sh, or "SINGULARITY"/"DOCKER" with an image that has JetLag installed.
    """
    return {
        "id": app_id,
        "version": version,
        "description": "Runs a JetLag job package (jetlag.runtime.jobs.runner).",
        "runtime": runtime,
        "containerImage": image,
        "jobType": "BATCH",
        "jobAttributes": {
            "execSystemId": exec_system_id,
            "maxMinutes": max_minutes,
            "archiveOnAppError": True,
            "fileInputs": [
                {
                    "name": "job",
                    "description": "The job's package folder (manifest, source, arguments).",
                    "inputMode": "REQUIRED",
                    "targetPath": "job",
                    "autoMountLocal": True,
                }
            ],
        },
    }
