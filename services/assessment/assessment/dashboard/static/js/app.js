// The dashboard page: headline, charts, tables, live feed, ledgers and checkpoints.

import { currentCampaign, getJSON, signIn, openEscalationsByUnit, withCampaign } from "./api.js";
import { pickCampaign } from "./campaigns.js";
import { attainmentBars, trendChart } from "./charts.js";
import { addFeedItem, connectFeed } from "./feed.js";
import { STATUS_COLOUR, el, forecastCell, int, pct, statusTag, time } from "./format.js";
import { ledgerGrid } from "./ledgers.js";
import { flashRow, renderTable } from "./table.js";

const state = { campaign: null, counties: [], institutions: [], citywide: null, open: [], names: new Map() };
const $ = (id) => document.getElementById(id);

function unitColumns(openCounts) {
  const ratio = (u) => u.attainment_ratio;
  return [
    { label: ["单位", "Unit"], text: true, field: "name", value: (u) => u.name,
      render: (u) => el("a", { href: withCampaign(`/units/${encodeURIComponent(u.unit_id)}`) }, u.name) },
    { label: ["培植目标", "Target cult."], numeric: true, field: "target_cultivated", value: (u) => u.targets?.cultivated ?? null, render: (u) => int(u.targets?.cultivated) },
    { label: ["培植户数", "Cultivated"], numeric: true, field: "cultivated", value: (u) => u.cultivated, render: (u) => int(u.cultivated) },
    { label: ["首贷目标", "Target 1st"], numeric: true, field: "target_first_loans", value: (u) => u.targets?.first_loans ?? null, render: (u) => int(u.targets?.first_loans) },
    { label: ["应达首贷", "Expected"], numeric: true, field: "expected", value: (u) => u.expected?.first_loans ?? null, render: (u) => int(u.expected?.first_loans) },
    { label: ["首贷户数", "First loans"], numeric: true, field: "first_loans", value: (u) => u.first_loans, render: (u) => int(u.first_loans) },
    { label: ["预测首贷", "Forecast"], numeric: true, field: "forecast", value: (u) => u.forecast?.first_loans ?? null, render: (u) => forecastCell(u.forecast) },
    { label: ["首贷率", "Rate"], numeric: true, field: "rate", value: (u) => u.first_loan_rate, render: (u) => pct(u.first_loan_rate) },
    { label: ["达成率", "Attainment"], numeric: true, field: "ratio", value: ratio, render: (u) => ratioCell(u) },
    { label: ["状态", "Status"], field: "status", value: (u) => u.status, render: (u) => statusTag(u.status) },
    { label: ["未结督办", "Open esc."], numeric: true, field: "open", value: (u) => openCounts.get(u.unit_id) ?? 0,
      render: (u) => { const n = openCounts.get(u.unit_id) ?? 0; return n ? el("span", { class: "count-badge" }, n) : el("span", { class: "zero" }, "0"); } },
  ];
}

function ratioCell(unit) {
  const ratio = unit.attainment_ratio;
  const bar = el("span", { class: "minibar" }, el("i"));
  if (ratio !== null) {
    bar.firstChild.style.width = `${Math.min(100, ratio * 100)}%`;
    bar.firstChild.style.background = STATUS_COLOUR[unit.status];
  }
  return el("span", { class: "ratio-cell" }, pct(ratio), bar);
}

function renderTables() {
  const counts = openEscalationsByUnit(state.open);
  renderTable($("county-table"), { columns: unitColumns(counts), rows: state.counties, rowKey: (u) => u.unit_id });
  const categories = state.campaign?.categories ?? [];
  renderTable($("institution-table"), {
    columns: unitColumns(counts),
    rows: state.institutions,
    rowKey: (u) => u.unit_id,
    groups: {
      order: [...new Set([...categories.map((c) => c.id), ...state.institutions.map((u) => u.category)])],
      of: (u) => u.category,
      title: (id) => { const c = categories.find((x) => x.id === id); return c ? `${c.name} · ${id}` : id; },
    },
  });
  attainmentBars($("county-bars"), state.counties);
}

function renderHeadline() {
  const city = state.citywide, campaign = state.campaign;
  if (!city || !campaign) return;
  const expected = state.counties.reduce((sum, u) => sum + (u.expected?.first_loans ?? 0), 0);
  const targetCultivated = state.counties.reduce((sum, u) => sum + (u.targets?.cultivated ?? 0), 0);
  const targetFirst = state.counties.reduce((sum, u) => sum + (u.targets?.first_loans ?? 0), 0);
  $("kpi-cultivated").textContent = int(city.cultivated);
  $("kpi-cultivated-note").textContent = `县域目标 Target ${int(targetCultivated)}`;
  $("kpi-first-loans").textContent = int(city.first_loans);
  $("kpi-first-loans-note").textContent = `应达 Expected ${int(expected)} · 目标 Target ${int(targetFirst)}`;
  $("kpi-rate").textContent = pct(city.first_loan_rate);
  const rate = city.first_loan_rate ?? 0;
  const colour = rate >= city.first_loan_rate_goal ? "#1a7f4b" : rate >= city.first_loan_rate_floor ? "#b7791f" : "#c53030";
  const scale = Math.max(0.5, rate * 1.1);
  const at = (r) => `${Math.min(100, (r / scale) * 100)}%`;
  const fill = el("span", { class: "fill" }); fill.style.width = at(rate); fill.style.background = colour;
  const tick = (r, text, kind) => { const t = el("span", { class: `tick ${kind}` }, el("span", {}, text)); t.style.left = at(r); return t; };
  $("rate-gauge").replaceChildren(fill, tick(city.first_loan_rate_floor, `底线 Floor ${pct(city.first_loan_rate_floor, 0)}`, "floor"), tick(city.first_loan_rate_goal, `目标 Goal ${pct(city.first_loan_rate_goal, 0)}`, "goal"));
  $("kpi-days-left").textContent = int(campaign.days_left);
  $("kpi-days-note").textContent = `第 ${campaign.day_number} / ${campaign.days} 天 · 截至 ${campaign.end}`;
  $("campaign-name").textContent = campaign.name;
  $("campaign-day").textContent = `${campaign.today} · 第 ${campaign.day_number} 天 Day ${campaign.day_number}`;
  const bySeverity = (s) => state.open.filter((e) => e.severity === s).length;
  $("kpi-open").textContent = int(state.open.length);
  $("kpi-open-note").textContent = `通报 ${bySeverity("circular")} · 约谈 ${bySeverity("talk")} · 预警 ${bySeverity("warning")}`;
}

async function loadFigures() {
  const [counties, institutions, open] = await Promise.all([
    getJSON("/attainment?level=county"),
    getJSON("/attainment?level=institution"),
    getJSON("/escalations?status=open"),
  ]);
  state.counties = counties.units;
  state.institutions = institutions.units;
  state.citywide = counties.citywide;
  state.open = open;
  for (const u of [...counties.units, ...institutions.units]) state.names.set(u.unit_id, u.name);
  renderHeadline();
  renderTables();
  document.body.dataset.asOf = counties.as_of;
}

async function loadTrend() {
  trendChart($("trend"), await getJSON("/dashboard/series"));
}

async function loadLedgers() {
  const grid = await getJSON("/dashboard/ledger-status");
  $("ledger-grid").replaceChildren(ledgerGrid(grid, () => true));
}

async function loadCheckpoints() {
  const checkpoints = await getJSON("/checkpoints");
  if (!checkpoints.length) {
    $("checkpoints").replaceChildren(el("div", { class: "message" }, "尚未运行考核节点 No checkpoint has been run yet"));
    return;
  }
  const rankings = await Promise.all(checkpoints.map((c) => getJSON(c.ranking)));
  $("checkpoints").replaceChildren(...checkpoints.map((c, i) => checkpointBlock(c, rankings[i])));
}

function checkpointBlock(checkpoint, ranking) {
  const top = (units) => units.slice(0, 5).map((u) => `${u.rank}. ${u.name} ${pct(u.attainment_ratio)}`).join("　");
  const bottom = (units) => units.slice(-3).map((u) => `${u.rank}. ${u.name} ${pct(u.attainment_ratio)}`).join("　");
  return el("table", { class: "grid checkpoint", "data-as-of": checkpoint.as_of },
    el("tbody", {},
      el("tr", {},
        el("td", { class: "text" }, el("strong", {}, checkpoint.as_of), ` 考核节点 Checkpoint · 运行于 ${time(checkpoint.run_at)} · 未达进度 ${checkpoint.under_target} 个单位`),
        el("td", { class: "downloads" }, el("a", { href: checkpoint.ranking_xlsx, download: "" }, "排名 xlsx"), "　", el("a", { href: checkpoint.circular_docx, download: "" }, "通报草稿 docx"))),
      el("tr", {}, el("td", { class: "text", colspan: 2 }, `县域前列 Top: ${top(ranking.counties)}　…　末位 Bottom: ${bottom(ranking.counties)}`)),
      el("tr", {}, el("td", { class: "text", colspan: 2 }, `机构前列 Top: ${top(ranking.institutions)}　…　末位 Bottom: ${bottom(ranking.institutions)}`))));
}

function debounce(action, ms) {
  let timer = null;
  return () => { clearTimeout(timer); timer = setTimeout(action, ms); };
}

function panel(id, load) {
  return load().catch((error) => {
    $(id).replaceChildren(el("div", { class: "message error" }, `加载失败 Failed to load: ${error.message}`));
  });
}

// The live feed carries every campaign's events: the page shows its own campaign's.
function ofThisCampaign(event) {
  return !event.campaign_id || event.campaign_id === currentCampaign();
}

function patchUnit(event) {
  const units = event.level === "county" ? state.counties : state.institutions;
  const unit = units.find((u) => u.unit_id === event.unit_id);
  if (!unit) return;
  Object.assign(unit, {
    cultivated: event.cultivated,
    first_loans: event.first_loans,
    first_loan_rate: event.first_loan_rate,
    attainment_ratio: event.attainment_ratio,
    status: event.status,
  });
  renderTables();
  flashRow($(event.level === "county" ? "county-table" : "institution-table"), event.unit_id);
}

async function main() {
  await signIn();
  await pickCampaign(document.querySelector(".clock"));
  state.campaign = await getJSON("/dashboard/campaign").catch(() => null);
  await Promise.all([
    panel("county-table", loadFigures),
    panel("trend", loadTrend),
    panel("ledger-grid", loadLedgers),
    panel("checkpoints", loadCheckpoints),
  ]);
  const refreshFigures = debounce(() => panel("county-table", loadFigures), 400);
  const refreshTrend = debounce(() => panel("trend", loadTrend), 3000);
  connectFeed({
    onState: (live) => {
      $("live-status").className = `live ${live ? "on" : "off"}`;
      $("live-status").textContent = live ? "● 实时 Live" : "○ 重连中 Reconnecting";
    },
    onEscalation: (event) => {
      if (!ofThisCampaign(event)) return;
      addFeedItem($("feed"), event, state.names);
      refreshFigures();
    },
    onAttainment: (event) => {
      if (!ofThisCampaign(event)) return;
      patchUnit(event);
      refreshFigures();
      refreshTrend();
    },
  });
  document.body.dataset.ready = "true";
}

main();
