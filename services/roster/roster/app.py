"""Roster's composition root: the one place that wires settings, clock, storage, bus,
handlers, views and API."""

from __future__ import annotations

from dataclasses import dataclass

from roster import api, consumers
from roster.access import ACCESS
from roster.domain.size_standard import SizeStandard, load_size_standard
from roster.handlers import Handlers
from roster.settings import RosterSettings
from roster.storage import SqlStore, metadata
from roster.views import Views
from shared.clock import platform_clock
from shared.service import Runtime, Service, create_app


@dataclass(frozen=True)
class RosterService(Service[Handlers]):
    views: Views
    size_standard: SizeStandard


def build(settings: RosterSettings | None = None) -> RosterService:
    settings = settings or RosterSettings()
    runtime = Runtime.create(settings, metadata, store=SqlStore)
    # The campaigns are the book's, re-read when their files change; one clock for them all.
    clock = platform_clock(settings, runtime.campaigns().zone)
    size_standard = load_size_standard(settings.size_standard_file)
    handlers = Handlers(runtime.campaigns, size_standard, clock)
    consumers.subscribe(runtime, handlers)
    app = create_app(
        runtime,
        [api.router],
        title="Firstloan roster",
        access=ACCESS,
        description=(
            "The cultivation list (培植名单): nominations one by one, in batches and as xlsx "
            "uploads; one file per enterprise (一企一档); assignments to banks; delisting; "
            "the published whitelist (白名单). USCCs are normalised (surrounding blanks "
            "removed, lower-case letters upper-cased) before they are checked."
        ),
    )
    views = Views(runtime.engine, runtime.campaigns, clock)
    return RosterService(app, runtime, handlers, clock, views, size_standard)
