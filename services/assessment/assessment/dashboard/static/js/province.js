// The province page: every city's campaign side by side on the same day, the province's
// totals (the sum of the cities), a trend chart per city and the institutions summed over
// the cities they lend in. Read with a `province` or `central` token.

import { getJSON, signIn } from "./api.js";
import { trendChart } from "./charts.js";
import { el, int, pct, statusTag } from "./format.js";
import { renderTable } from "./table.js";

const $ = (id) => document.getElementById(id);
const asOf = new URLSearchParams(location.search).get("as_of");
const dated = (path) => (asOf ? `${path}${path.includes("?") ? "&" : "?"}as_of=${asOf}` : path);

function cityColumns() {
  return [
    { label: ["排名", "Rank"], numeric: true, field: "rank", value: (c) => c.rank, render: (c) => int(c.rank) },
    { label: ["城市", "City"], text: true, field: "city", value: (c) => c.region.name,
      render: (c) => el("a", { href: `/?campaign=${encodeURIComponent(c.campaign.id)}` }, c.region.name) },
    { label: ["行动", "Campaign"], text: true, field: "campaign", value: (c) => c.campaign.id, render: (c) => `${c.campaign.name}（${c.campaign.start}–${c.campaign.end}）` },
    { label: ["培植目标", "Target cult."], numeric: true, field: "target_cultivated", value: (c) => c.targets?.cultivated ?? null, render: (c) => int(c.targets?.cultivated) },
    { label: ["培植户数", "Cultivated"], numeric: true, field: "cultivated", value: (c) => c.cultivated, render: (c) => int(c.cultivated) },
    { label: ["首贷目标", "Target 1st"], numeric: true, field: "target_first_loans", value: (c) => c.targets?.first_loans ?? null, render: (c) => int(c.targets?.first_loans) },
    { label: ["应达首贷", "Expected"], numeric: true, field: "expected", value: (c) => c.expected?.first_loans ?? null, render: (c) => int(c.expected?.first_loans) },
    { label: ["首贷户数", "First loans"], numeric: true, field: "first_loans", value: (c) => c.first_loans, render: (c) => int(c.first_loans) },
    { label: ["首贷率", "Rate"], numeric: true, field: "rate", value: (c) => c.first_loan_rate, render: (c) => pct(c.first_loan_rate) },
    { label: ["达成率", "Attainment"], numeric: true, field: "ratio", value: (c) => c.attainment_ratio, render: (c) => pct(c.attainment_ratio) },
    { label: ["状态", "Status"], field: "status", value: (c) => c.status, render: (c) => statusTag(c.status) },
    { label: ["未结督办", "Open esc."], numeric: true, field: "open", value: (c) => c.open_escalations ?? 0, render: (c) => int(c.open_escalations ?? 0) },
  ];
}

function institutionColumns(cities) {
  const perCity = cities.map((city) => ({
    label: [city.region.name, "首贷 / 培植 first loans / cultivated"], numeric: true, field: `city-${city.region.code}`,
    value: (i) => i.cities.find((c) => c.region_code === city.region.code)?.first_loans ?? null,
    render: (i) => {
      const there = i.cities.find((c) => c.region_code === city.region.code);
      return there ? `${int(there.first_loans)} / ${int(there.cultivated)}` : "–";
    },
  }));
  return [
    { label: ["机构", "Institution"], text: true, field: "name", value: (i) => i.name, render: (i) => `${i.name} · ${i.institution_id}` },
    ...perCity,
    { label: ["培植户数合计", "Cultivated"], numeric: true, field: "cultivated", value: (i) => i.cultivated, render: (i) => int(i.cultivated) },
    { label: ["首贷户数合计", "First loans"], numeric: true, field: "first_loans", value: (i) => i.first_loans, render: (i) => int(i.first_loans) },
  ];
}

function renderHeadline(province) {
  const totals = province.totals;
  $("as-of").textContent = `截至 As of ${province.as_of}`;
  $("kpi-cultivated").textContent = int(totals.cultivated);
  $("kpi-cultivated-note").textContent = `目标 Target ${int(totals.targets?.cultivated)}`;
  $("kpi-first-loans").textContent = int(totals.first_loans);
  $("kpi-first-loans-note").textContent = `应达 Expected ${int(totals.expected?.first_loans)} · 目标 Target ${int(totals.targets?.first_loans)}`;
  $("kpi-rate").textContent = pct(totals.first_loan_rate);
  $("kpi-ratio").textContent = pct(totals.attainment_ratio);
  $("kpi-cities").textContent = int(province.cities.length);
}

function totalsRow(table, totals) {
  const cells = [
    "", "全省合计 Province", "", int(totals.targets?.cultivated), int(totals.cultivated),
    int(totals.targets?.first_loans), int(totals.expected?.first_loans), int(totals.first_loans),
    pct(totals.first_loan_rate), pct(totals.attainment_ratio), "", "",
  ];
  const row = el("tr", { class: "totals", "data-unit": "province" }, cells.map((text, i) => el("td", { class: i < 3 ? "text" : null }, text)));
  table.append(el("tfoot", {}, row));
}

async function loadProvince() {
  const province = await getJSON(dated("/province"));
  renderHeadline(province);
  const cities = $("city-table");
  renderTable(cities, { columns: cityColumns(), rows: province.cities, rowKey: (c) => c.region.code });
  totalsRow(cities, province.totals);
  renderTable($("institution-table"), { columns: institutionColumns(province.cities), rows: province.institutions, rowKey: (i) => i.institution_id });
  document.body.dataset.asOf = province.as_of;
}

async function loadTrends() {
  const series = await getJSON(dated("/province/series"));
  const charts = series.cities.map((city) => {
    const chart = el("div", { class: "chart", "data-city": city.region.code });
    const figure = el("figure", { class: "city-trend" }, el("figcaption", {}, `${city.region.name} · ${city.campaign.id}`), chart);
    trendChart(chart, city);
    return figure;
  });
  $("city-trends").replaceChildren(...charts);
}

function panel(id, load) {
  return load().catch((error) => {
    $(id).replaceChildren(el("div", { class: "message error" }, `加载失败 Failed to load: ${error.message}`));
  });
}

async function main() {
  await signIn();
  await Promise.all([panel("city-table", loadProvince), panel("city-trends", loadTrends)]);
  document.body.dataset.ready = "true";
}

main();
