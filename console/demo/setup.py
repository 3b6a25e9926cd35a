"""Where the demo keeps its campaigns, clock and environment (under .state/demo), so that
`make reset` removes every trace of it.

Its campaign directory is the platform's campaign book while the demo's environment is in
force (deploy/lib.sh reads it): `make up` then provisions every bank topic, SCRAM principal
and ACL of the three campaigns (Yunzhou's `yzrcu` too), from that book."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from console.demo.fineract import DEFAULT_SCHEMA_DIR, mapping_toml
from console.demo.plan import (
    DEMO_CAMPAIGNS,
    VILLAGE_BANK_CAMPAIGNS,
    XINZHOU_2020,
    demo_reference_toml,
)
from shared.reference import PACKAGED_REFERENCE_FILE

EXAMPLE_CAMPAIGNS = PACKAGED_REFERENCE_FILE.parent / "examples"


def campaign_source(campaign_id: str) -> Path:
    """The packaged file of one of the demo's campaigns."""
    packaged = PACKAGED_REFERENCE_FILE
    return packaged if packaged.stem == campaign_id else EXAMPLE_CAMPAIGNS / f"{campaign_id}.toml"


@dataclass(frozen=True)
class DemoFiles:
    folder: Path

    @property
    def campaigns(self) -> Path:
        return self.folder / "campaigns"

    def campaign(self, campaign_id: str) -> Path:
        return self.campaigns / f"{campaign_id}.toml"

    @property
    def reference(self) -> Path:
        """Xinzhou's campaign of 2020, with its fictional village banks."""
        return self.campaign(XINZHOU_2020)

    @property
    def clock(self) -> Path:
        return self.folder / "clock"

    @property
    def env(self) -> Path:
        return self.folder / "env"

    @property
    def fineract_mapping(self) -> Path:
        """The adapter's mapping when the demo plays a bank through Fineract."""
        return self.folder / "fineract.toml"

    @property
    def notices(self) -> Path:
        """What the demo's group robot was told, one JSON line per notice."""
        return self.folder / "notices.jsonl"


def prepare(
    state_dir: Path, start: date, fineract: str | None = None, schema_dir: Path | None = None
) -> DemoFiles:
    """Write the demo's campaigns (Xinzhou's of 2020 and 2021 with their fictional village
    banks, Yunzhou's as packaged), set the clock to the first day, and the environment the
    services start with (deploy/lib.sh reads it): quick ticks so checkpoints and deadlines
    follow the clock closely; with `fineract` (an institution id), the adapter's mapping of
    that bank's Fineract and the Fineract schema directory, so that `make up` provisions its
    topic and the adapter reads it."""
    files = DemoFiles(state_dir / "demo")
    files.campaigns.mkdir(parents=True, exist_ok=True)
    for stale in files.campaigns.glob("*.toml"):
        stale.unlink()  # a campaign of an earlier demo is none of this one's
    for campaign_id in DEMO_CAMPAIGNS:
        text = campaign_source(campaign_id).read_text(encoding="utf-8")
        if campaign_id in VILLAGE_BANK_CAMPAIGNS:
            text = demo_reference_toml(text)
        files.campaign(campaign_id).write_text(text, encoding="utf-8")
    files.clock.write_text(start.isoformat())
    files.notices.unlink(missing_ok=True)
    settings = {
        "FIRSTLOAN_CAMPAIGNS": str(files.campaigns),
        "FIRSTLOAN_CLOCK_FILE": str(files.clock),
        "FIRSTLOAN_TICK_SECONDS": "1",
        "FIRSTLOAN_DEADLINE_CHECK_SECONDS": "1",
        "FIRSTLOAN_CAMPAIGNS_RELOAD_SECONDS": "2",
        "FIRSTLOAN_NOTICE_POLL_SECONDS": "1",
        # The demo's group robot listens on loopback, which no webhook reaches otherwise.
        "FIRSTLOAN_WEBHOOK_ALLOW": "127.0.0.1",
    }
    files.fineract_mapping.unlink(missing_ok=True)
    if fineract is not None:
        files.fineract_mapping.write_text(mapping_toml(fineract), encoding="utf-8")
        settings["FIRSTLOAN_FINERACT_MAPPING_FILE"] = str(files.fineract_mapping)
        settings["FIRSTLOAN_FINERACT_SCHEMA_DIR"] = str(schema_dir or DEFAULT_SCHEMA_DIR)
    files.env.write_text("".join(f"export {k}={shlex.quote(v)}\n" for k, v in settings.items()))
    return files
