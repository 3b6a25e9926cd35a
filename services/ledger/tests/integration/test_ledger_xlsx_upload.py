"""The ledger as xlsx, read back unchanged (no discrepancy), and a hand-kept ledger with
differences and errors."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from openpyxl import load_workbook

from ledger.spreadsheet import MEDIA_TYPE
from shared.testing import eventually

from .ledger_fixtures import MovableClock, Publisher, new_uscc, running_ledger, shanghai

pytestmark = pytest.mark.integration

COUNTY = "140922"  # 五台县: no other test of the ledger uses it


async def upload(http: httpx.AsyncClient, content: bytes) -> dict[str, Any]:
    files = {"file": ("台帐.xlsx", content, MEDIA_TYPE)}
    response = await http.post(f"/ledgers/{COUNTY}/2020-10/upload", files=files)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_xlsx_round_trip_and_discrepancies(
    namespace: str, kafka_producer: AIOKafkaProducer
) -> None:
    publish = Publisher(kafka_producer, namespace)
    a, b = new_uscc(), new_uscc()
    async with running_ledger(namespace, MovableClock(shanghai(2020, 11, 3))) as (_, http):
        await publish.matched(a, "ccb", "2020-10-09", county_code=COUNTY, enterprise_name="五台甲")
        await publish.matched(b, "ccb", "2020-10-19", county_code=COUNTY, enterprise_name="五台乙")
        await publish.bank(
            "ccb",
            "CreditGranted",
            a,
            credit_id=f"C-{a}",
            uscc=a,
            enterprise_name="五台甲",
            amount_wan="30.25",
            granted_on="2020-10-12",
            guarantee="collateral",
        )
        await publish.bank(
            "ccb",
            "LoanIssued",
            a,
            loan_id=f"L-{a}",
            uscc=a,
            enterprise_name="五台甲",
            amount_wan="30.25",
            issued_on="2020-10-16",
            first_loan_attested=True,
            guarantee="collateral",
        )

        async def built() -> bool:
            rows = (await http.get(f"/ledgers/{COUNTY}/2020-10")).json()["rows"]
            return len(rows) == 2 and rows[0]["对接后发放新贷款金额(万元)"] == "30.25"

        await eventually(built, what="the county ledger to show both pairings and the loan")
        response = await http.get(f"/ledgers/{COUNTY}/2020-10", headers={"Accept": MEDIA_TYPE})
        assert response.status_code == 200
        assert response.headers["content-type"] == MEDIA_TYPE
        content = response.content

        ws = load_workbook(io.BytesIO(content)).active
        assert ws is not None
        assert ws["A1"].value == "普惠小微企业首贷培植行动工作台帐"
        assert "五台县" in ws["A2"].value
        assert "2020年10月" in ws["A2"].value
        assert [c.value for c in ws[3]][4] == "对接成效(是否授信)"
        assert ws["F4"].value == 30.25
        assert ws["F4"].number_format == "#,##0.00"
        assert ws["A6"].value == "合计"
        assert ws["I6"].value == 30.25
        assert ws.page_setup.orientation == "landscape"
        assert ws.print_title_rows == "$3:$3"

        same = await upload(http, content)
        assert (same["valid"], same["rows"], same["discrepancies"]) == (True, 2, [])
        assert same["matches_events"] is True

        book = load_workbook(io.BytesIO(content))
        ws = book.active
        assert ws is not None
        ws["I4"] = 40  # a different loan amount for 五台甲
        ws.delete_rows(5)  # 五台乙 left out
        ws.insert_rows(5)
        extra: list[str | datetime | None] = [
            "五台县",
            datetime(2020, 10, 21),
            "建设银行忻州分行",
            "五台丙",
            "否",
            None,
            None,
        ]
        for column, value in enumerate([*extra, "缺担保", None, None], start=1):
            ws.cell(row=5, column=column, value=value)
        ws.insert_rows(6)
        bad = ["五台县", "2020-09-30", "某某银行", "五台丁", "是", "1.234", None, None, None, None]
        for column, value in enumerate(bad, start=1):
            ws.cell(row=6, column=column, value=value)
        buffer = io.BytesIO()
        book.save(buffer)

        result = await upload(http, buffer.getvalue())
        assert result["valid"] is False
        assert {(e["row"], e["column"]) for e in result["errors"]} == {
            (6, "对接时间"),
            (6, "对接银行"),
            (6, "授信金额(万元)"),
            (6, "担保情况"),
        }
        found = {(d["kind"], d["enterprise_name"], d["column"]) for d in result["discrepancies"]}
        assert found == {
            ("differs", "五台甲", "对接后发放新贷款金额(万元)"),
            ("extra_row", "五台丙", None),
            ("missing_row", "五台乙", None),
        }
        loan = next(d for d in result["discrepancies"] if d["kind"] == "differs")
        assert (loan["uploaded"], loan["built"], loan["row"]) == ("40.00", "30.25", 4)

        junk = await http.post(
            f"/ledgers/{COUNTY}/2020-10/upload", files={"file": ("x.xlsx", b"not a workbook")}
        )
        assert junk.status_code == 422
        assert junk.json()["detail"][0]["field"] == "file"
