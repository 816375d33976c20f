// Overview: what came in and what went out over the last hour or day (per-minute series
// from GET /v1/stats, for every destination or one), Pinterest's answers, latency, and the
// state of every destination and of the queue (GET /v1/status). Everything is read from
// the queue database, so it covers every node sharing it.

import { getJson, withQuery } from "../api.js";
import { barChart, lineChart } from "../charts.js";
import { badge, h, renderIfChanged, select, table } from "../dom.js";
import { count, seconds, utc } from "../format.js";

const WINDOWS = [
  { value: "3600", label: "Last hour" },
  { value: "86400", label: "Last day" },
];
const INGEST = ["received", "queued", "duplicate", "filtered", "invalid"];
const DELIVERY = ["delivered", "failed", "retrying", "expired"];
const MAX_POINTS = 120;
const FILTER_REASONS = {
  unmapped_event: "event name not in the event table",
  consent: "no consent",
  event_disabled: "event disabled",
};

/** Sums per-minute rows into at most MAX_POINTS bins: {times, rows, minutes}. */
function bin(minutes) {
  const size = Math.max(1, Math.ceil(minutes.length / MAX_POINTS));
  const times = [];
  const rows = [];
  for (let start = 0; start < minutes.length; start += size) {
    const slice = minutes.slice(start, start + size);
    const sum = {};
    for (const row of slice) {
      for (const [key, value] of Object.entries(row)) {
        if (key !== "minute" && typeof value === "number") {
          sum[key] = (sum[key] || 0) + value;
        }
      }
    }
    times.push(slice[0].minute);
    rows.push(sum);
  }
  return { times, rows, size };
}

function series(binned, names) {
  return names.map((name) => ({ name, cls: `m-${name}`, values: binned.rows.map((row) => row[name] || 0) }));
}

function card(label, value, detail) {
  return h("div", { class: "card" }, h("span", { class: "card-label" }, label), h("strong", {}, value), detail ? h("span", { class: "muted" }, detail) : null);
}

function statusClass(status) {
  if (/^2/.test(status)) return "good";
  if (status === "429" || /^4/.test(status)) return "warn";
  return "bad";
}

function breakdown(title, groups) {
  const names = Object.keys(groups).sort();
  const metrics = [...new Set(names.flatMap((name) => Object.keys(groups[name])))];
  const order = [...INGEST, ...DELIVERY];
  metrics.sort((a, b) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99));
  return h(
    "section",
    { class: "panel" },
    h("h2", {}, title),
    table(
      [{ label: "" }, ...metrics.map((m) => ({ label: m, num: true }))],
      names.map((name) => [name, ...metrics.map((m) => count(groups[name][m] || 0))]),
      { empty: "No events in this window." },
    ),
  );
}

function destinationsPanel(status) {
  const rows = Object.entries(status.destinations || {}).map(([name, d]) => [
    name,
    d.ad_account_id || "–",
    d.paused ? badge("paused") : badge("delivering"),
    d.paused
      ? `${d.paused.reason} (since ${utc(d.paused.since)}; next try ${utc(d.paused.next_try)})`
      : "",
  ]);
  const counts = Object.entries(status.counts || {}).sort();
  const conf = status.configuration || {};
  return h(
    "div",
    { class: "grid" },
    h(
      "section",
      { class: "panel" },
      h("h2", {}, "Destinations"),
      table([{ label: "destination" }, { label: "ad account" }, { label: "state" }, { label: "pause reason" }], rows, {
        empty: "No destination is configured.",
        id: "destinations",
      }),
      h(
        "p",
        { class: "muted" },
        `Configuration loaded ${utc(conf.loaded_at)}` + (conf.reloads ? `, reloaded ${conf.reloads} time${conf.reloads === 1 ? "" : "s"}` : "") + ".",
      ),
    ),
    h(
      "section",
      { class: "panel" },
      h("h2", {}, "Queue"),
      table([{ label: "status" }, { label: "entries", num: true }], counts.map(([name, n]) => [name, count(n)]), {
        empty: "The queue is empty.",
        id: "counts",
      }),
    ),
  );
}

function render({ stats, status }) {
  const binned = bin(stats.minutes || []);
  const step = binned.size === 1 ? "per minute" : `per ${binned.size} minutes`;
  const total = (name) => (stats.minutes || []).reduce((sum, row) => sum + (row[name] || 0), 0);
  const latency = stats.latency || {};
  const filtered = Object.entries(stats.filtered_by_reason || {})
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([reason, value]) => ({ label: reason, value, detail: FILTER_REASONS[reason] }));
  const answers = Object.entries(stats.pinterest_statuses || {})
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([code, value]) => ({ label: /^\d+$/.test(code) ? `HTTP ${code}` : code, value, cls: statusClass(code) }));
  return [
    h(
      "div",
      { class: "cards" },
      card("Pending in the queue", count(status.queue_depth), "queued, retrying or paused"),
      card("Delivery", status.draining ? "shutting down" : status.delivery || "–"),
      card("Received", count(total("received")), `delivered ${count(total("delivered"))}, failed ${count(total("failed"))}`),
      card(
        "Last delivery",
        stats.last_delivery_at ? utc(stats.last_delivery_at).slice(11) : "none in this window",
        stats.last_delivery_at ? utc(stats.last_delivery_at).slice(0, 10) : "",
      ),
      card(
        "Acceptance → delivery",
        latency.count ? `p50 ${seconds(latency.p50)}` : "–",
        latency.count ? `p95 ${seconds(latency.p95)} over ${count(latency.count)} events` : "no delivery in this window",
      ),
    ),
    destinationsPanel(status),
    h(
      "div",
      { class: "grid" },
      h("section", { class: "panel" }, lineChart({ title: "Ingest", times: binned.times, series: series(binned, INGEST), step })),
      h("section", { class: "panel" }, lineChart({ title: "Delivery", times: binned.times, series: series(binned, DELIVERY), step })),
      h("section", { class: "panel" }, barChart({ title: "Events by Pinterest's answer (HTTP status)", bars: answers, empty: "No event was sent to Pinterest in this window." })),
      h("section", { class: "panel" }, barChart({ title: "Filtered events, by reason", bars: filtered, empty: "No event was filtered in this window." })),
    ),
    h(
      "section",
      { class: "panel" },
      h("h2", {}, "Invalid events: the commonest errors"),
      table(
        [{ label: "error" }, { label: "events", num: true }],
        (stats.top_invalid_errors || []).map((e) => [e.error, count(e.count)]),
        { empty: "No invalid event in this window.", id: "invalid-errors" },
      ),
    ),
    breakdown("By event name", stats.by_event_name || {}),
    breakdown("By destination", stats.by_destination || {}),
  ];
}

export default {
  title: "Overview",
  live: true,
  mount(root, route, ctx) {
    let windowSeconds = route.query.get("window") === "86400" ? "86400" : "3600";
    let destination = route.query.get("destination") || "";
    const data = h("div", { id: "overview-data" });
    const chooser = select({ id: "window", "aria-label": "Time window" }, WINDOWS, windowSeconds);
    const destinationChooser = select(
      { id: "overview-destination", "aria-label": "Destination" },
      [{ value: "", label: "every destination" }, ...ctx.destinations().map((d) => ({ value: d, label: d }))],
      destination,
    );
    const onChange = () => {
      windowSeconds = chooser.value;
      destination = destinationChooser.value;
      ctx.setQuery({ window: windowSeconds === "3600" ? "" : windowSeconds, destination });
      ctx.refreshNow();
    };
    chooser.addEventListener("change", onChange);
    destinationChooser.addEventListener("change", onChange);
    root.replaceChildren(h("div", { class: "page-head" }, h("h1", {}, "Overview"), destinationChooser, chooser), data);
    return {
      async refresh() {
        const stats = await getJson(withQuery("/v1/stats", { window: windowSeconds, destination }));
        const status = ctx.status();
        if (!status) {
          throw new Error("the server's status could not be read");
        }
        const { now, ...rest } = stats; // "now" changes every call: not a reason to redraw
        renderIfChanged(data, { stats: rest, status, windowSeconds }, () => render({ stats, status }));
      },
    };
  },
};
