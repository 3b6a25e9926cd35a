// The live feed: server-sent events from /events/stream. EventSource reconnects by itself.

import { token, withCampaign } from "./api.js";
import { REASON, SEVERITY, el, int, pct, severityTag, time, zh } from "./format.js";

const MAX_ITEMS = 80;

export function connectFeed({ onEscalation, onAttainment, onState }) {
  // EventSource sends no headers: the token rides in the query, accepted on this route only.
  const source = new EventSource(`/events/stream?access_token=${encodeURIComponent(token() ?? "")}`);
  source.addEventListener("open", () => onState(true));
  source.addEventListener("error", () => onState(false));
  source.addEventListener("escalation", (message) => onEscalation(JSON.parse(message.data)));
  source.addEventListener("attainment", (message) => onAttainment(JSON.parse(message.data)));
  return source;
}

export function figuresText(figures = {}) {
  const parts = [];
  if ("first_loans" in figures) parts.push(`首贷 ${int(figures.first_loans)}`);
  if (figures.expected_first_loans !== undefined && figures.expected_first_loans !== null) {
    parts.push(`应达 ${int(figures.expected_first_loans)}`);
  }
  if ("attainment_ratio" in figures) parts.push(`达成率 ${pct(figures.attainment_ratio)}`);
  if ("anomalies" in figures) parts.push(`异常 ${figures.anomalies} 笔`);
  if (figures.unsubmitted_overdue_months) parts.push(`逾期月份 ${figures.unsubmitted_overdue_months.join("、")}`);
  if (figures.talked_at_previous_checkpoint) parts.push("上一节点已约谈");
  return parts.join(" · ");
}

export function addFeedItem(list, event, names) {
  list.querySelector(".empty")?.remove();
  const resolved = event.type === "EscalationResolved";
  const name = names.get(event.unit_id) ?? event.figures?.name ?? event.unit_id;
  const tag = resolved
    ? el("span", { class: "sev resolved" }, "解除 Resolved")
    : severityTag(event.severity);
  const upgrade = event.previous_severity ? ` ↑ 由${zh(SEVERITY, event.previous_severity)}升级` : "";
  const item = el(
    "li",
    { class: "new", "data-unit": event.unit_id, "data-escalation": event.escalation_id },
    el("span", { class: "when" }, time(event.raised_at ?? event.resolved_at)),
    tag, " ",
    el("a", { href: withCampaign(`/units/${encodeURIComponent(event.unit_id)}`) }, name), " ",
    el("span", {}, `${zh(REASON, event.reason)}${upgrade}`),
    el("div", { class: "figures" }, resolved ? event.why : figuresText(event.figures)),
  );
  list.prepend(item);
  while (list.children.length > MAX_ITEMS) list.lastElementChild.remove();
}
