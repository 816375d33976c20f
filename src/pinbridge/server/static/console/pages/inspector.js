// Inspector (#/events/<event_id>): one event as GET /v1/events/{id} tells it: the payload
// exactly as sent to Pinterest (identifiers are already hashed when stored), the warnings
// given at ingest, every send with Pinterest's answer, and every status change.

import { ApiError, getJson } from "../api.js";
import { badge, h, renderIfChanged, table } from "../dom.js";
import { utc } from "../format.js";

function httpStatus(status) {
  return status === null || status === undefined ? "no answer" : `HTTP ${status}`;
}

function render(body) {
  const warnings = body.warnings || [];
  const attempts = body.attempts || [];
  const history = body.history || [];
  const payload = h(
    "section",
    { class: "panel" },
    h("h2", {}, "Payload as sent to Pinterest"),
    h("p", { class: "muted" }, "Personal identifiers were hashed (SHA-256) before the event was stored; the clear text never reached the queue."),
    body.payload
      ? h("pre", { class: "json", id: "payload", tabindex: "0" }, JSON.stringify(body.payload, null, 2))
      : h("p", { class: "empty" }, "The server gave no payload for this event."),
  );
  const warningList = h(
    "section",
    { class: "panel" },
    h("h2", {}, "Warnings at ingest"),
    warnings.length
      ? h("ul", { id: "warnings" }, warnings.map((w) => h("li", {}, w)))
      : h("p", { class: "empty" }, "None: the event mapped without warnings."),
  );
  const sends = h(
    "section",
    { class: "panel" },
    h("h2", {}, "Sends to Pinterest"),
    table(
      [{ label: "at", cls: "time" }, { label: "answer", cls: "time" }, { label: "Pinterest's message for this event" }, { label: "batch", num: true }],
      attempts.map((a) => [utc(a.at), httpStatus(a.http_status), a.message || "", String(a.batch_size)]),
      { empty: "Not sent yet.", id: "attempts" },
    ),
  );
  const changes = h(
    "section",
    { class: "panel" },
    h("h2", {}, "History"),
    table(
      [{ label: "at", cls: "time" }, { label: "row", num: true }, { label: "status" }, { label: "sends", num: true }, { label: "message" }],
      history.map((e) => [utc(e.at), String(e.row_id), badge(e.status), String(e.attempts), e.message || ""]),
      { empty: "No history.", id: "history" },
    ),
  );
  const summary = h(
    "dl",
    { class: "summary", id: "event-summary" },
    h("dt", {}, "status"),
    h("dd", {}, badge(body.status)),
    h("dt", {}, "event name"),
    h("dd", {}, body.event_name || "–"),
    h("dt", {}, "destination"),
    h("dd", {}, body.destination || "–"),
  );
  return [summary, h("div", { class: "grid inspector" }, payload, h("div", {}, warningList, sends, changes))];
}

export default {
  title: "Event",
  live: true,
  mount(root, route) {
    const eventId = route.id;
    const data = h("div", { id: "inspector-data" });
    root.replaceChildren(
      h("p", {}, h("a", { href: "#/events" }, "← Events")),
      h("h1", {}, "Event ", h("code", { id: "event-id" }, eventId)),
      data,
    );
    return {
      async refresh() {
        let body;
        try {
          body = await getJson(`/v1/events/${encodeURIComponent(eventId)}`);
        } catch (error) {
          if (error instanceof ApiError && error.status === 404) {
            renderIfChanged(data, { missing: eventId }, () =>
              h("p", { class: "empty", id: "not-found" }, error.reason || error.message),
            );
            return;
          }
          throw error;
        }
        renderIfChanged(data, body, render);
      },
    };
  },
};
