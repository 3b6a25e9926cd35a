"""The mapping names institutions of the campaigns: any city's, any year's."""

from __future__ import annotations

from pathlib import Path

import pytest

from fineract.domain.mapping import FineractMapping
from fineract.mapping_file import MappingFileError, check_institutions
from fineract.testing import instance
from shared.campaigns import book_of, load_campaigns
from shared.reference import load_reference
from shared.testing import campaigns_dir

MAPPING = FineractMapping(instances=[instance("xzrcu"), instance("yzrcu"), instance("nobody")])


def test_the_institutions_no_campaign_has_are_named() -> None:
    assert MAPPING.unknown_institutions({"xzrcu", "yzrcu"}) == ["nobody"]
    assert FineractMapping().unknown_institutions(set()) == []


def test_a_mapping_is_checked_against_every_campaign(tmp_path: Path) -> None:
    book = load_campaigns(campaigns_dir(tmp_path / "c", "yunzhou-2020", "xinzhou-2021"))
    yunzhou = FineractMapping(instances=[instance("yzrcu")])
    check_institutions(yunzhou, book, None)  # Yunzhou's rural credit union: known
    with pytest.raises(MappingFileError, match="nobody is no institution of any campaign"):
        check_institutions(MAPPING, book, tmp_path / "mapping.toml")
    with pytest.raises(MappingFileError, match="yzrcu"):
        check_institutions(yunzhou, book_of([load_reference()]), None)  # Xinzhou's alone
