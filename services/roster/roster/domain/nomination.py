"""Screening a nomination against contract §5 rule 1: every reason, never just the first."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from roster.domain.reasons import Reason, ReasonCode
from roster.domain.size_standard import Classification, FiguredClass, Figures, SizeStandard
from shared.contracts.roster import NominationSource, SizeClass
from shared.dates import years_before
from shared.validators import describe_problem, normalize_uscc, uscc_problem

ELIGIBLE_CLASSES = frozenset(SizeClass)
ASSIGNING_SOURCES = frozenset({NominationSource.BANK, NominationSource.SUPPLY_CHAIN})


@dataclass(frozen=True)
class NominationDraft:
    """What the nominator sent; None where a field was missing or malformed."""

    uscc: str | None = None
    name: str | None = None
    county_code: str | None = None
    size_class: str | None = None
    industry: str | None = None
    figures: Figures = field(default_factory=Figures)
    source: NominationSource | None = None
    nominated_by: str | None = None
    nominated_on: date | None = None
    financing_need_wan: Decimal | None = None
    attested: bool | None = None
    institution_id: str | None = None
    campaign: str | None = None
    """The campaign named; None: the one the county and the day say (roster.domain.campaigns)."""


@dataclass(frozen=True)
class Nomination:
    """A nomination that passed every rule of its campaign."""

    campaign_id: str
    uscc: str
    name: str
    county_code: str
    size_class: SizeClass
    size_verified: FiguredClass | None
    industry: str | None
    figures: Figures
    source: NominationSource
    nominated_by: str
    nominated_on: date
    financing_need_wan: Decimal | None
    institution_id: str | None
    late: bool

    @property
    def assigns_to(self) -> str | None:
        """The institution a bank (own screening or supply chain) nomination assigns to."""
        return self.institution_id if self.source in ASSIGNING_SOURCES else None


@dataclass(frozen=True)
class PriorLoan:
    institution_id: str
    loan_id: str
    issued_on: date


@dataclass(frozen=True)
class Checks:
    """What a nomination is checked against: a campaign's counties and institutions, or,
    when no campaign could be told, every campaign's (to find every other reason)."""

    county_codes: frozenset[str]
    institution_ids: frozenset[str]
    look_back_years: int
    standard: SizeStandard
    today: date
    """Nothing can be nominated on a day still to come."""


@dataclass(frozen=True)
class Rules(Checks):
    """The rules of one campaign."""

    campaign_id: str
    list_deadline: date


def screen(
    draft: NominationDraft,
    rules: Rules,
    loans: Mapping[str, Sequence[PriorLoan]],
    problems: Sequence[Reason] = (),
) -> Nomination | list[Reason]:
    """The nomination accepted into the rules' campaign, or every reason to refuse it
    (`problems` from parsing first)."""
    uscc = normalize_uscc(draft.uscc) if draft.uscc is not None else None
    classification = _classification(draft, rules)
    reasons = _reasons(draft, uscc, classification, rules, loans, problems)
    if reasons:
        return reasons
    return _accepted(draft, uscc, classification, rules)


def reasons_against(
    draft: NominationDraft,
    checks: Checks,
    loans: Mapping[str, Sequence[PriorLoan]],
    problems: Sequence[Reason] = (),
) -> list[Reason]:
    """Every reason to refuse the draft under `checks` (none: it passes them)."""
    uscc = normalize_uscc(draft.uscc) if draft.uscc is not None else None
    return _reasons(draft, uscc, _classification(draft, checks), checks, loans, problems)


def _reasons(
    draft: NominationDraft,
    uscc: str | None,
    classification: Classification | None,
    checks: Checks,
    loans: Mapping[str, Sequence[PriorLoan]],
    problems: Sequence[Reason],
) -> list[Reason]:
    return [
        *problems,
        *_uscc_reasons(uscc),
        *_county_reasons(draft, checks),
        *_size_reasons(draft, classification),
        *_attestation_reasons(draft),
        *_date_reasons(draft, checks),
        *_institution_reasons(draft, checks),
        *_prior_loan_reasons(uscc, draft.nominated_on, checks, loans),
    ]


def _accepted(
    draft: NominationDraft, uscc: str | None, found: Classification | None, rules: Rules
) -> Nomination:
    # Every rule passed, so no field the rules need is None.
    assert uscc is not None
    assert draft.name is not None
    assert draft.county_code is not None
    assert draft.size_class is not None
    assert draft.source is not None
    assert draft.nominated_by is not None
    assert draft.nominated_on is not None
    return Nomination(
        campaign_id=rules.campaign_id,
        uscc=uscc,
        name=draft.name,
        county_code=draft.county_code,
        size_class=SizeClass(draft.size_class),
        size_verified=found.figured if found else None,
        industry=draft.industry,
        figures=draft.figures,
        source=draft.source,
        nominated_by=draft.nominated_by,
        nominated_on=draft.nominated_on,
        financing_need_wan=draft.financing_need_wan,
        institution_id=draft.institution_id,
        late=draft.nominated_on > rules.list_deadline,
    )


def _uscc_reasons(uscc: str | None) -> list[Reason]:
    problem = uscc_problem(uscc) if uscc is not None else None
    if problem is None:
        return []
    return [
        Reason(
            ReasonCode.INVALID_USCC,
            "uscc",
            f"统一社会信用代码 {uscc} 无效（{problem.value}）",
            f"invalid USCC {uscc} ({problem.value}): {describe_problem(problem)}",
        )
    ]


def _county_reasons(draft: NominationDraft, rules: Checks) -> list[Reason]:
    if draft.county_code is None or draft.county_code in rules.county_codes:
        return []
    campaign = _campaign_named(rules)
    return [
        Reason(
            ReasonCode.COUNTY_NOT_IN_CAMPAIGN,
            "county_code",
            f"县（市、区）代码 {draft.county_code} 不在{campaign.zh}行动范围内",
            f"county {draft.county_code} is not one of {campaign.en} counties",
        )
    ]


@dataclass(frozen=True)
class _Named:
    zh: str
    en: str


def _campaign_named(rules: Checks) -> _Named:
    """How a message names the campaign: by its id, or as any campaign's when none was told."""
    if isinstance(rules, Rules):
        return _Named(f"培植行动 {rules.campaign_id} 的", f"the campaign {rules.campaign_id}'s")
    return _Named("任何培植行动的", "any campaign's")


def _classification(draft: NominationDraft, rules: Checks) -> Classification | None:
    return rules.standard.classify(draft.industry, draft.figures)


def _size_reasons(draft: NominationDraft, found: Classification | None) -> list[Reason]:
    if draft.size_class is None:
        return []
    if draft.size_class not in {c.value for c in ELIGIBLE_CLASSES}:
        return [
            Reason(
                ReasonCode.SIZE_CLASS_NOT_ELIGIBLE,
                "size_class",
                f"企业规模 {draft.size_class} 不属于小型、微型企业或个体工商户",
                f"size class {draft.size_class!r} is not small, micro or individual",
            )
        ]
    if found is None or found.figured is not FiguredClass.MEDIUM_OR_LARGE:
        return []
    zh, en = found.describe_bounds()
    return [
        Reason(
            ReasonCode.SIZE_CONTRADICTED,
            "size_class",
            f"按{found.industry.name_zh}划型标准，{zh}，属中型及以上企业，与申报的规模不符",
            f"by the {found.industry.id} thresholds ({en}) the figures make a medium or large "
            f"enterprise, not {draft.size_class}",
        )
    ]


def _date_reasons(draft: NominationDraft, rules: Checks) -> list[Reason]:
    if draft.nominated_on is None or draft.nominated_on <= rules.today:
        return []
    return [
        Reason(
            ReasonCode.NOMINATED_IN_FUTURE,
            "nominated_on",
            f"推荐日期{draft.nominated_on}晚于今天",
            f"the nomination date {draft.nominated_on} is after today ({rules.today})",
        )
    ]


def _attestation_reasons(draft: NominationDraft) -> list[Reason]:
    if draft.attested is not False:
        return []
    return [
        Reason(
            ReasonCode.NOT_ATTESTED,
            "no_loan_in_5y_attested",
            "推荐单位未承诺企业近5年无贷款",
            "the nominator does not attest that the enterprise had no loan in 5 years",
        )
    ]


def _institution_reasons(draft: NominationDraft, rules: Checks) -> list[Reason]:
    if draft.institution_id is not None and draft.institution_id not in rules.institution_ids:
        return [
            Reason(
                ReasonCode.UNKNOWN_INSTITUTION,
                "institution_id",
                f"金融机构 {draft.institution_id} 不在{_campaign_named(rules).zh}参与机构名单中",
                f"no institution {draft.institution_id!r} in {_campaign_named(rules).en} list",
            )
        ]
    if draft.source is NominationSource.BANK and draft.institution_id is None:
        return [
            Reason(
                ReasonCode.INSTITUTION_REQUIRED,
                "institution_id",
                "银行推荐须填写推荐银行 institution_id",
                "a bank nomination names its institution_id",
            )
        ]
    return []


def _prior_loan_reasons(
    uscc: str | None,
    nominated_on: date | None,
    rules: Checks,
    loans: Mapping[str, Sequence[PriorLoan]],
) -> list[Reason]:
    if uscc is None or nominated_on is None:
        return []
    since = years_before(nominated_on, rules.look_back_years)
    return [
        Reason(
            ReasonCode.PRIOR_LOAN,
            "uscc",
            f"该企业已于 {loan.issued_on} 获得 {loan.institution_id} 贷款（{loan.loan_id}），"
            f"推荐日前{rules.look_back_years}年内有贷款记录",
            f"a loan {loan.loan_id} from {loan.institution_id} on {loan.issued_on}, within "
            f"{rules.look_back_years} years before {nominated_on}",
        )
        for loan in sorted(loans.get(uscc, ()), key=lambda loan: loan.issued_on)
        if since <= loan.issued_on < nominated_on
    ]
