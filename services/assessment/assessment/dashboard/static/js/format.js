// Labels (Chinese first, English second) and number formats shared by the pages.

export const STATUS = {
  on_track: ["达标", "On track"],
  behind: ["落后", "Behind"],
  warning: ["预警", "Warning"],
  critical: ["严重滞后", "Critical"],
  not_started: ["未起步", "Not started"],
  no_target: ["无目标", "No target"],
};

export const SEVERITY = {
  warning: ["预警", "Warning"],
  talk: ["约谈", "Talk"],
  circular: ["通报", "Circular"],
};

export const REASON = {
  under_target: ["进度不达标", "Under target"],
  data_falsification: ["首贷数据不实", "Data falsification"],
  ledger_overdue: ["台帐逾期未报", "Ledger overdue"],
  no_matchmaking_fair: ["未举办首贷对接会", "No matchmaking fair"],
  projected_shortfall: ["预测不达标", "Projected shortfall"],
};

export const STEP = {
  raised: ["提出", "Raised"],
  upgraded: ["升级", "Upgraded"],
  acknowledged: ["已确认", "Acknowledged"],
  talk_held: ["约谈", "Talk held"],
  rectification_due: ["整改逾期", "Rectification overdue"],
  rectification_closed: ["整改完成", "Rectification closed"],
  circular_issued: ["通报印发", "Circular issued"],
  resolved: ["解除", "Resolved"],
};

export const LEDGER = {
  on_time: ["按时", "On time"],
  late: ["迟报", "Late"],
  overdue: ["逾期", "Overdue"],
  not_due: ["未到期", "Not due"],
};

export const STATUS_COLOUR = {
  on_track: "#1a7f4b",
  behind: "#b7791f",
  warning: "#dd6b20",
  critical: "#c53030",
  not_started: "#98a2b3",
  no_target: "#98a2b3",
};

export const int = (n) => (n === null || n === undefined ? "–" : Math.round(n).toLocaleString("zh-CN"));
export const pct = (r, digits = 1) => (r === null || r === undefined ? "–" : `${(r * 100).toFixed(digits)}%`);
export const label = (table, key) => (table[key] ? `${table[key][0]} ${table[key][1]}` : key);
export const zh = (table, key) => (table[key] ? table[key][0] : key);

export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else node.setAttribute(name, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function statusTag(status) {
  return el("span", { class: `status ${status}`, title: label(STATUS, status) }, zh(STATUS, status));
}

export function severityTag(severity) {
  return el("span", { class: `sev ${severity}`, title: label(SEVERITY, severity) }, label(SEVERITY, severity));
}

export function time(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString("zh-CN", { hour12: false });
}

// A projection "first loans (low–high)"; a dash when the unit has no forecast yet.
export const forecastInterval = (f) => (f ? `${int(f.low)}–${int(f.high)}` : "");

export function forecastCell(forecast) {
  if (!forecast) return el("span", { class: "zero" }, "–");
  return el("span", { class: "forecast" }, int(forecast.first_loans), " ", el("span", { class: "interval" }, `(${forecastInterval(forecast)})`));
}
