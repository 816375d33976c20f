// Dead letters: failed events grouped by Pinterest's reason (GET /v1/dead-letters?group_by=reason),
// the most recent ones one by one, and replay or discard for one event, one reason or all,
// each after a confirmation. Replay queues the events again; discard deletes them for good.

import { postJson, getJson, withQuery } from "../api.js";
import { h, renderIfChanged, select, table } from "../dom.js";
import { count, utc } from "../format.js";
import { inspectorLink } from "./events.js";

const RECENT = 100;
const VERBS = {
  replay: { button: "Replay", done: "replayed", key: "replayed", after: "they are queued again and will be sent shortly" },
  discard: { button: "Discard", done: "discarded", key: "discarded", after: "they are deleted for good" },
};

function plural(n, word) {
  return `${count(n)} ${word}${n === 1 ? "" : "s"}`;
}

export default {
  title: "Dead letters",
  live: true,
  mount(root, route, ctx) {
    let destination = route.query.get("destination") || "";
    const notice = h("p", { class: "notice", id: "action-result", role: "status", hidden: true });
    const data = h("div", { id: "dead-letters-data" });
    const chooser = select(
      { "aria-label": "Destination", id: "destination" },
      [{ value: "", label: "every destination" }, ...ctx.destinations().map((d) => ({ value: d, label: d }))],
      destination,
    );
    chooser.addEventListener("change", () => {
      destination = chooser.value;
      ctx.setQuery({ destination });
      ctx.refreshNow();
    });

    async function act(verb, body, subject) {
      const words = VERBS[verb];
      const where = destination ? `Only those of destination ${destination}. ` : "";
      const warning = verb === "discard" ? "This cannot be undone: they will never be sent." : "They are queued again and sent to Pinterest.";
      const confirmed = await ctx.confirm({ title: `${words.button} ${subject}?`, text: where + warning, action: words.button });
      if (!confirmed) {
        return;
      }
      notice.hidden = false;
      notice.classList.remove("error");
      try {
        const answer = await postJson(withQuery(`/v1/dead-letters/${verb}`, { destination }), body);
        const n = answer[words.key];
        notice.textContent = `${plural(n, "dead letter")} ${words.done}${n ? `: ${words.after}` : ""}.`;
      } catch (error) {
        notice.classList.add("error");
        notice.textContent = `Nothing was ${words.done}: ${error.message}`;
      }
      ctx.refreshNow();
    }

    function buttons(scope, body, subject) {
      return h(
        "span",
        { class: "buttons" },
        Object.entries(VERBS).map(([verb, words]) =>
          h(
            "button",
            { type: "button", class: verb === "discard" ? "danger" : null, "data-action": verb, "data-scope": scope, onclick: () => act(verb, body, subject) },
            scope === "all" ? `${words.button} all` : words.button,
          ),
        ),
      );
    }

    function render({ grouped, recent }) {
      const total = grouped.total;
      if (!total) {
        return h("p", { class: "empty", id: "no-dead-letters" }, destination ? `No dead letters for destination ${destination}.` : "No dead letters: every accepted event was delivered, is on its way, or expired.");
      }
      const groups = grouped.groups || [];
      const letters = (recent.dead_letters || []).slice().reverse();
      return [
        h("div", { class: "page-actions" }, h("strong", { id: "dead-total" }, `${plural(total, "dead letter")}`), buttons("all", { all: true }, `all ${plural(total, "dead letter")}`)),
        h(
          "section",
          { class: "panel" },
          h("h2", {}, "By Pinterest's reason"),
          table(
            [{ label: "reason" }, { label: "events", num: true }, { label: "first seen", cls: "time" }, { label: "last seen", cls: "time" }, { label: "sample" }, { label: "" }],
            groups.map((g) => ({
              attrs: { class: "group" },
              cells: [
                h("span", { class: "reason" }, g.reason),
                count(g.count),
                utc(g.first_seen),
                utc(g.last_seen),
                g.sample ? h("span", {}, inspectorLink(g.sample.event_id), ` ${g.sample.event_name} → ${g.sample.destination}`) : "",
                buttons("group", { reason: g.reason }, `the ${plural(g.count, "dead letter")} with reason “${g.reason}”`),
              ],
            })),
            { id: "groups" },
          ),
        ),
        h(
          "section",
          { class: "panel" },
          h("h2", {}, letters.length < total ? `The ${letters.length} most recent` : "Every dead letter"),
          table(
            [{ label: "failed at", cls: "time" }, { label: "event_id" }, { label: "event name" }, { label: "destination" }, { label: "sends", num: true }, { label: "reason" }, { label: "" }],
            letters.map((d) => ({
              attrs: { "data-row-id": d.row_id },
              cells: [utc(d.failed_at), inspectorLink(d.event_id), d.event_name, d.destination, String(d.attempts), d.message || "", buttons("event", { row_ids: [d.row_id] }, `dead letter ${d.event_id}`)],
            })),
            { id: "dead-letters" },
          ),
        ),
      ];
    }

    root.replaceChildren(
      h("div", { class: "page-head" }, h("h1", {}, "Dead letters"), chooser),
      h("p", { class: "muted" }, "Events Pinterest refused for good, or still unanswered after [delivery] max_attempts sends. Fix the cause (the reason says what), then replay them; discard those that can never succeed."),
      notice,
      data,
    );
    return {
      async refresh() {
        const grouped = await getJson(withQuery("/v1/dead-letters", { group_by: "reason", destination }));
        const offset = Math.max(0, (grouped.total || 0) - RECENT);
        const recent = grouped.total
          ? await getJson(withQuery("/v1/dead-letters", { limit: RECENT, offset, destination }))
          : { dead_letters: [] };
        renderIfChanged(data, { grouped, recent, destination }, () => render({ grouped, recent }));
      },
    };
  },
};
