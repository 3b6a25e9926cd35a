// One enterprise's file (一企一档) across campaigns: a block per campaign it has a part in
// (listing periods, institutions, first loan or none, anomalies) and a table of its facts,
// which belong to no campaign. A county sub-branch or a bank reads it as its own unit.

import { currentCampaign, getJSON, signIn } from "./api.js";
import { el, int } from "./format.js";
import { renderTable } from "./table.js";

const $ = (id) => document.getElementById(id);
const uscc = decodeURIComponent(location.pathname.split("/").pop());
const CAMPAIGN_STATUS = { planned: "未开始 Planned", running: "进行中 Running", ended: "已结束 Ended" };
const KIND = { loan: ["贷款", "Loan"], reversal: ["冲正", "Reversal"], pairing: ["银企对接", "Pairing"] };

// Supervisors read every campaign of their scope; a county sub-branch reads the file as its
// county, a bank as itself (the JSON then needs to be told which unit: the token's own).
function asUnit(caller) {
  const asked = new URLSearchParams(location.search);
  for (const name of ["county_code", "institution_id"]) {
    if (asked.get(name)) return `?${name}=${encodeURIComponent(asked.get(name))}`;
  }
  const scopes = caller.scopes ?? [];
  const supervisor = caller.mode === "none" || scopes.some((s) => s === "central" || s.startsWith("central:") || s === "province");
  if (supervisor) return "";
  const county = scopes.find((s) => s.startsWith("county:"));
  if (county) return `?county_code=${encodeURIComponent(county.slice("county:".length))}`;
  const bank = scopes.find((s) => s.startsWith("institution:"));
  return bank ? `?institution_id=${encodeURIComponent(bank.slice("institution:".length))}` : "";
}

const loanText = (l) => `${l.institution_id} ${l.loan_id} · ${l.issued_on} · ${l.amount_wan} 万元`;
const unitLink = (unitId, campaignId, text) =>
  el("a", { href: `/units/${encodeURIComponent(unitId)}?campaign=${encodeURIComponent(campaignId)}` }, text);

function row(zhLabel, enLabel, field, ...content) {
  return el("tr", {},
    el("th", { scope: "row" }, `${zhLabel} `, el("span", { class: "en" }, enLabel)),
    el("td", { "data-field": field }, ...content));
}

function campaignBlock(part) {
  const c = part.campaign;
  const id = c.id;
  const listings = part.listings.length
    ? el("ul", {}, part.listings.map((p) => el("li", { "data-county": p.county_code },
        unitLink(p.county_code, id, `${p.county_name ?? p.county_code} ${p.county_code}`),
        ` · ${p.listed_on} 起 from`,
        p.delisted_on ? ` · ${p.delisted_on} 移出 delisted` : " · 仍在册 still listed")))
    : el("span", { class: "none" }, "未列入名单 Never listed");
  const institutions = part.institutions.length
    ? part.institutions.flatMap((a, i) => [i ? "、" : "", unitLink(a.institution_id, id, a.name), `（${a.assigned_on} 起 from）`])
    : el("span", { class: "none" }, "未分配 None assigned");
  const first = part.first_loan
    ? el("span", { class: "first-loan", "data-loan": part.first_loan.loan_id }, `${loanText(part.first_loan)} · ${part.first_loan.county_code}`)
    : el("span", { class: "none first-loan-none" }, "无首贷 None");
  const anomalies = part.anomalies.length
    ? [el("span", { class: "count-badge" }, part.anomalies.length), " ",
        el("ul", {}, part.anomalies.map((a) => el("li", { "data-loan": a.claim.loan_id },
          `首贷申报 Claim ${loanText(a.claim)}；在先贷款 Earlier: ${a.evidence.map(loanText).join("；")}`)))]
    : el("span", { class: "zero" }, "0");
  return el("section", { class: `card campaign-part${id === currentCampaign() ? " current" : ""}`, "data-campaign": id },
    el("h2", {}, el("a", { href: `/?campaign=${encodeURIComponent(id)}` }, `${c.region.name} · ${c.name}`),
      el("span", { class: "en" }, `${id} · ${c.start}–${c.end} · ${CAMPAIGN_STATUS[c.status] ?? c.status}`)),
    el("table", { class: "grid" }, el("tbody", {},
      row("在册期间", "Listing periods", "listings", listings),
      row("当前在册", "Listed in now", "listed-in", part.listed_in
        ? unitLink(part.listed_in, id, `${part.listings.find((p) => p.county_code === part.listed_in)?.county_name ?? ""} ${part.listed_in}`.trim())
        : el("span", { class: "none" }, "未在册 Not listed")),
      row("培植机构", "Institutions", "institutions", institutions),
      row("首贷", "First loan", "first-loan", first),
      row("首贷异常", "Anomalies", "anomalies", anomalies))));
}

// Loans, reversals and pairings as one table, oldest first.
function facts(file) {
  const loans = file.loans.map((l) => ({ kind: "loan", on: l.issued_on, key: `loan:${l.institution_id}:${l.loan_id}`, ...l }));
  const reversals = file.reversals.map((r) => ({ kind: "reversal", on: r.reversed_on, key: `reversal:${r.institution_id}:${r.loan_id}`, ...r }));
  const pairings = file.pairings.map((p) => ({ kind: "pairing", on: p.matched_on, key: `pairing:${p.institution_id}:${p.matched_on}`, ...p }));
  return [...loans, ...reversals, ...pairings].sort((a, b) => (a.on < b.on ? -1 : a.on > b.on ? 1 : 0));
}

function countedText(fact, names) {
  if (fact.kind !== "loan") return "–";
  const parts = fact.counted_in.map((id) => `首贷 First loan: ${names.get(id) ?? id}`);
  if (fact.anomaly_in) parts.push(`异常 Anomaly: ${names.get(fact.anomaly_in) ?? fact.anomaly_in}`);
  return parts.join("；") || "不计入 Not counted";
}

function renderFacts(file, names) {
  renderTable($("fact-table"), {
    rowKey: (f) => f.key,
    rows: facts(file),
    columns: [
      { label: ["日期", "Date"], text: true, field: "on", value: (f) => f.on },
      { label: ["类型", "Kind"], text: true, field: "kind", value: (f) => f.kind, render: (f) => `${KIND[f.kind][0]} ${KIND[f.kind][1]}` },
      { label: ["机构", "Institution"], text: true, field: "institution", value: (f) => f.institution_id },
      { label: ["贷款编号", "Loan"], text: true, field: "loan", value: (f) => f.loan_id ?? "", render: (f) => f.loan_id ?? "–" },
      { label: ["金额(万元)", "Amount"], numeric: true, field: "amount", value: (f) => (f.amount_wan ? Number(f.amount_wan) : null), render: (f) => f.amount_wan ?? "–" },
      { label: ["首贷申报", "First-loan claim"], text: true, field: "attested", value: (f) => (f.kind === "loan" ? f.first_loan_attested : null),
        render: (f) => (f.kind !== "loan" ? "–" : f.first_loan_attested ? "是 Yes" : "否 No") },
      { label: ["冲正日", "Reversed on"], text: true, field: "reversed", value: (f) => f.reversed_on ?? null, render: (f) => f.reversed_on ?? "–" },
      { label: ["计入行动", "Counted in"], text: true, field: "counted", value: (f) => countedText(f, names) },
    ],
  });
}

async function main() {
  const caller = await signIn();
  let file;
  try {
    file = await getJSON(`/dashboard/enterprises/${encodeURIComponent(uscc)}${asUnit(caller)}`);
  } catch (error) {
    if (String(error.message).includes("HTTP 404")) throw new Error(`考核服务无此企业记录 Assessment knows nothing of ${uscc}`);
    throw error;
  }
  document.title = `${file.uscc} · 企业档案 Enterprise file`;
  $("enterprise-uscc").textContent = file.uscc;
  $("as-of").textContent = `截至 As of ${file.as_of}`;
  const names = new Map(file.campaigns.map((p) => [p.campaign.id, `${p.campaign.region.name} · ${p.campaign.name}`]));
  $("enterprise-sub").textContent = `Enterprise file · ${file.campaigns.map((p) => p.campaign.id).join(", ") || "未参与行动 no campaign"}`;
  $("kpi-campaigns").textContent = int(file.campaigns.length);
  $("kpi-first-loans").textContent = int(file.campaigns.filter((p) => p.first_loan).length);
  $("kpi-anomalies").textContent = int(file.campaigns.reduce((sum, p) => sum + p.anomalies.length, 0));
  $("kpi-loans").textContent = int(file.loans.length);
  $("campaign-parts").replaceChildren(...(file.campaigns.length
    ? file.campaigns.map(campaignBlock)
    : [el("div", { class: "message" }, "未参与任何行动 The enterprise has no part in a campaign you read")]));
  renderFacts(file, names);
  document.body.dataset.ready = "true";
}

main().catch((error) => {
  document.querySelector("main").prepend(el("div", { class: "message error wide" }, `加载失败 Failed to load: ${error.message}`));
});
