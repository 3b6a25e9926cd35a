// A sortable table: click a header to sort by it (again to reverse); rows may be grouped
// (institutions by category), in which case sorting happens within each group.

import { el } from "./format.js";

export function renderTable(table, { columns, rows, rowKey, groups = null }) {
  const state = table._sort ?? { column: null, descending: false };
  table._sort = state;
  const head = el("tr", {}, columns.map((column, index) => {
    const th = el("th", { class: column.text ? "text" : null, scope: "col" }, column.label[0], el("span", { class: "en" }, column.label[1]));
    if (state.column === index) th.setAttribute("aria-sort", state.descending ? "descending" : "ascending");
    th.addEventListener("click", () => {
      state.descending = state.column === index ? !state.descending : Boolean(column.numeric);
      state.column = index;
      renderTable(table, { columns, rows, rowKey, groups });
    });
    return th;
  }));
  const sorted = sortRows(rows, columns[state.column], state.descending);
  const body = el("tbody");
  const addRows = (list) => {
    for (const row of list) {
      const tr = el("tr", { "data-unit": rowKey(row) }, columns.map((column) => {
        const cell = column.render ? column.render(row) : column.value(row);
        return el("td", { class: column.text ? "text" : null, "data-field": column.field ?? null }, cell);
      }));
      body.append(tr);
    }
  };
  if (groups) {
    for (const group of groups.order) {
      const members = sorted.filter((row) => groups.of(row) === group);
      if (!members.length) continue;
      body.append(el("tr", { class: "group" }, el("td", { colspan: columns.length }, groups.title(group))));
      addRows(members);
    }
  } else {
    addRows(sorted);
  }
  table.replaceChildren(el("thead", {}, head), body);
}

function sortRows(rows, column, descending) {
  if (!column) return rows;
  const sign = descending ? -1 : 1;
  return [...rows].sort((a, b) => {
    const left = column.value(a), right = column.value(b);
    if (left === right) return 0;
    if (left === null || left === undefined) return 1;
    if (right === null || right === undefined) return -1;
    return (left < right ? -1 : 1) * sign;
  });
}

export function flashRow(table, unitId) {
  const row = table.querySelector(`tr[data-unit="${CSS.escape(unitId)}"]`);
  if (!row) return;
  row.classList.remove("flash");
  void row.offsetWidth; // restart the animation
  row.classList.add("flash");
}
