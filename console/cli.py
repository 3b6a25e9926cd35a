"""`firstloan`: one command, a sub-command per concern."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from console.bank import Mode, check_lines, outgoing, problems, publish, read_lines
from shared.consumer import Incoming
from shared.reference import ReferenceDataError, load_reference
from shared.settings import ServiceSettings

app = typer.Typer(help="Firstloan: first-loan cultivation campaign platform.", no_args_is_help=True)
bank = typer.Typer(help="Tools for bank integrators.", no_args_is_help=True)
app.add_typer(bank, name="bank")

DEFAULT_BOOTSTRAP = ServiceSettings(service="cli").kafka_bootstrap


@bank.command("publish")
def bank_publish(
    file: Annotated[
        Path,
        typer.Argument(exists=True, dir_okay=False, help="JSON (event or array) or JSONL."),
    ],
    institution: Annotated[str, typer.Option(help="Your institution id, e.g. icbc.")],
    bootstrap: Annotated[str, typer.Option(help="Kafka bootstrap servers.")] = DEFAULT_BOOTSTRAP,
    mode: Annotated[Mode, typer.Option(help="CloudEvents content mode.")] = Mode.STRUCTURED,
    dry_run: Annotated[bool, typer.Option(help="Check only; publish nothing.")] = False,
    namespace: Annotated[str, typer.Option(help="Topic namespace (tests).", hidden=True)] = "",
    reference: Annotated[
        Path | None, typer.Option(help="Reference data file (default: the platform's).")
    ] = None,
) -> None:
    """Check every event of FILE with the platform's own intake, then publish them to
    bank.<INSTITUTION>.events (key = USCC). Nothing is sent if any event is invalid."""
    try:
        known = load_reference(reference)
    except (OSError, ReferenceDataError) as error:
        _fail(f"cannot read the reference data: {error}", code=2)
    if institution not in known.institution_ids:
        _fail(f"unknown institution {institution!r}; known: {sorted(known.institution_ids)}", 2)
    settings = ServiceSettings(service="cli", kafka_bootstrap=bootstrap, namespace=namespace)
    topic = settings.topic(f"bank.{institution}.events")
    checked = check_lines(read_lines(file), topic, known)
    errors = list(problems(checked))
    for problem in errors:
        typer.echo(problem, err=True)
    if errors:
        _fail(f"{len(errors)} of {len(checked)} events invalid; nothing published", code=1)
    records = [outgoing(c.outcome, mode) for c in checked if isinstance(c.outcome, Incoming)]
    if dry_run:
        typer.echo(f"{len(records)} events valid for {topic} (dry run: nothing published)")
        return
    asyncio.run(publish(settings, topic, records))
    typer.echo(f"published {len(records)} events to {topic} ({mode.value} mode)")


def _fail(message: str, code: int) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(code)


if __name__ == "__main__":
    app()
