// Match quality: for each event name, the share of accepted events carrying each identifier
// Pinterest matches users on (GET /v1/match-quality), over 1 h, 24 h or 7 d, and the
// server's plain-language hints for the biggest gaps.

import { getJson, withQuery } from "../api.js";
import { h, renderIfChanged, select, table } from "../dom.js";
import { count, percent } from "../format.js";

const WINDOWS = [
  { value: "3600", label: "last hour" },
  { value: "86400", label: "last 24 hours" },
  { value: "604800", label: "last 7 days" },
];
const IDENTIFIERS = [
  { key: "em", label: "email (em)" },
  { key: "ph", label: "phone (ph)" },
  { key: "external_id", label: "external_id" },
  { key: "click_id", label: "click id" },
  { key: "hashed_maids", label: "mobile ad id" },
  { key: "ip_and_user_agent", label: "IP + user agent" },
  { key: "fn_ln", label: "first + last name" },
  { key: "order_id", label: "order_id", checkoutOnly: true },
  { key: "value_and_currency", label: "value + currency", checkoutOnly: true },
];

function share(value, name, identifier) {
  if (typeof value !== "number") {
    const why = identifier.checkoutOnly ? "measured for checkout events only" : "not measured";
    return h("span", { class: "muted", title: why, "data-identifier": identifier.key }, "–");
  }
  const level = value >= 0.8 ? "good" : value >= 0.4 ? "fair" : "poor";
  return h(
    "span",
    { class: ["share", level], title: `${percent(value)} of ${name} events carry ${identifier.label}`, "data-identifier": identifier.key },
    h("meter", { min: "0", max: "1", low: "0.4", high: "0.8", optimum: "1", value: String(value), "aria-hidden": "true" }),
    " ",
    percent(value),
  );
}

function render(body) {
  const names = Object.keys(body.event_names || {}).sort();
  const hints = body.hints || [];
  return [
    hints.length
      ? h("section", { class: "panel hints" }, h("h2", {}, "What to improve first"), h("ul", { id: "hints" }, hints.map((t) => h("li", {}, t))))
      : names.length
        ? h("p", { class: "muted", id: "hints" }, "No gap worth a hint: every identifier Pinterest needs is well covered.")
        : null,
    h("section", { class: "panel" }, table(
      [{ label: "event name" }, { label: "events", num: true }, ...IDENTIFIERS.map((i) => ({ label: i.label }))],
      names.map((name) => {
        const entry = body.event_names[name];
        return { attrs: { "data-event-name": name }, cells: [name, count(entry.events), ...IDENTIFIERS.map((i) => share((entry.identifiers || {})[i.key], name, i))] };
      }),
      { empty: "No event was accepted in this window.", id: "quality" },
    )),
  ];
}

export default {
  title: "Match quality",
  live: true,
  mount(root, route, ctx) {
    let windowSeconds = route.query.get("window") || "86400";
    let destination = route.query.get("destination") || "";
    const windowChooser = select({ id: "quality-window", "aria-label": "Window" }, WINDOWS, windowSeconds);
    const destinationChooser = select(
      { id: "quality-destination", "aria-label": "Destination" },
      [{ value: "", label: "every destination" }, ...ctx.destinations().map((d) => ({ value: d, label: d }))],
      destination,
    );
    const onChange = () => {
      windowSeconds = windowChooser.value;
      destination = destinationChooser.value;
      ctx.setQuery({ window: windowSeconds === "86400" ? "" : windowSeconds, destination });
      ctx.refreshNow();
    };
    windowChooser.addEventListener("change", onChange);
    destinationChooser.addEventListener("change", onChange);
    const data = h("div", { id: "quality-data" });
    root.replaceChildren(
      h("div", { class: "page-head" }, h("h1", {}, "Match quality"), destinationChooser, windowChooser),
      h("p", { class: "muted" }, "Pinterest attributes a conversion when it can match the user: the more of these identifiers an event carries, the better. Shares are of the events accepted in the window; order_id and value + currency are measured for checkout events."),
      data,
    );
    return {
      async refresh() {
        const body = await getJson(withQuery("/v1/match-quality", { window: windowSeconds, destination }));
        renderIfChanged(data, body, render);
      },
    };
  },
};
