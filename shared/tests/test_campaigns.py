"""The campaign book: many campaigns, checked together, and which one a call or a record
means."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from shared.auth import Caller, InvalidScopeError, Role, Scope, parse_scopes
from shared.campaigns import (
    AmbiguousCampaignError,
    CampaignBook,
    CampaignStatus,
    CampaignWatcher,
    NoCampaignError,
    UnknownCampaignError,
    ensure_operator_campaigns,
    load_campaigns,
)
from shared.reference import PACKAGED_REFERENCE_FILE, ReferenceDataError, load_reference

EXAMPLES = PACKAGED_REFERENCE_FILE.parent / "examples"
XINZHOU_2021 = EXAMPLES / "xinzhou-2021.toml"
YUNZHOU_2020 = EXAMPLES / "yunzhou-2020.toml"


def directory(tmp_path: Path, *files: Path) -> Path:
    folder = tmp_path / "campaigns"
    folder.mkdir(exist_ok=True)
    for file in files:
        shutil.copy(file, folder / file.name)
    return folder


@pytest.fixture
def book(tmp_path: Path) -> CampaignBook:
    return load_campaigns(directory(tmp_path, PACKAGED_REFERENCE_FILE, XINZHOU_2021, YUNZHOU_2020))


def test_a_directory_holds_many_campaigns_in_order_of_start(book: CampaignBook) -> None:
    assert book.ids == ("xinzhou-2020", "yunzhou-2020", "xinzhou-2021")
    assert [r.code for r in book.regions] == ["1409", "1499"]
    assert [c.campaign.id for c in book.in_region("1409")] == ["xinzhou-2020", "xinzhou-2021"]


def test_one_file_is_a_book_of_one(tmp_path: Path) -> None:
    assert load_campaigns(PACKAGED_REFERENCE_FILE).sole().campaign.id == "xinzhou-2020"


def test_a_county_and_a_day_name_at_most_one_campaign(book: CampaignBook) -> None:
    assert book.on("140902", date(2020, 10, 1)).campaign.id == "xinzhou-2020"  # type: ignore[union-attr]
    assert book.on("140902", date(2021, 10, 1)).campaign.id == "xinzhou-2021"  # type: ignore[union-attr]
    assert book.on("140902", date(2021, 3, 1)) is None
    assert book.on("149921", date(2021, 3, 1)).campaign.id == "yunzhou-2020"  # type: ignore[union-attr]
    assert book.on("150102", date(2020, 10, 1)) is None


def test_a_record_naming_no_campaign_is_attributed_by_county_and_day(book: CampaignBook) -> None:
    def attributed(county: str, day: date) -> str | None:
        found = book.attribute(county, day)
        return found.campaign.id if found else None

    assert attributed("140902", date(2020, 9, 5)) == "xinzhou-2020"
    assert attributed("140902", date(2021, 3, 1)) == "xinzhou-2020", "after its end: the last begun"
    assert attributed("140902", date(2020, 8, 1)) == "xinzhou-2020", "before any: the first"
    assert attributed("140902", date(2022, 1, 5)) == "xinzhou-2021"
    assert attributed("150102", date(2020, 10, 1)) is None


def test_a_call_naming_no_campaign_means_the_one_running_where_it_is(book: CampaignBook) -> None:
    autumn = date(2020, 11, 1)
    assert book.resolve(None, autumn, county_code="149902").campaign.id == "yunzhou-2020"
    assert book.resolve(None, autumn, region_code="1409").campaign.id == "xinzhou-2020"
    assert book.resolve("xinzhou-2021", autumn).campaign.id == "xinzhou-2021"
    with pytest.raises(AmbiguousCampaignError) as ambiguous:
        book.resolve(None, autumn)
    assert ambiguous.value.candidates == ("xinzhou-2020", "yunzhou-2020")
    with pytest.raises(AmbiguousCampaignError) as between:
        book.resolve(None, date(2021, 6, 1), region_code="1409")
    assert between.value.candidates == ("xinzhou-2020", "xinzhou-2021"), "none running: all"
    with pytest.raises(UnknownCampaignError):
        book.resolve("datong-2020", autumn)
    with pytest.raises(NoCampaignError):
        book.resolve(None, autumn, county_code="150102")


def test_status_follows_the_day(book: CampaignBook) -> None:
    xinzhou_2021 = book.get("xinzhou-2021")
    assert book.status(xinzhou_2021, date(2021, 8, 31)) is CampaignStatus.PLANNED
    assert book.status(xinzhou_2021, date(2021, 9, 1)) is CampaignStatus.RUNNING
    assert book.status(xinzhou_2021, date(2022, 1, 1)) is CampaignStatus.ENDED


def test_institutions_are_one_network_across_cities(book: CampaignBook) -> None:
    assert "yzrcu" in book.institution_ids
    assert "xzrcu" in book.institution_ids
    assert book.bank_topic("icbc") == "bank.icbc.events"
    assert book.get("yunzhou-2020").institution("icbc").name.startswith("工商银行云州")


def _variant(tmp_path: Path, name: str, source: Path, *changes: tuple[str, str]) -> Path:
    text = source.read_text(encoding="utf-8")
    for old, new in changes:
        assert old in text
        text = text.replace(old, new)
    target = tmp_path / "campaigns" / name
    target.parent.mkdir(exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return target


def _overlapping_next_year(tmp_path: Path) -> Path:
    """Xinzhou's next campaign, moved to start before this one ends."""
    return _variant(
        tmp_path,
        "xinzhou-2021.toml",
        XINZHOU_2021,
        ("start = 2021-09-01", "start = 2020-12-01"),
        ("list_deadline = 2021-09-10", "list_deadline = 2020-12-10"),
    )


def test_two_campaigns_of_one_region_may_not_overlap(tmp_path: Path) -> None:
    folder = directory(tmp_path, PACKAGED_REFERENCE_FILE, XINZHOU_2021)
    _overlapping_next_year(tmp_path)
    with pytest.raises(ReferenceDataError, match="overlap in the region 1409"):
        load_campaigns(folder)


def test_a_file_is_named_after_its_campaign(tmp_path: Path) -> None:
    folder = directory(tmp_path, PACKAGED_REFERENCE_FILE)
    shutil.copy(XINZHOU_2021, folder / "next-year.toml")
    with pytest.raises(ReferenceDataError, match=r"name it xinzhou-2021\.toml"):
        load_campaigns(folder)


def test_a_county_outside_the_region_is_refused(tmp_path: Path) -> None:
    file = _variant(
        tmp_path, "yunzhou-2020.toml", YUNZHOU_2020, ('code = "149921"', 'code = "140921"')
    )
    with pytest.raises(ReferenceDataError, match="county 140921 is outside the region 1499"):
        load_reference(file)


def test_a_file_of_before_regions_takes_its_counties_prefix(tmp_path: Path) -> None:
    file = _variant(
        tmp_path,
        "xinzhou-2020.toml",
        PACKAGED_REFERENCE_FILE,
        ('region = { code = "1409", name = "忻州市" }\n', ""),
    )
    assert load_reference(file).region.code == "1409"


def test_the_watcher_picks_up_an_added_campaign(tmp_path: Path) -> None:
    folder = directory(tmp_path, PACKAGED_REFERENCE_FILE)
    now = [0.0]
    watcher = CampaignWatcher(folder, every=5, clock=lambda: now[0])
    assert watcher().ids == ("xinzhou-2020",)
    shutil.copy(YUNZHOU_2020, folder)
    now[0] = 6
    assert watcher().ids == ("xinzhou-2020", "yunzhou-2020")
    _overlapping_next_year(tmp_path)
    now[0] = 12
    assert watcher().ids == ("xinzhou-2020", "yunzhou-2020"), "a conflicting book is refused"


def test_an_older_installation_keeps_its_reference_file_as_its_campaign(tmp_path: Path) -> None:
    older = tmp_path / "reference.toml"
    older.write_text(PACKAGED_REFERENCE_FILE.read_text(encoding="utf-8") + "\n# edited\n", "utf-8")
    made = ensure_operator_campaigns(tmp_path / "campaigns")
    assert (made / "xinzhou-2020.toml").read_text(encoding="utf-8").endswith("# edited\n")
    assert not older.exists()
    assert load_campaigns(made).ids == ("xinzhou-2020",)


def test_province_and_city_scopes() -> None:
    assert parse_scopes(["central:1409"]) == {Scope(Role.CENTRAL, "1409")}
    assert parse_scopes(["province"]) == {Scope(Role.PROVINCE)}
    with pytest.raises(InvalidScopeError):
        parse_scopes(["central:14"])
    with pytest.raises(InvalidScopeError):
        parse_scopes(["province:1409"])
    xinzhou = ("140902", "140981")
    assert Caller("a", frozenset({Scope(Role.CENTRAL, "1409")})).sees_region("1409", xinzhou)
    assert not Caller("a", frozenset({Scope(Role.CENTRAL, "1499")})).sees_region("1409", xinzhou)
    assert Caller("p", frozenset({Scope(Role.PROVINCE)})).sees_region("1499", ())
    assert Caller("c", frozenset({Scope(Role.COUNTY, "140902")})).sees_region("1409", xinzhou)
    assert not Caller("c", frozenset({Scope(Role.COUNTY, "149902")})).sees_region("1409", xinzhou)
