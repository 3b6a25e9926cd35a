from datetime import date
from pathlib import Path

import pytest

from shared.reference import (
    PACKAGED_REFERENCE_FILE,
    ReferenceData,
    ReferenceDataError,
    Targets,
    UnknownCountyError,
    UnknownInstitutionError,
    load_reference,
)

CONTRACT_COUNTIES = {
    "140902": "忻府区",
    "140981": "原平市",
    "140921": "定襄县",
    "140922": "五台县",
    "140923": "代县",
    "140924": "繁峙县",
    "140925": "宁武县",
    "140926": "静乐县",
    "140927": "神池县",
    "140928": "五寨县",
    "140929": "岢岚县",
    "140930": "河曲县",
    "140931": "保德县",
    "140932": "偏关县",
}
CONTRACT_INSTITUTIONS = {
    "icbc": ("工商银行忻州分行", "state_owned"),
    "abc": ("农业银行忻州分行", "state_owned"),
    "boc": ("中国银行忻州分行", "state_owned"),
    "ccb": ("建设银行忻州分行", "state_owned"),
    "psbc": ("邮储银行忻州市分行", "state_owned"),
    "adbc": ("农业发展银行忻州市分行", "policy"),
    "spdb": ("浦发银行忻州支行", "joint_stock_city"),
    "jinshang": ("晋商银行忻州分行", "joint_stock_city"),
    "jincheng": ("晋城银行忻州分行", "joint_stock_city"),
    "datong": ("大同银行忻州分行", "joint_stock_city"),
    "xzrcu": ("忻州市农村信用联社", "rural_credit"),
}


@pytest.fixture(scope="module")
def reference() -> ReferenceData:
    return load_reference(PACKAGED_REFERENCE_FILE)


def write_variant(tmp_path: Path, old: str, new: str) -> Path:
    """The packaged file with the first `old` replaced by `new`."""
    text = PACKAGED_REFERENCE_FILE.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in the packaged file"
    variant = tmp_path / "reference.toml"
    variant.write_text(text.replace(old, new, 1), encoding="utf-8")
    return variant


def test_campaign_matches_the_contract(reference: ReferenceData) -> None:
    campaign = reference.campaign
    assert campaign.id == "xinzhou-2020"
    assert (campaign.start, campaign.end) == (date(2020, 9, 1), date(2020, 12, 31))
    assert campaign.list_deadline == date(2020, 9, 10)
    assert campaign.timezone == "Asia/Shanghai"
    assert campaign.ledger_due_day == 10
    assert campaign.special_reports_per_month == 1
    assert campaign.fairs_per_county == 1
    assert (campaign.first_loan_rate_floor, campaign.first_loan_rate_goal) == (0.30, 0.40)
    assert campaign.look_back_years == 5
    assert campaign.credit_process_goal_workdays == 10
    assert reference.campaign_days == 122


def test_thresholds_match_the_contract(reference: ReferenceData) -> None:
    thresholds = reference.thresholds
    assert thresholds.warning_from_campaign_day == 30
    assert thresholds.warning_ratio == 0.6
    assert thresholds.talk_ratio == 0.6
    assert thresholds.circular_ratio == 0.3
    assert thresholds.falsification_anomalies == 3


def test_counties_match_the_contract(reference: ReferenceData) -> None:
    assert {county.code: county.name for county in reference.counties} == CONTRACT_COUNTIES
    assert reference.county("140902").targets == Targets(cultivated=600, first_loans=400)
    assert reference.county("140902").aliases == ("忻州市区",)
    others = [county for county in reference.counties if county.code != "140902"]
    assert {county.targets for county in others} == {Targets(cultivated=300, first_loans=200)}
    assert sum(county.targets.cultivated for county in reference.counties) == 4500
    assert sum(county.targets.first_loans for county in reference.counties) == 3000


def test_institutions_match_the_contract(reference: ReferenceData) -> None:
    listed = {i.id: (i.name, i.category) for i in reference.institutions}
    assert listed == CONTRACT_INSTITUTIONS
    assert reference.institution_ids == frozenset(CONTRACT_INSTITUTIONS)


def test_category_targets_match_the_contract(reference: ReferenceData) -> None:
    targets = {category.id: category.targets for category in reference.institution_categories}
    assert targets == {
        "state_owned": Targets(cultivated=500, first_loans=340),
        "joint_stock_city": Targets(cultivated=140, first_loans=100),
        "rural_credit": Targets(cultivated=800, first_loans=500),
        "village_bank": Targets(cultivated=20, first_loans=10),
        "policy": None,
    }


def test_institution_targets_come_from_the_category(reference: ReferenceData) -> None:
    assert reference.targets_for_institution("xzrcu") == Targets(cultivated=800, first_loans=500)
    assert reference.targets_for_institution("adbc") is None
    per_institution = [reference.targets_for_institution(i) for i in reference.institution_ids]
    with_targets = [targets for targets in per_institution if targets is not None]
    assert sum(targets.cultivated for targets in with_targets) == 3860
    assert sum(targets.first_loans for targets in with_targets) == 2600


def test_lookups(reference: ReferenceData) -> None:
    assert reference.county("140932").name == "偏关县"
    assert reference.institution("spdb").name == "浦发银行忻州支行"
    assert reference.bank_topic("jincheng") == "bank.jincheng.events"
    assert "140981" in reference.county_codes


@pytest.mark.parametrize(
    ("day", "number"),
    [(date(2020, 9, 1), 1), (date(2020, 9, 30), 30), (date(2020, 12, 31), 122)],
)
def test_campaign_day_numbers(reference: ReferenceData, day: date, number: int) -> None:
    assert reference.campaign.day_number(day) == number


@pytest.mark.parametrize(
    ("month", "due"),
    [((2020, 9), date(2020, 10, 10)), ((2020, 12), date(2021, 1, 10))],
)
def test_ledger_due_dates(reference: ReferenceData, month: tuple[int, int], due: date) -> None:
    assert reference.campaign.ledger_due_date(*month) == due


def test_unknown_lookups_fail(reference: ReferenceData) -> None:
    with pytest.raises(UnknownCountyError, match="140000"):
        reference.county("140000")
    with pytest.raises(UnknownInstitutionError, match="nobank"):
        reference.institution("nobank")
    with pytest.raises(UnknownInstitutionError):
        reference.bank_topic("nobank")
    with pytest.raises(UnknownInstitutionError):
        reference.targets_for_institution("nobank")


def test_the_packaged_file_is_the_default() -> None:
    assert load_reference().campaign.id == "xinzhou-2020"
    assert load_reference().region.code == "1409"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('code = "140981"', 'code = "140902"', "duplicate county code '140902'"),
        ('code = "140981"', 'code = "14098"', r"counties\.1\.code: String should match pattern"),
        ('name = "原平市"', 'name = "忻州市区"', "duplicate county name '忻州市区'"),
        ('id = "abc"', 'id = "icbc"', "duplicate institution id 'icbc'"),
        ('id = "abc"', 'id = "ABC"', r"institutions\.1\.id: String should match pattern"),
        ('id = "policy"', 'id = "village_bank"', "duplicate category id 'village_bank'"),
        (
            'category = "rural_credit"',
            'category = "rural"',
            "institution 'xzrcu' has unknown category 'rural'",
        ),
        ("end = 2020-12-31", "end = 2020-08-31", "campaign end 2020-08-31 must be after its start"),
        ("list_deadline = 2020-09-10", "list_deadline = 2021-01-10", "must be inside the campaign"),
        ("first_loan_rate_floor = 0.30", "first_loan_rate_floor = 0.5", "exceeds the goal"),
        ('timezone = "Asia/Shanghai"', 'timezone = "Asia/Xinzhou"', "unknown time zone"),
        ("ledger_due_day = 10", "ledger_due_day = 31", r"ledger_due_day: Input should be less"),
        ("warning_ratio = 0.6", "warning_ratio = 1.5", r"warning_ratio: Input should be less"),
        ("circular_ratio = 0.3", "circular_ratio = 0", r"circular_ratio: Input should be greater"),
        ("circular_ratio = 0.3", "circular_ratio = 0.7", "must not exceed talk_ratio"),
        ("falsification_anomalies = 3", "falsification_anomalies = 0", "falsification_anomalies"),
        ("warning_from_campaign_day = 30", "warning_from_campaign_day = 200", "after the campaign"),
        ("first_loans = 400", "first_loans = 700", "first_loans target 700 exceeds cultivated"),
        ("cultivated = 600", "cultivated = -1", r"counties\.0\.targets\.cultivated"),
        ("ledger_due_day = 10", "ledger_due_dya = 10", "ledger_due_dya: Extra inputs"),
        ("[thresholds]", "[threshold]", r"thresholds: Field required"),
        ("start = 2020-09-01", "start = 2020-09-01 x", "not valid TOML"),
    ],
)
def test_invalid_reference_data_is_explained(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    variant = write_variant(tmp_path, old, new)
    with pytest.raises(ReferenceDataError, match=message) as raised:
        load_reference(variant)
    assert str(variant) in str(raised.value)


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    variant = write_variant(tmp_path, 'code = "140981"', 'code = "140902"')
    variant.write_text(
        variant.read_text(encoding="utf-8").replace('id = "abc"', 'id = "icbc"'),
        encoding="utf-8",
    )
    with pytest.raises(ReferenceDataError) as raised:
        load_reference(variant)
    assert "duplicate county code" in str(raised.value)
    assert "duplicate institution id" in str(raised.value)
