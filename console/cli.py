"""`firstloan`: one command, a sub-command per concern."""

from __future__ import annotations

import typer

app = typer.Typer(help="Firstloan: first-loan cultivation campaign platform.", no_args_is_help=True)
bank = typer.Typer(help="Tools for bank integrators.", no_args_is_help=True)
app.add_typer(bank, name="bank")


if __name__ == "__main__":
    app()
