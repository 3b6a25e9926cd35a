// Inline SVG charts drawn by hand: no chart library, nothing fetched from elsewhere.
//
// The counties are drawn as bars, not as a map: a map of Xinzhou's 14 county-level units
// would need their boundary data, and no package available to the platform ships it.

import { STATUS_COLOUR, int, pct } from "./format.js";

const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attributes = {}, text = null) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text !== null) node.textContent = text;
  return node;
}

// Horizontal bars of attainment ratio per county, with the 100% line (expected to date).
export function attainmentBars(container, units) {
  const rows = [...units].sort((a, b) => (b.attainment_ratio ?? -1) - (a.attainment_ratio ?? -1));
  const width = 560, rowHeight = 19, left = 74, right = 96, top = 16;
  const height = top + rows.length * rowHeight + 6;
  const most = Math.max(1.2, ...rows.map((u) => u.attainment_ratio ?? 0));
  const x = (ratio) => left + (Math.min(ratio, most) / most) * (width - left - right);
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": "县域达成率 County attainment" });
  for (const tick of [0, 0.3, 0.6, 1]) {
    chart.append(svg("line", { x1: x(tick), x2: x(tick), y1: top - 4, y2: height - 4, class: tick === 1 ? "target" : "axis" }));
    chart.append(svg("text", { x: x(tick), y: 10, "text-anchor": "middle" }, pct(tick, 0)));
  }
  rows.forEach((unit, i) => {
    const y = top + i * rowHeight;
    const ratio = unit.attainment_ratio ?? 0;
    const title = svg("title", {}, `${unit.name}: ${int(unit.first_loans)} / ${int(unit.expected?.first_loans)} (${pct(unit.attainment_ratio)})`);
    chart.append(svg("text", { x: left - 6, y: y + 12, "text-anchor": "end", class: "bar-label" }, unit.name));
    const bar = svg("rect", {
      x: left, y: y + 3, height: rowHeight - 7, rx: 2,
      width: Math.max(1, x(ratio) - left), fill: STATUS_COLOUR[unit.status] ?? "#98a2b3",
      "data-unit": unit.unit_id,
    });
    bar.append(title);
    chart.append(bar);
    chart.append(svg("text", { x: x(ratio) + 4, y: y + 12 }, `${pct(unit.attainment_ratio)} · ${int(unit.first_loans)}/${int(unit.targets?.first_loans)}`));
  });
  container.replaceChildren(chart, legend([
    ["#1a7f4b", "达标 On track"], ["#b7791f", "落后 Behind"], ["#dd6b20", "预警 <60%"],
    ["#c53030", "严重 <30%"], ["#1c2430", "┆ 100% 应达进度 Expected"],
  ]));
}

// First-loan households over the campaign: the actual line up to today against the
// expected line (targets × elapsed share) to the campaign's end.
export function trendChart(container, series) {
  const points = series.points;
  const width = 560, height = 250, left = 46, right = 14, top = 12, bottom = 26;
  const first = Date.parse(points[0].on), last = Date.parse(points[points.length - 1].on);
  const most = Math.max(1, series.target_first_loans, ...points.map((p) => p.first_loans ?? 0));
  const x = (on) => left + ((Date.parse(on) - first) / Math.max(1, last - first)) * (width - left - right);
  const y = (n) => top + (1 - n / most) * (height - top - bottom);
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": "首贷户数趋势 First-loan trend" });
  for (let i = 0; i <= 4; i += 1) {
    const n = (most * i) / 4;
    chart.append(svg("line", { x1: left, x2: width - right, y1: y(n), y2: y(n), class: "axis" }));
    chart.append(svg("text", { x: left - 4, y: y(n) + 3, "text-anchor": "end" }, int(n)));
  }
  let lastLabel = -Infinity;
  points.forEach((p) => {
    const at = x(p.on);
    const roomToTheEnd = x(points[points.length - 1].on) - at;
    if ((at - lastLabel >= 48 && roomToTheEnd >= 40) || p === points[points.length - 1]) {
      chart.append(svg("text", { x: at, y: height - 8, "text-anchor": "middle" }, p.on.slice(5)));
      lastLabel = at;
    }
  });
  const line = (values, cls) => svg("polyline", { class: cls, points: values.map((p) => `${x(p.on).toFixed(1)},${y(p.value).toFixed(1)}`).join(" ") });
  chart.append(line(points.map((p) => ({ on: p.on, value: p.expected_first_loans })), "expected"));
  const actual = points.filter((p) => p.first_loans !== null).map((p) => ({ on: p.on, value: p.first_loans }));
  if (actual.length) {
    chart.append(line(actual, "actual"));
    const end = actual[actual.length - 1];
    chart.append(svg("circle", { cx: x(end.on), cy: y(end.value), r: 3.5, class: "actual-dot" }));
    chart.append(svg("text", { x: x(end.on) + 6, y: y(end.value) - 6, class: "bar-label", id: "trend-latest" }, int(end.value)));
  }
  container.replaceChildren(chart, legend([
    ["#1f4e8c", "实际首贷户数 Actual"], ["#98a2b3", "应达进度 Expected"],
    ["#ffffff", `目标 Target ${int(series.target_first_loans)}`],
  ]));
}

function legend(items) {
  const box = document.createElement("div");
  box.className = "legend";
  for (const [colour, text] of items) {
    const item = document.createElement("span");
    const swatch = document.createElement("i");
    swatch.style.background = colour;
    item.append(swatch, text);
    box.append(item);
  }
  return box;
}
