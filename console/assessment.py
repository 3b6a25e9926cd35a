"""`firstloan assessment rebuild`, with a progress bar per consumer."""

from __future__ import annotations

import asyncio

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

from assessment.rebuild import Rebuilt, rebuild
from assessment.settings import AssessmentSettings


def run_rebuild(settings: AssessmentSettings, console: Console) -> Rebuilt:
    tasks: dict[str, TaskID] = {}
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console
    ) as progress:

        def advance(name: str, done: int, size: int) -> None:
            if name not in tasks:
                tasks[name] = progress.add_task(name, total=size)
            progress.update(tasks[name], completed=done)

        return asyncio.run(rebuild(settings, advance))
