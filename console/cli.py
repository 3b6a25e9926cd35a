"""`firstloan`: one command, a sub-command per concern."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from assessment.domain.attainment import Attainment
from assessment.settings import AssessmentSettings
from console import access, platform
from console.assessment import run_rebuild
from console.bank import Mode, check_lines, outgoing, problems, publish, read_lines
from console.campaigns import add_campaign
from console.demo.fineract import DEFAULT_SCHEMA_DIR, FineractBank
from console.demo.follow_through import follow_through
from console.demo.notices import ROBOT_PATH, with_group_robot
from console.demo.plan import DEMO_CAMPAIGNS, plan_demo
from console.demo.play import Endpoints, Player, Tally
from console.demo.receiver import GroupRobot
from console.demo.setup import prepare
from console.exports import ExportError, download_xlsx
from console.onboarding import (
    InvalidNameError,
    OnboardingError,
    add_bank,
    add_subscriber,
    client_settings,
    subscriber_settings,
)
from shared.auth import InvalidScopeError, Scope, parse_duration, parse_scopes, public_key_file
from shared.campaigns import (
    OPERATOR_CAMPAIGNS_DIR,
    AmbiguousCampaignError,
    UnknownCampaignError,
    configured_campaigns,
    load_campaigns,
)
from shared.consumer import Message
from shared.envelope import describe_errors
from shared.kafka_security import bank_principal
from shared.reference import (
    PACKAGED_REFERENCE_FILE,
    Institution,
    ReferenceDataError,
    load_reference,
)
from shared.settings import ServiceSettings

app = typer.Typer(help="Firstloan: first-loan cultivation campaign platform.", no_args_is_help=True)
bank = typer.Typer(help="Tools for bank integrators.", no_args_is_help=True)
assessment_app = typer.Typer(help="Assessment operations.", no_args_is_help=True)
ledger_app = typer.Typer(help="Work ledgers (工作台帐).", no_args_is_help=True)
whitelist_app = typer.Typer(help="The published whitelist.", no_args_is_help=True)
token_app = typer.Typer(help="Access tokens for the HTTP APIs.", no_args_is_help=True)
subscriber_app = typer.Typer(
    help="Supervisors' own systems reading escalations and attainment on Kafka.",
    no_args_is_help=True,
)
campaign_app = typer.Typer(help="The campaigns the platform knows.", no_args_is_help=True)
app.add_typer(campaign_app, name="campaign")
app.add_typer(bank, name="bank")
app.add_typer(subscriber_app, name="subscriber")
app.add_typer(assessment_app, name="assessment")
app.add_typer(ledger_app, name="ledger")
app.add_typer(whitelist_app, name="whitelist")
app.add_typer(token_app, name="token")

DEFAULT_BOOTSTRAP = ServiceSettings(service="cli").kafka_bootstrap
DEMO_VIEWING = timedelta(hours=12)
# The demo's group robot (console.demo.receiver) listens here while the campaign plays.
DEMO_ROBOT_PORT = 8110


@bank.command("add")
def bank_add(
    institution_id: Annotated[str, typer.Argument(help="The new institution's id, e.g. dzrb.")],
    name: Annotated[str, typer.Option(help="Its name, as in official documents.")],
    category: Annotated[str, typer.Option(help="Its category id in the campaign.")],
    campaign: Annotated[
        str | None,
        typer.Option(help="The campaign it takes part in (needed when several are known)."),
    ] = None,
    bootstrap: Annotated[str, typer.Option(help="Kafka bootstrap servers.")] = DEFAULT_BOOTSTRAP,
    namespace: Annotated[str, typer.Option(help="Topic namespace (tests).", hidden=True)] = "",
    campaigns: Annotated[
        Path | None,
        typer.Option(help="Campaign files, a directory or one file (default: the platform's)."),
    ] = None,
) -> None:
    """Onboard a bank: its Kafka principal, topic and ACLs, and its place in a campaign's
    reference data; prints the client settings for its integrators."""
    file = _campaign_file(campaigns or configured_campaigns(), campaign)
    try:
        institution = Institution(id=institution_id, name=name, category=category)
    except ValidationError as error:
        _fail(describe_errors(error), code=2)
    settings = ServiceSettings(service="cli", kafka_bootstrap=bootstrap, namespace=namespace)
    try:
        onboarded = add_bank(settings, file, institution)
    except OnboardingError as error:
        _fail(str(error), code=2 if "exists with other" in str(error) else 1)
    verb = "added" if onboarded.added else "already onboarded:"
    typer.echo(f"{verb} {institution.id} ({institution.name}) in {file}")
    typer.echo(client_settings(settings, onboarded))


def _campaign_file(source: Path, campaign: str | None) -> Path:
    """The file of the campaign an operator means: the one named, else the only one."""
    if source.resolve() == PACKAGED_REFERENCE_FILE.resolve():
        _fail(f"{source} is the packaged campaign; `make up` makes the platform's copy", 2)
    try:
        book = load_campaigns(source)
    except (OSError, ReferenceDataError) as error:
        _fail(f"cannot read the campaigns: {error}", code=2)
    if not source.is_dir():
        return source
    try:
        chosen = book.get(campaign) if campaign else book.sole()
    except (UnknownCampaignError, AmbiguousCampaignError) as error:
        _fail(f"--campaign: {error}", code=2)
    return source / f"{chosen.campaign.id}.toml"


@campaign_app.command("add")
def campaign_add(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="The campaign's reference file.")
    ],
    replace: Annotated[bool, typer.Option(help="Replace a known campaign of the same id.")] = False,
    bootstrap: Annotated[str, typer.Option(help="Kafka bootstrap servers.")] = DEFAULT_BOOTSTRAP,
    namespace: Annotated[str, typer.Option(help="Topic namespace (tests).", hidden=True)] = "",
    campaigns: Annotated[
        Path, typer.Option(file_okay=False, help="The platform's campaign directory.")
    ] = OPERATOR_CAMPAIGNS_DIR,
) -> None:
    """Add a campaign (another city's, or next year's): checked alone and with every known
    campaign, its new banks onboarded, picked up by the running services."""
    settings = ServiceSettings(service="cli", kafka_bootstrap=bootstrap, namespace=namespace)
    try:
        added = add_campaign(settings, campaigns, file, replace=replace)
    except OnboardingError as error:
        _fail(str(error), code=2)
    known = added.campaign.campaign
    verb = "added" if added.added else "already known:"
    typer.echo(f"{verb} {known.id} ({known.name}, {known.start}..{known.end}) in {added.file}")
    for institution_id in added.new_institutions:
        typer.echo(f"onboarded bank {institution_id}: `firstloan bank add` prints its settings")


@campaign_app.command("list")
def campaign_list(
    campaigns: Annotated[
        Path | None,
        typer.Option(help="Campaign files, a directory or one file (default: the platform's)."),
    ] = None,
) -> None:
    """The known campaigns: id, region, dates and status today."""
    try:
        book = load_campaigns(campaigns)
    except (OSError, ReferenceDataError) as error:
        _fail(f"cannot read the campaigns: {error}", code=2)
    today = date.today()
    for known in book.campaigns:
        c = known.campaign
        typer.echo(
            f"{c.id}\t{known.region.code} {known.region.name}\t{c.start}..{c.end}\t"
            f"{book.status(known, today)}\t{c.name}"
        )


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
    campaigns: Annotated[
        Path | None,
        typer.Option(help="Campaign files, a directory or one file (default: the platform's)."),
    ] = None,
) -> None:
    """Check every event of FILE with the platform's own intake, then publish them to
    bank.<INSTITUTION>.events (key = USCC). Nothing is sent if any event is invalid."""
    try:
        known = load_campaigns(campaigns)
    except (OSError, ReferenceDataError) as error:
        _fail(f"cannot read the campaigns: {error}", code=2)
    if institution not in known.institution_ids:
        _fail(f"unknown institution {institution!r}; known: {sorted(known.institution_ids)}", 2)
    settings = ServiceSettings(
        service="cli",
        kafka_bootstrap=bootstrap,
        namespace=namespace,
        kafka_user=bank_principal(institution),  # the bank's own rights, nothing more
    )
    topic = settings.topic(f"bank.{institution}.events")
    checked = check_lines(read_lines(file), topic, known)
    errors = list(problems(checked))
    for problem in errors:
        typer.echo(problem, err=True)
    if errors:
        _fail(f"{len(errors)} of {len(checked)} events invalid; nothing published", code=1)
    records = [outgoing(c.outcome, mode) for c in checked if isinstance(c.outcome, Message)]
    if dry_run:
        typer.echo(f"{len(records)} events valid for {topic} (dry run: nothing published)")
        return
    asyncio.run(publish(settings, topic, records))
    typer.echo(f"published {len(records)} events to {topic} ({mode.value} mode)")


@subscriber_app.command("add")
def subscriber_add(
    name: Annotated[
        str, typer.Argument(help="The system's name, e.g. supervision-desk (a-z, 0-9, '-').")
    ],
    bootstrap: Annotated[str, typer.Option(help="Kafka bootstrap servers.")] = DEFAULT_BOOTSTRAP,
    namespace: Annotated[str, typer.Option(help="Topic namespace (tests).", hidden=True)] = "",
) -> None:
    """Let a supervisors' own system read assessment.escalations and assessment.attainment:
    its Kafka principal (subscriber-NAME) and ACLs, consumer groups subscriber.NAME.*, and
    nothing else; prints its client settings."""
    settings = ServiceSettings(service="cli", kafka_bootstrap=bootstrap, namespace=namespace)
    try:
        subscriber = add_subscriber(settings, name)
    except InvalidNameError as error:
        _fail(str(error), code=2)
    except OnboardingError as error:
        _fail(str(error), code=1)
    verb = "added" if subscriber.added else "already a subscriber:"
    typer.echo(f"{verb} {subscriber.name} (principal {subscriber.principal})")
    typer.echo(subscriber_settings(settings, subscriber))


@token_app.command("issue")
def token_issue(
    scope: Annotated[
        list[str],
        typer.Option(
            help="A scope, repeatable: central, county:<code>, institution:<id>, organizer, "
            "department, guarantor."
        ),
    ],
    subject: Annotated[str, typer.Option(help="Who it is for, e.g. supervisor:wang.")],
    expires: Annotated[str, typer.Option(help="Lifetime: 30m, 8h, 7d (at most 90d).")] = "8h",
) -> None:
    """Print a signed token for the HTTP APIs (`Authorization: Bearer <token>`). Makes the
    signing key pair first if this machine has none."""
    try:
        scopes = parse_scopes(scope)
    except InvalidScopeError as error:
        _fail(f"--scope: {error}", code=2)
    try:
        lifetime = parse_duration(expires)
    except ValueError as error:
        _fail(f"--expires: {error}", code=2)
    if not subject.strip():
        _fail("--subject: empty; say who the token is for, e.g. supervisor:wang", code=2)
    issued = access.issue(ServiceSettings(service="cli"), subject.strip(), sorted(scopes), lifetime)
    typer.echo(issued.token)
    granted = " ".join(str(s) for s in sorted(scopes))
    typer.echo(
        f"{subject.strip()}: {granted}, until {issued.expires_at:%Y-%m-%d %H:%M %Z}", err=True
    )


@token_app.command("keys")
def token_keys() -> None:
    """Make the token signing key pair unless it exists: the signing key stays with
    operators (mode 0600), the services read the public key."""
    settings = ServiceSettings(service="cli")
    made = access.ensure_keys(settings)
    typer.echo(
        f"{'created' if made else 'kept'} the token keys; public key: {public_key_file(settings)}"
    )


@app.command()
def up() -> None:
    """Install what is missing and start Kafka, PostgreSQL and the five services."""
    raise typer.Exit(platform.stack("up"))


@app.command()
def down() -> None:
    """Stop what `up` started."""
    raise typer.Exit(platform.stack("down"))


@app.command()
def status(
    bootstrap: Annotated[str, typer.Option(help="Kafka bootstrap servers.")] = DEFAULT_BOOTSTRAP,
    every_group: Annotated[
        bool, typer.Option(help="Also the groups of other namespaces (test runs).")
    ] = False,
) -> None:
    """Each service's health, Kafka, PostgreSQL, and the lag of every consumer group.
    Exits 1 when anything is down."""
    console = Console()
    table = Table("part", "state", "detail")
    healthy = True
    for service in platform.service_health():
        healthy &= service.healthy
        table.add_row(f"{service.name} :{service.port}", _state(service.healthy), service.detail)
    for name in ("kafka", "postgres"):
        running = platform.process_running(name)
        healthy &= running
        table.add_row(name, _state(running), "started by `firstloan up`" if running else "")
    console.print(table)
    if platform.process_running("kafka"):
        lag = Table("consumer group", "partitions", "lag (records)")
        for group in asyncio.run(platform.consumer_lag(bootstrap, every_group)):
            lag.add_row(group.group, str(group.partitions), str(group.lag))
        console.print(lag)
    raise typer.Exit(0 if healthy else 1)


def _state(ok: bool) -> str:
    return "[green]up[/green]" if ok else "[red]down[/red]"


def _print_tally(console: Console, name: str, tally: Tally) -> None:
    """What one campaign's plan did when played, and what went otherwise than planned."""
    console.print(f"[bold]{name}[/bold]")
    console.print(
        f"  nominated {tally.nominated} (listed {tally.listed}, rejected {tally.rejected}), "
        f"{tally.fairs} fairs, {tally.matches} pairings, {tally.bank_events} bank events, "
        f"{tally.filings} ledgers filed",
        markup=False,
    )
    if tally.returning_refused or tally.returning_listed:
        console.print(
            f"  back from the earlier campaign: {tally.returning_refused} refused by the "
            f"5-year rule (a first loan then), {tally.returning_listed} listed again (no loan)",
            markup=False,
        )
    for uscc in tally.refused_examples:
        console.print(f"  refused: {Endpoints().roster}/enterprises/{uscc}", markup=False)
    for refusal in tally.refused:
        console.print(f"  {refusal}", style="yellow", markup=False)


@app.command()
def demo(
    enterprises: Annotated[
        int,
        typer.Option(
            min=100,
            help="Enterprises to nominate, in the three campaigns together (shared by their "
            "cultivation targets).",
        ),
    ] = 11000,
    seed: Annotated[int, typer.Option(help="The same seed plays the same campaigns.")] = 2020,
    pace: Annotated[float, typer.Option(min=0, help="Seconds per simulated day.")] = 0.05,
    fineract: Annotated[
        str | None,
        typer.Option(
            help="Play this bank (an institution id of Xinzhou's campaigns, e.g. xzrcu) through "
            "Apache Fineract: its loan events leave as Fineract's Avro messages on "
            "fineract.<id>.external-events and the adapter (:8105) translates them "
            "(docs/fineract.md)."
        ),
    ] = None,
    fineract_schemas: Annotated[
        Path,
        typer.Option(help="The .avsc files of the Fineract version that bank runs."),
    ] = DEFAULT_SCHEMA_DIR,
) -> None:
    """Reset the local platform's data, then play deterministic simulated campaigns, at
    accelerated time, through the real APIs and bank topics: Xinzhou's of 2020, a fictional
    second city's (Yunzhou's, overlapping it) and Xinzhou's of 2021, where enterprises
    cultivated in 2020 come back (those with a first loan then are refused by the 5-year
    rule): nominations, fairs, pairings, credits and loans (and false claims, by one bank in
    both years), ledgers. The clock jumps over the months between campaigns. The dashboard at
    http://127.0.0.1:8104/ shows it unfold."""
    console = Console()
    fineract_bank = None
    if fineract is not None:
        if fineract not in load_reference(PACKAGED_REFERENCE_FILE).institution_ids:
            _fail(f"--fineract: {fineract} is no institution of the reference data", code=2)
        if not any(fineract_schemas.rglob("*.avsc")):
            _fail(f"--fineract-schemas: no .avsc file in {fineract_schemas}", code=2)
        fineract_bank = FineractBank.reading(fineract, fineract_schemas)
    console.print("[bold]the demo replaces the platform's local data with its own[/bold]")
    if platform.stack("reset") != 0:
        _fail("could not reset the local platform; see `make logs`", code=1)
    files = prepare(platform.ROOT / ".state", date(2020, 9, 1), fineract, fineract_schemas)
    console.print("starting the platform on the demo's clock and reference data")
    if platform.stack("up") != 0:
        _fail("the platform did not start; see `make logs`", code=1)
    book = load_campaigns(files.campaigns)
    plan = plan_demo(book, enterprises, seed)
    days = plan.played_days()
    end = days[-1]
    settings = ServiceSettings(service="demo")
    headers = access.service_headers(settings, "operator:demo", timedelta(days=1))
    player = Player(plan, files.clock, Endpoints(), settings, pace, headers, fineract_bank)
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console
    ) as progress:
        task = progress.add_task("campaign days", total=len(days))

        def advance(day: date) -> None:
            running = ", ".join(c.campaign.id for c in book.running(day)) or "between campaigns"
            progress.update(task, advance=1, description=f"{day} ({running})")

        robot = GroupRobot(DEMO_ROBOT_PORT, log=files.notices)
        tallies, told = asyncio.run(
            with_group_robot(
                robot,
                Endpoints().assessment,
                headers,
                lambda: player.play(advance, days),
            )
        )
    for campaign_id in DEMO_CAMPAIGNS:
        _print_tally(console, book.get(campaign_id).campaign.name, tallies[campaign_id])
    console.print(
        f"{told.notices} notices of talks and circulars reached the demo's group robot "
        f"({robot.url(ROBOT_PATH)}, kept in {files.notices}); their deliveries: "
        f"GET /deliveries?subscription_id={told.subscription_id}"
    )
    if fineract_bank is not None:
        console.print(
            f"{fineract_bank.sent} of them as Fineract messages on {fineract_bank.topic}, "
            "translated by the adapter (GET http://127.0.0.1:8105/instances)"
        )
    console.print("follow-through (what a supervisor does about the escalations):")
    for campaign_id in DEMO_CAMPAIGNS:
        console.print(f" {campaign_id}:", markup=False)
        for line in asyncio.run(follow_through(Endpoints().assessment, headers, end, campaign_id)):
            console.print(f"  {line}", markup=False)
    console.print("dashboard: [bold]http://127.0.0.1:8104/[/bold]")
    if settings.http_auth != "none":
        viewer = access.issue(settings, "supervisor:demo", [Scope.parse("central")], DEMO_VIEWING)
        hours = int(DEMO_VIEWING.total_seconds() // 3600)
        console.print(f"its sign-in token (a supervisor's, valid {hours} hours):")
        print(viewer.token)


@assessment_app.command("rebuild")
def assessment_rebuild() -> None:
    """Replay every input topic from its start into a scratch database and compare the
    recount with the live figures. Exits 1 when they differ."""
    console = Console()
    result = run_rebuild(AssessmentSettings(), console)
    console.print(
        f"replayed {result.records} records; rebuilt: {result.rebuilt.cultivated} "
        f"cultivated, {result.rebuilt.first_loans} first loans; live: "
        f"{result.live.cultivated} cultivated, {result.live.first_loans} first loans"
    )
    for campaign_id in sorted(result.rebuilt.by_campaign.keys() | result.live.by_campaign):
        rebuilt = result.rebuilt.by_campaign.get(campaign_id)
        live = result.live.by_campaign.get(campaign_id)
        same = "equal" if campaign_id not in result.differing else "DIFFER"
        console.print(
            f"  {campaign_id}: rebuilt {_figures(rebuilt)}; live {_figures(live)}: {same}",
            markup=False,
        )
    if not result.equal and result.live_behind:
        _fail(
            f"the live service has {result.live_behind} records still to consume; "
            "rebuild again once it has caught up",
            code=1,
        )
    if not result.equal:
        differing = ", ".join(result.differing)
        _fail(f"the rebuilt figures differ from the live ones ({differing})", code=1)
    console.print("[green]rebuilt figures equal the live ones[/green]")


def _figures(found: Attainment | None) -> str:
    if found is None:
        return "none"
    return f"{found.cultivated} cultivated, {found.first_loans} first loans"


@ledger_app.command("export")
def ledger_export(
    unit: Annotated[str, typer.Argument(help="County code or institution id.")],
    month: Annotated[str, typer.Argument(help="YYYY-MM")],
    campaign: Annotated[
        str | None, typer.Option(help="The campaign (needed when the unit is in several).")
    ] = None,
    output: Annotated[Path | None, typer.Option(help="File to write.")] = None,
    url: Annotated[str, typer.Option(help="Ledger service.")] = "http://127.0.0.1:8103",
) -> None:
    """Save UNIT's work ledger (工作台帐) of MONTH as xlsx."""
    named = f"{campaign}-" if campaign else ""
    target = output or Path(f"ledger-{named}{unit}-{month}.xlsx")
    _export(f"{url}/ledgers/{unit}/{month}", {"campaign": campaign} if campaign else {}, target)


@whitelist_app.command("export")
def whitelist_export(
    county: Annotated[str | None, typer.Option(help="Only this county.")] = None,
    institution: Annotated[str | None, typer.Option(help="Only this institution.")] = None,
    campaign: Annotated[
        str | None, typer.Option(help="The campaign (needed when several are running).")
    ] = None,
    output: Annotated[Path, typer.Option(help="File to write.")] = Path("whitelist.xlsx"),
    url: Annotated[str, typer.Option(help="Roster service.")] = "http://127.0.0.1:8101",
) -> None:
    """Save the current whitelist (白名单) as xlsx."""
    named = (("county_code", county), ("institution_id", institution), ("campaign", campaign))
    params = {k: v for k, v in named if v}
    _export(f"{url}/whitelist", params, output)


def _export(url: str, params: dict[str, str], target: Path) -> None:
    headers = access.service_headers(
        ServiceSettings(service="cli"), "operator:export", timedelta(minutes=10)
    )
    try:
        size = download_xlsx(url, params, target, headers)
    except ExportError as error:
        _fail(str(error), code=1)
    typer.echo(f"wrote {target} ({size} bytes)")


def _fail(message: str, code: int) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(code)


if __name__ == "__main__":
    app()
