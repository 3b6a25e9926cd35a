// The ledger status grid (unit × month), as the ledger service reports it.

import { LEDGER, el, label, time } from "./format.js";

export function ledgerGrid(grid, keep) {
  if (!grid.available) return el("div", { class: "message error", id: "ledger-unavailable" }, grid.message);
  const cells = grid.cells.filter(keep);
  if (!cells.length) return el("div", { class: "message" }, "暂无台帐 No ledgers yet");
  const units = [...new Map(cells.map((c) => [c.unit_id, c.unit_name])).entries()];
  const byKey = new Map(cells.map((c) => [`${c.unit_id}/${c.period}`, c]));
  const table = el("table", { class: "grid ledger-grid" },
    el("thead", {}, el("tr", {}, el("th", {}, "单位 ", el("span", { class: "en" }, "Unit")), grid.periods.map((p) => el("th", { class: "cell" }, p)))),
    el("tbody", {}, units.map(([id, name]) => el("tr", { "data-unit": id },
      el("td", {}, el("a", { href: `/units/${encodeURIComponent(id)}` }, name)),
      grid.periods.map((period) => {
        const cell = byKey.get(`${id}/${period}`);
        if (!cell) return el("td", { class: "cell" });
        const title = `${label(LEDGER, cell.ledger)}; 专题信息 ${cell.special_report}; 截止 ${time(cell.due_at)}`;
        return el("td", { class: "cell", title },
          el("span", { class: `mark ${cell.ledger}` }, LEDGER[cell.ledger]?.[0] ?? cell.ledger),
          cell.special_report === "missing" ? el("span", { class: "report-missing" }, " 缺专报") : null);
      })))));
  const legend = el("div", { class: "legend" }, Object.keys(LEDGER).map((k) => el("span", {}, el("span", { class: `mark ${k}` }, LEDGER[k][0]), ` ${LEDGER[k][1]}`)), el("span", { class: "report-missing" }, "缺专报 special report missing"));
  return el("div", {}, table, legend);
}
