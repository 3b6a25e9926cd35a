"""Rows built from a scripted sequence of events over the real broker, in an awkward order:
the loan before its pairing, the pairing before the enterprise is known."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from shared.testing import eventually

from .ledger_fixtures import MovableClock, Publisher, new_uscc, running_ledger, shanghai

pytestmark = pytest.mark.integration

COUNTY = "140921"  # 定襄县: no other test of the ledger uses it


async def rows_of(http: httpx.AsyncClient, unit_id: str, period: str) -> list[dict[str, Any]]:
    response = await http.get(f"/ledgers/{unit_id}/{period}")
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()["rows"]
    return rows


async def test_rows_from_scripted_events(namespace: str, kafka_producer: AIOKafkaProducer) -> None:
    publish = Publisher(kafka_producer, namespace)
    a, b = new_uscc(), new_uscc()
    clock = MovableClock(shanghai(2020, 11, 5))
    async with running_ledger(namespace, clock) as (_, http):
        await publish.bank(
            "icbc",
            "LoanIssued",
            a,
            loan_id=f"L-{a}",
            uscc=a,
            enterprise_name="甲（银行登记名）",
            amount_wan="80.00",
            issued_on="2020-11-02",
            first_loan_attested=True,
            guarantee="credit",
        )
        await publish.bank(
            "icbc",
            "LoanIssued",
            a,
            loan_id=f"R-{a}",
            uscc=a,
            enterprise_name="甲",
            amount_wan="5.00",
            issued_on="2020-10-25",
            first_loan_attested=False,
            guarantee="credit",
        )
        await publish.bank(
            "icbc", "LoanReversed", a, loan_id=f"R-{a}", reversed_on="2020-10-26", reason="录入错误"
        )
        await publish.matched(a, "icbc", "2020-10-12", enterprise_name="甲（对接登记名）")
        await publish.bank(
            "icbc",
            "CreditGranted",
            a,
            credit_id=f"C-{a}",
            uscc=a,
            enterprise_name="甲",
            amount_wan="100.50",
            granted_on="2020-10-20",
            guarantee="government_guarantee",
            guarantor="忻州市融资担保公司",
        )
        await publish.matched(b, "abc", "2020-10-15", county_code=COUNTY)
        await publish.bank(
            "abc",
            "CreditDeclined",
            b,
            uscc=b,
            enterprise_name="定襄乙商贸有限公司",
            declined_on="2020-10-22",
            problems=["lack_of_collateral", "irregular_finances"],
            note="建议补充抵押物",
        )
        await publish.listed(a, "定襄甲农业科技有限公司", COUNTY)

        async def county_has_both() -> bool:
            rows = await rows_of(http, COUNTY, "2020-10")
            done = len(rows) == 2 and rows[0]["对接后发放新贷款金额(万元)"] == "80.00"
            return done and bool(
                rows[0]["授信金额(万元)"] and rows[1]["存在的主要问题(未授信填写此项)"]
            )

        await eventually(county_has_both, what="both pairings with the loan in the county ledger")
        first, second = await rows_of(http, COUNTY, "2020-10")
        assert first == {
            "填报单位": "定襄县",
            "对接时间": "2020-10-12",
            "对接银行": "工商银行忻州分行",
            "对接企业名称": "定襄甲农业科技有限公司",
            "对接成效(是否授信)": "是",
            "授信金额(万元)": "100.50",
            "担保情况": "政府性融资担保（忻州市融资担保公司）",
            "存在的主要问题(未授信填写此项)": "",
            "对接后发放新贷款金额(万元)": "80.00",
            "备注": "首贷对接会；冲正贷款1笔5.00万元",
        }
        assert second["对接企业名称"] == "定襄乙商贸有限公司"
        assert second["对接成效(是否授信)"] == "否"
        assert second["存在的主要问题(未授信填写此项)"] == "缺抵押、财务不规范"
        assert second["授信金额(万元)"] is None
        assert "建议补充抵押物" in second["备注"]

        institution = [
            r
            for r in await rows_of(http, "icbc", "2020-10")
            if r["对接企业名称"].startswith("定襄甲")
        ]
        assert [r["填报单位"] for r in institution] == ["工商银行忻州分行"]
        document = (await http.get(f"/ledgers/{COUNTY}/2020-10")).json()
        assert document["status"] == "draft"
        assert document["due_date"] == "2020-11-10"
        assert document["totals"] == {
            "row_count": 2,
            "granted_count": 1,
            "credit_amount_wan": "100.50",
            "loan_amount_wan": "80.00",
        }
        assert await rows_of(http, COUNTY, "2020-11") == []
        assert (await http.get("/ledgers/nowhere/2020-10")).status_code == 404
        bad_period = await http.get(f"/ledgers/{COUNTY}/2020-13")
        assert bad_period.status_code == 422
        assert bad_period.json()["detail"][0]["field"] == "period"


async def test_publicity_summed_in_the_county_summary(namespace: str) -> None:
    async with running_ledger(namespace, MovableClock(shanghai(2020, 11, 5))) as (_, http):
        for kind, people in (("briefing", 40), ("training", 25), ("briefing", 10)):
            activity = {
                "county_code": COUNTY,
                "held_on": "2020-10-16",
                "kind": kind,
                "title": "首贷专题宣讲会",
                "participants": people,
                "enterprises": 3,
                "institution_ids": ["icbc"],
            }
            created = await http.post("/publicity", json=activity)
            assert created.status_code == 201, created.text
        bad = await http.post(
            "/publicity",
            json={"county_code": "icbc", "held_on": "2020-10-16", "kind": "party", "title": "x"},
        )
        assert {p["field"] for p in bad.json()["detail"]} == {"county_code", "kind", "participants"}
        summary = (await http.get(f"/ledgers/{COUNTY}/2020-10")).json()["summary"]["publicity"]
        assert summary == {
            "activities": 3,
            "participants": 75,
            "enterprises": 9,
            "by_kind": {"briefing": 2, "training": 1},
        }
