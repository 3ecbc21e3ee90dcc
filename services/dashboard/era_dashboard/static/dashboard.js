// The ERA pipeline page: polls /api/data and draws it. Charts are SVG drawn here (no library).
// Data reaches the page as text nodes only (textContent), never as markup.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const COLOURS = ["#2f6fdf", "#e0822d", "#2c9f5b", "#b5399d", "#7a59c9", "#c23b3b", "#3b9fb5", "#8a8a2e"];
const STAGE_COLOURS = { ingest: COLOURS[0], classifier: COLOURS[1], router: COLOURS[2] };

function el(tag, attrs, text) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = String(text);
  return node;
}

function svg(tag, attrs, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = String(text);
  return node;
}

const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 });
const money = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const percent = (x) => (100 * x).toFixed(1) + "%";

function niceMax(value) {
  if (!(value > 0)) return 1;
  const step = Math.pow(10, Math.floor(Math.log10(value)));
  for (const m of [1, 2, 2.5, 5, 10]) if (value <= m * step) return m * step;
  return 10 * step;
}

function clock(seconds) {
  return new Date(seconds * 1000).toLocaleTimeString("en-GB", { hour12: false });
}

// A line chart of {name: [[t, v], ...]} over the last `window` seconds before `now`.
// The time axis starts at the oldest point (at least a minute back), so a fresh page is readable.
function lineChart(target, series, now, window, colours) {
  const width = Math.max(320, target.clientWidth || 640), height = 190;
  const left = 48, right = 12, top = 8, bottom = 22;
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "img" });
  const names = Object.keys(series);
  let max = 0, oldest = now;
  for (const name of names) {
    for (const [t, v] of series[name]) {
      max = Math.max(max, v);
      oldest = Math.min(oldest, t);
    }
  }
  max = niceMax(max);
  window = Math.min(window, Math.max(60, now - oldest));
  const x = (t) => left + ((t - (now - window)) / window) * (width - left - right);
  const y = (v) => top + (1 - v / max) * (height - top - bottom);
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4;
    chart.append(svg("line", { x1: left, x2: width - right, y1: y(v), y2: y(v), class: "grid" }));
    chart.append(svg("text", { x: left - 4, y: y(v) + 4, class: "axis", "text-anchor": "end" }, decimal.format(v)));
  }
  for (let i = 0; i <= 4; i++) {
    const t = now - window + (window * i) / 4;
    chart.append(svg("text", { x: x(t), y: height - 6, class: "axis", "text-anchor": i === 0 ? "start" : i === 4 ? "end" : "middle" }, clock(t)));
  }
  names.forEach((name, i) => {
    const points = series[name].filter(([t]) => t >= now - window);
    if (points.length === 0) return;
    const colour = (colours && colours[name]) || COLOURS[i % COLOURS.length];
    const d = points.map(([t, v], j) => `${j ? "L" : "M"}${x(t).toFixed(1)},${y(v).toFixed(1)}`).join("");
    chart.append(svg("path", { d, class: "line", stroke: colour, "data-series": name }));
  });
  const legend = el("div", { class: "legend" });
  names.forEach((name, i) => {
    const colour = (colours && colours[name]) || COLOURS[i % COLOURS.length];
    const item = el("span", { class: "key" });
    const swatch = el("i");
    swatch.style.background = colour; // CSSOM, allowed by the page's style-src 'self'
    item.append(swatch, document.createTextNode(name));
    legend.append(item);
  });
  target.replaceChildren(chart, legend);
}

// Horizontal bars of rows [{label, value, text, bad}] with an optional threshold line.
function barChart(target, rows, options) {
  const width = Math.max(320, target.clientWidth || 640), row = 22, left = 150, right = 130;
  const height = Math.max(row * rows.length, row) + 20;
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "img" });
  const max = options.max !== undefined ? options.max : niceMax(Math.max(0, ...rows.map((r) => r.value)));
  const x = (v) => left + (v / max) * (width - left - right);
  rows.forEach((r, i) => {
    const yTop = i * row + 4;
    chart.append(svg("text", { x: left - 6, y: yTop + 13, class: "label", "text-anchor": "end" }, r.label));
    chart.append(svg("rect", { x: left, y: yTop, width: Math.max(1, x(r.value) - left), height: row - 6,
      class: r.bad ? "bar bad" : "bar", fill: r.colour || COLOURS[0] }));
    chart.append(svg("text", { x: x(r.value) + 4, y: yTop + 13, class: "value" }, r.text));
  });
  if (rows.length === 0) chart.append(svg("text", { x: left, y: 16, class: "axis" }, "nothing yet"));
  if (options.threshold !== undefined) {
    const tx = x(options.threshold);
    chart.append(svg("line", { x1: tx, x2: tx, y1: 0, y2: height - 16, class: "threshold" }));
    chart.append(svg("text", { x: tx, y: height - 4, class: "threshold-label", "text-anchor": "middle" }, options.thresholdText));
  }
  target.replaceChildren(chart);
}

function fillTable(id, rows) {
  const body = document.querySelector(`#${id} tbody`);
  body.replaceChildren(...rows);
}

function tableRow(cells, attrs) {
  const tr = el("tr", attrs);
  for (const cell of cells) {
    tr.append(typeof cell === "object" ? cell : el("td", {}, cell));
  }
  return tr;
}

function counts(id, entries) {
  const list = document.getElementById(id);
  const items = [];
  for (const [key, value, cls] of entries) {
    const wrap = el("div", { class: cls ? `count ${cls}` : "count", "data-key": key });
    wrap.append(el("dt", {}, key), el("dd", {}, integer.format(value)));
    items.push(wrap);
  }
  if (items.length === 0) items.push(el("div", { class: "count none" }, "none"));
  list.replaceChildren(...items);
}

function render(data) {
  document.getElementById("source").textContent = data.source;
  document.getElementById("updated").textContent = clock(data.generated_at);
  document.getElementById("window").textContent = `up to the last ${Math.round(data.window_seconds / 60)} min`;

  const health = document.getElementById("health");
  health.replaceChildren(...data.health.map((h) => {
    const pill = el("span", { class: `pill ${h.state.replace(" ", "-")}`, "data-service": h.service, title:
      `healthz ${h.healthz ?? "-"}, readyz ${h.readyz ?? "-"}` }, `${h.service}: ${h.state}`);
    return pill;
  }));

  const stages = Object.keys(data.stages);
  const rates = {};
  for (const stage of stages) rates[stage] = data.stages[stage].series;
  lineChart(document.getElementById("throughput-chart"), rates, data.generated_at, data.window_seconds, STAGE_COLOURS);
  fillTable("stages", stages.map((stage) => tableRow([stage,
    data.stages[stage].rate === null ? "–" : decimal.format(data.stages[stage].rate),
    integer.format(data.stages[stage].total)], { "data-stage": stage })));

  lineChart(document.getElementById("lag-chart"), data.lag.series, data.generated_at, data.window_seconds);
  fillTable("lag", data.lag.now.map((r) => tableRow([r.group, r.topic, integer.format(r.records)])));

  barChart(document.getElementById("routes-chart"), data.routes.map((r, i) => ({
    label: r.route, value: r.events, text: `${integer.format(r.events)} · $${money.format(r.dollars)}`,
    colour: COLOURS[i % COLOURS.length] })), {});
  fillTable("routes", data.routes.map((r) => tableRow([
    el("th", {}, r.route),
    el("td", { class: "events" }, String(r.events)),
    el("td", { class: "dollars" }, money.format(r.dollars)),
  ], { "data-route": r.route })));
  const events = data.routes.reduce((sum, r) => sum + r.events, 0);
  const dollars = data.routes.reduce((sum, r) => sum + r.dollars, 0);
  document.getElementById("routes-events-total").textContent = String(events);
  document.getElementById("routes-dollars-total").textContent = money.format(dollars);

  const denials = data.denials;
  document.getElementById("threshold").textContent = percent(denials.threshold);
  const maxRate = Math.max(denials.threshold * 1.5, ...denials.payers.map((p) => p.rate), ...denials.locations.map((p) => p.rate));
  const denialBars = (rows, key) => rows.map((p) => ({ label: p[key], value: p.rate, bad: p.above,
    text: `${percent(p.rate)} (${p.denied}/${p.denied + p.paid})`, colour: p.above ? "#c23b3b" : COLOURS[0] }));
  const rateOptions = { max: niceMax(maxRate), threshold: denials.threshold, thresholdText: percent(denials.threshold) };
  barChart(document.getElementById("denials-chart"), denialBars(denials.payers, "payer"), rateOptions);
  fillTable("denials", denials.payers.map((p) => tableRow([p.payer, String(p.denied), String(p.paid), percent(p.rate)],
    { "data-payer": p.payer, class: p.above ? "bad" : "" })));
  document.getElementById("locations-block").hidden = denials.locations.length === 0;
  if (denials.locations.length) barChart(document.getElementById("locations-chart"), denialBars(denials.locations, "location"), rateOptions);

  const ingest = data.ingest;
  const files = Object.entries(ingest.files).map(([k, v]) => [`files ${k}`, v, k === "rejected" || k === "partial" ? "warn" : ""]);
  files.push(["transaction sets rejected", ingest.transaction_sets_rejected, ingest.transaction_sets_rejected ? "warn" : ""]);
  files.push(["CO→patient blocks", data.co_patient_blocks, data.co_patient_blocks ? "warn" : ""]);
  counts("files", files);
  // Ingest exports every warning kind from 0: show the ones that happened.
  counts("warnings", Object.entries(ingest.warnings).filter(([, v]) => v > 0).map(([k, v]) => [k, v, "warn"]));
  fillTable("dead-letters", data.dead_letters.map((d) => tableRow([d.service, d.reason, integer.format(d.records)])));
  const kinds = (f) => Object.entries(f.warning_kinds || {}).map(([k, v]) => `${k} ${v}`).join(", ");
  fillTable("recent-files", ingest.recent_files.map((f) => tableRow([f.file, f.outcome, String(f.adjustments),
    String(f.transaction_sets_rejected), kinds(f) ? `${f.warnings} (${kinds(f)})` : String(f.warnings),
    String(f.errors), clock(f.at)],
    { class: f.outcome === "rejected" ? "bad" : f.outcome === "partial" ? "warn" : "" })));

  document.body.dataset.state = "live";
  document.body.dataset.routedEvents = String(events);
}

let lastSuccess = 0;

async function refresh() {
  let wait = 2000;
  try {
    const response = await fetch("/api/data", { cache: "no-store" });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const data = await response.json();
    render(data);
    lastSuccess = Date.now();
    wait = Math.max(500, data.refresh_seconds * 1000);
  } catch (error) {
    console.warn("dashboard refresh failed", error);
  }
  document.getElementById("stale").hidden = Date.now() - lastSuccess < 3 * wait;
  setTimeout(refresh, wait);
}

document.addEventListener("DOMContentLoaded", refresh);
