// Events: the most recent queue entries (GET /v1/events), newest first, filtered by
// status, event name, destination and event_id prefix, refreshed live. The filters live
// in the address (#/events?status=failed...), so a reload or a shared link keeps them.
// Rows that arrived since the previous refresh are highlighted.

import { getJson, withQuery } from "../api.js";
import { badge, h, renderIfChanged, select, table } from "../dom.js";
import { utc } from "../format.js";

const STATUSES = ["queued", "retrying", "delivered", "failed", "expired"];
const LIMITS = ["50", "100", "200", "500"];
const FILTERS = ["status", "event_name", "destination", "event_id_prefix", "limit"];
const TYPING_DELAY_MS = 300;

export function inspectorLink(eventId) {
  return h("a", { href: `#/events/${encodeURIComponent(eventId)}`, class: "event-id" }, eventId);
}

function filterForm(filters, destinations, onChange) {
  const text = (name, label, placeholder) =>
    h("label", {}, label, h("input", { name, value: filters[name] || "", placeholder, autocomplete: "off", spellcheck: "false" }));
  const form = h(
    "form",
    { class: "filters", id: "event-filters", role: "search" },
    h("label", {}, "status", select({ name: "status" }, [{ value: "", label: "any" }, ...STATUSES.map((v) => ({ value: v, label: v }))], filters.status || "")),
    text("event_name", "event name", "checkout"),
    h("label", {}, "destination", select({ name: "destination" }, [{ value: "", label: "any" }, ...destinations.map((v) => ({ value: v, label: v }))], filters.destination || "")),
    text("event_id_prefix", "event_id starts with", "ORD-"),
    h("label", {}, "show", select({ name: "limit" }, LIMITS.map((v) => ({ value: v, label: `${v} most recent` })), filters.limit || "50")),
  );
  let timer = null;
  form.addEventListener("submit", (event) => event.preventDefault());
  form.addEventListener("change", onChange);
  form.addEventListener("input", (event) => {
    if (event.target.tagName === "INPUT") {
      window.clearTimeout(timer);
      timer = window.setTimeout(onChange, TYPING_DELAY_MS);
    }
  });
  return form;
}

function readFilters(form) {
  const data = new FormData(form);
  const filters = {};
  for (const name of FILTERS) {
    const value = String(data.get(name) || "").trim();
    if (value) {
      filters[name] = value;
    }
  }
  if (filters.limit === "50") {
    delete filters.limit;
  }
  return filters;
}

function render(events, fresh) {
  const rows = events.map((e) => ({
    attrs: { class: fresh.has(e.row_id) ? "fresh" : null, "data-row-id": e.row_id },
    cells: [
      utc(e.enqueued_at),
      inspectorLink(e.event_id),
      e.event_name,
      e.destination,
      badge(e.status),
      String(e.attempts),
      utc(e.updated_at),
      e.message || "",
    ],
  }));
  return [
    h("p", { class: "muted" }, `${events.length} most recent ${events.length === 1 ? "entry" : "entries"}, newest first; refreshed every few seconds.`),
    table(
      [
        { label: "accepted", cls: "time" },
        { label: "event_id" },
        { label: "event name" },
        { label: "destination" },
        { label: "status" },
        { label: "sends", num: true },
        { label: "last change", cls: "time" },
        { label: "message" },
      ],
      rows,
      { empty: "No event matches these filters.", id: "events" },
    ),
  ];
}

export default {
  title: "Events",
  live: true,
  mount(root, route, ctx) {
    let filters = Object.fromEntries([...route.query.entries()].filter(([name]) => FILTERS.includes(name)));
    let seen = null; // row ids shown so far, for highlighting new ones
    const data = h("div", { id: "events-data" });
    const form = filterForm(filters, ctx.destinations(), () => {
      filters = readFilters(form);
      ctx.setQuery(filters);
      seen = null;
      ctx.refreshNow();
    });
    root.replaceChildren(
      h("div", { class: "page-head" }, h("h1", {}, "Events")),
      h("p", { class: "muted" }, "Accepted events as stored in the queue. Filtered, invalid and duplicate events are not stored: the overview counts them."),
      form,
      data,
    );
    return {
      async refresh() {
        const asked = { ...filters, limit: filters.limit || "50" };
        const body = await getJson(withQuery("/v1/events", asked));
        if (JSON.stringify(asked) !== JSON.stringify({ ...filters, limit: filters.limit || "50" })) {
          return; // the filters changed while this was loading
        }
        const events = body.events || [];
        const fresh = new Set(seen === null ? [] : events.map((e) => e.row_id).filter((id) => !seen.has(id)));
        seen = new Set(events.map((e) => e.row_id));
        renderIfChanged(data, { events, fresh: [...fresh] }, () => render(events, fresh));
      },
    };
  },
};
