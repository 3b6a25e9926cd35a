// One unit's page: its figures and what its forecast rests on, escalations history,
// anomalies, ledgers and enterprises.

import { getJSON, signIn } from "./api.js";
import { pickCampaign } from "./campaigns.js";
import { REASON, SEVERITY, STEP, el, forecastInterval, int, label, pct, severityTag, statusTag, time } from "./format.js";
import { figuresText } from "./feed.js";
import { ledgerGrid } from "./ledgers.js";
import { renderTable } from "./table.js";

const $ = (id) => document.getElementById(id);
const unitId = decodeURIComponent(location.pathname.split("/").pop());

function kpi(labelZh, labelEn, value, id, note) {
  return el("div", { class: "kpi" },
    el("div", { class: "label" }, `${labelZh} `, el("span", { class: "en" }, labelEn)),
    el("div", { class: "value", id }, value),
    note ? el("div", { class: "note", id: `${id}-note` }, note) : null);
}

function renderFigures(unit, campaign) {
  $("unit-kpis").replaceChildren(
    kpi("培植户数", "Cultivated", int(unit.cultivated), "unit-cultivated"),
    kpi("首贷户数", "First loans", int(unit.first_loans), "unit-first-loans"),
    kpi("应达首贷", "Expected", int(unit.expected?.first_loans), "unit-expected"),
    kpi("预测首贷", "Forecast at the end", int(unit.forecast?.first_loans), "unit-forecast",
      unit.forecast ? `区间 Interval ${forecastInterval(unit.forecast)}` : "尚无预测 No forecast yet"),
    kpi("首贷目标", "Target", int(unit.targets?.first_loans), "unit-target"),
    kpi("达成率", "Attainment", pct(unit.attainment_ratio), "unit-ratio"),
    el("div", { class: "kpi" }, el("div", { class: "label" }, "状态 ", el("span", { class: "en" }, "Status")), el("div", { class: "value" }, statusTag(unit.status))),
  );
  if (campaign) $("campaign-day").textContent = `${campaign.today} · 第 ${campaign.day_number} 天`;
}

// The funnel's stages, from listed to first loan, as `GET /attainment` gives them.
const STAGES = [
  ["listed", "在册", "Listed"],
  ["paired", "已对接", "Paired with a bank"],
  ["decided", "已到审批时限", "Decided (days to apply, 10 working days, days to draw)"],
  ["converted", "其中获首贷", "Of them, first loans"],
  ["deciding", "审批中", "Still in decision"],
  ["unpaired", "未对接", "Not paired yet"],
  ["first_loans", "首贷户数", "First loans"],
];

// What the forecast rests on: the unit's funnel and conversion beside the city's.
function renderBasis(unit) {
  const basis = unit?.forecast?.basis;
  if (!basis) {
    $("forecast-basis").replaceChildren(el("tbody", {}, el("tr", {}, el("td", { class: "text" }, "尚无预测 No forecast yet"))));
    return;
  }
  const share = (funnel, key) => (key === "paired" && funnel.listed ? ` (${pct(funnel.paired / funnel.listed, 0)})` : "");
  $("forecast-basis").replaceChildren(
    el("thead", {}, el("tr", {}, ["环节 Stage", "本单位 This unit", "全市 City"].map((h, i) => el("th", { class: i ? null : "text" }, h)))),
    el("tbody", {}, STAGES.map(([key, zhLabel, enLabel]) => el("tr", { "data-stage": key },
      el("td", { class: "text" }, `${zhLabel} `, el("span", { class: "en" }, enLabel)),
      el("td", { "data-of": "unit" }, int(basis.funnel[key]), share(basis.funnel, key)),
      el("td", { "data-of": "city" }, int(basis.city[key]), share(basis.city, key))))),
    el("tbody", {}, el("tr", {},
      el("td", { class: "text" }, "转化率 ", el("span", { class: "en" }, "Conversion of decided pairings")),
      el("td", { id: "basis-conversion" }, pct(basis.conversion)),
      el("td", { id: "basis-city-conversion" }, pct(basis.city_conversion)))));
  $("forecast-basis-note").replaceChildren(
    `尚可对接 May still pair: ${int(basis.unpaired)}（至多 at most ${int(basis.unpaired_at_most)}）；`,
    `按全市近期对接进度可及时对接 ${pct(basis.paired_in_time, 0)} of them at the city's recent pace. `,
    "区间上限按全部及时对接计 The high end counts every one of them paired in time.");
}

function renderEscalations(escalations) {
  const table = $("escalation-table");
  if (!escalations.length) {
    table.replaceChildren(el("tbody", {}, el("tr", {}, el("td", { class: "text" }, "无督办记录 No escalations"))));
    return;
  }
  table.replaceChildren(
    el("thead", {}, el("tr", {}, ["级别 Level", "事由 Reason", "状态 Status", "考核日 As of", "提出 Raised", "解除 Resolved", "数据 Figures", "经过 Story"].map((h) => el("th", { class: "text" }, h)))),
    el("tbody", {}, escalations.map((e) => el("tr", {},
      el("td", { class: "text" }, severityTag(e.severity)),
      el("td", { class: "text" }, label(REASON, e.reason)),
      el("td", { class: "text" }, e.status === "open" ? "未结 Open" : "已解除 Resolved"),
      el("td", { class: "text" }, e.as_of),
      el("td", { class: "text" }, time(e.raised_at)),
      el("td", { class: "text" }, time(e.resolved_at)),
      el("td", { class: "text" }, figuresText(e.figures)),
      el("td", { class: "text" }, storyList(e))))));
}

// What a step adds to its kind: who, the severity reached, the commitments and their due dates.
function stepDetail(step) {
  const d = step.detail ?? {};
  const parts = [];
  if (d.severity) parts.push(label(SEVERITY, d.severity));
  if (d.as_of) parts.push(`考核日 ${d.as_of}`);
  if (d.scheduled_on) parts.push(`约谈日 ${d.scheduled_on}`);
  if (d.attendees?.length) parts.push(`参加 ${d.attendees.map((a) => `${a.name}（${a.position}）`).join("、")}`);
  for (const r of d.rectifications ?? []) parts.push(`整改：${r.commitment}（${r.due_on} 前）`);
  if (step.kind !== "talk_held" && d.commitment) parts.push(`${d.commitment}（${d.due_on} 前）`);
  if (d.closing_note) parts.push(d.closing_note);
  if (d.note) parts.push(d.note);
  if (d.by) parts.push(`· ${d.by}`);
  return parts.join(" ");
}

// The escalation's story, oldest first; the plain history where no story was kept.
function storyList(escalation) {
  if (!escalation.story?.length) return escalation.history.map((step) => `${step.as_of} ${step.severity}`).join(" → ");
  return el("ol", { class: "story" }, escalation.story.map((step) => el("li", { "data-kind": step.kind },
    el("span", { class: "when" }, time(step.at)), " ",
    el("strong", {}, label(STEP, step.kind)), " ",
    el("span", { class: "detail" }, stepDetail(step)))));
}

function renderAnomalies(anomalies) {
  const table = $("anomaly-table");
  if (!anomalies.length) {
    table.replaceChildren(el("tbody", {}, el("tr", {}, el("td", { class: "text" }, "无异常 No anomalies"))));
    return;
  }
  const loan = (l) => `${l.institution_id} ${l.loan_id} · ${l.issued_on} · ${l.amount_wan} 万元`;
  table.replaceChildren(
    el("thead", {}, el("tr", {}, ["企业 USCC", "首贷申报 Claim", "在先贷款 Earlier loans (evidence)"].map((h) => el("th", { class: "text" }, h)))),
    el("tbody", {}, anomalies.map((a) => el("tr", {},
      el("td", { class: "text" }, el("a", { href: `/enterprises/${encodeURIComponent(a.uscc)}` }, a.uscc)),
      el("td", { class: "text" }, loan(a.claim)),
      el("td", { class: "text" }, a.evidence.map(loan).join("；"))))));
}

function renderDataQuality(quality) {
  if (!quality) return;
  $("data-quality-card").hidden = false;
  const row = (zh, en, count) => el("tr", {},
    el("td", { class: "text" }, `${zh} `, el("span", { class: "en" }, en)),
    el("td", {}, count ? el("span", { class: "count-badge" }, count) : el("span", { class: "zero" }, "0")));
  $("data-quality-table").replaceChildren(el("tbody", {},
    row("重复事件编号、内容不同", "Event id reused with other content (dead-lettered; first copy counted)", quality.conflicting_duplicates),
    row("同一贷款多个版本", "Loan reported in several versions (earliest issued copy counted)", quality.conflicting_loans)));
}

function renderEnterprises(enterprises, filter = "") {
  const rows = enterprises.filter((e) => e.uscc.includes(filter.trim().toUpperCase()));
  renderTable($("enterprise-table"), {
    rowKey: (e) => e.uscc,
    rows,
    columns: [
      { label: ["统一社会信用代码", "USCC"], text: true, value: (e) => e.uscc,
        render: (e) => el("a", { href: `/enterprises/${encodeURIComponent(e.uscc)}`, title: "一企一档 Enterprise file" }, e.uscc) },
      { label: ["在册县域", "Listed in"], text: true, value: (e) => e.listed_in ?? "", render: (e) => e.listed_in ?? "未在册 not listed" },
      { label: ["对接机构", "Institutions"], text: true, value: (e) => e.institutions.join(","), render: (e) => e.institutions.join("、") || "–" },
      { label: ["首贷机构", "First-loan bank"], text: true, value: (e) => e.first_loan?.institution_id ?? null, render: (e) => e.first_loan?.institution_id ?? "–" },
      { label: ["发放日", "Issued on"], value: (e) => e.first_loan?.issued_on ?? null, render: (e) => e.first_loan?.issued_on ?? "–" },
      { label: ["金额(万元)", "Amount"], numeric: true, value: (e) => (e.first_loan ? Number(e.first_loan.amount_wan) : null), render: (e) => e.first_loan?.amount_wan ?? "–" },
      { label: ["异常", "Anomalies"], numeric: true, value: (e) => e.anomalies, render: (e) => (e.anomalies ? el("span", { class: "count-badge" }, e.anomalies) : el("span", { class: "zero" }, "0")) },
    ],
  });
}

async function main() {
  await signIn();
  await pickCampaign(document.querySelector(".clock"));
  const [detail, campaign] = await Promise.all([
    getJSON(`/dashboard/units/${encodeURIComponent(unitId)}`),
    getJSON("/dashboard/campaign").catch(() => null),
  ]);
  document.title = `${detail.name} · 单位详情 Unit detail`;
  $("unit-name").textContent = detail.name;
  const category = campaign?.categories.find((c) => c.id === detail.category);
  $("unit-sub").textContent = `${detail.unit_id} · ${detail.level === "county" ? "县（市、区） County" : "金融机构 Institution"}${category ? ` · ${category.name}` : ""} · 企业 ${detail.enterprises.length} 户`;
  const attainment = await getJSON(`/attainment?level=${detail.level}`);
  const unit = attainment.units.find((u) => u.unit_id === detail.unit_id);
  if (unit) renderFigures(unit, campaign);
  renderBasis(unit);
  renderEscalations(detail.escalations);
  renderAnomalies(detail.anomalies);
  renderDataQuality(detail.data_quality);
  renderEnterprises(detail.enterprises);
  $("enterprise-filter").addEventListener("input", (event) => renderEnterprises(detail.enterprises, event.target.value));
  const ledgers = await getJSON("/dashboard/ledger-status").catch((error) => ({ available: false, message: error.message }));
  $("unit-ledgers").replaceChildren(ledgerGrid(ledgers, (cell) => cell.unit_id === detail.unit_id));
  document.body.dataset.ready = "true";
}

main().catch((error) => {
  document.querySelector("main").prepend(el("div", { class: "message error wide" }, `加载失败 Failed to load: ${error.message}`));
});
