"""Scheduled deployment: `newslake serve` serves the news pipeline against a Prefect server.

Schedules and manual triggers need a real Prefect API (`prefect server start`, or Prefect Cloud):
on the ephemeral API a served flow only logs "Cannot schedule flows on an ephemeral server".
"""

from __future__ import annotations

import os
from pathlib import Path

DEPLOYMENT_NAME = "newslake"


class NoPrefectServer(RuntimeError):
    """`serve` was asked for while no PREFECT_API_URL points at a Prefect server."""


def deployment_parameters(inputs: list[str] | None, warehouse: str, run_date: str | None = None) -> dict:
    """Default parameters of the deployment (absolute paths: the serving process's cwd is not the user's)."""
    from flows.pipeline import default_inputs

    params = {
        "inputs": [str(Path(p).resolve()) for p in (inputs or default_inputs())],
        "warehouse": str(Path(warehouse).resolve()) if "://" not in warehouse else warehouse,
    }
    if run_date:
        params["run_date"] = run_date
    return params


def serve(
    inputs: list[str] | None,
    warehouse: str,
    cron: str | None = None,
    interval_s: float | None = None,
    name: str = DEPLOYMENT_NAME,
) -> None:
    """Serve the `news-pipeline` flow as deployment `news-pipeline/<name>` (blocks until interrupted).

    One run at a time (`global_limit=1`): a scheduled run never overlaps a manual one. Trigger it by
    hand with `prefect deployment run 'news-pipeline/<name>' -p run_date=2026-11-21 -p full_refresh=true`.
    """
    if not os.environ.get("PREFECT_API_URL"):
        raise NoPrefectServer(
            "newslake serve needs a Prefect server: run `prefect server start` and "
            "`export PREFECT_API_URL=http://127.0.0.1:4200/api` (schedules cannot run on an ephemeral API)"
        )
    from flows.pipeline import news_pipeline

    news_pipeline.serve(
        name=name,
        cron=cron,
        interval=interval_s,
        parameters=deployment_parameters(inputs, warehouse),
        global_limit=1,
        description="newslake: scraped news pages -> clean, deduplicated, versioned Delta tables of documents and events",
        tags=["newslake"],
    )
