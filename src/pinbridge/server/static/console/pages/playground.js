// Mapping playground: paste a Commanders Act event, pick a destination, and see what the
// running configuration makes of it (POST /v1/transform): the Pinterest event, its warnings,
// the errors that make it invalid, or why it is filtered. Nothing is stored or sent.

import { postText, withQuery } from "../api.js";
import { badge, h, select } from "../dom.js";

const TYPING_DELAY_MS = 400;
const FILTER_HINTS = {
  unmapped_event: "Its event_name is not in the event table: add it under [events] (or the destination's events table) to send it.",
  consent: "The user did not give the consent categories this destination needs ([consent]).",
  event_disabled: "This event is turned off in the event table ([events] NAME = false).",
};

function examples() {
  const now = Date.now();
  return {
    purchase: {
      event_name: "purchase",
      id: "ORD-1001",
      value: "54.90",
      currency: "eur",
      user: { id: "C-42", email: " Jane.Doe@Example.com ", phone: "+33 6 12 34 56 78", consent_categories: ["1", "4"] },
      items: [{ id: "SKU-1", quantity: 2, product: { name: "Mug", price: 27.45 } }],
      context: {
        event_id: "playground-1",
        event_timestamp: now,
        page: { url: "https://shop.example.org/checkout/done" },
        device: { ip: "198.51.100.23", user_agent: "Mozilla/5.0 (X11; Linux x86_64)", cookie: "_epik=dj0yJnU9Y2xpY2s" },
      },
    },
    page_view: {
      event_name: "page_view",
      url: "https://shop.example.org/p/7001?epik=dj0yJnU9bGFuZGluZw",
      context: { event_id: "playground-2", event_timestamp: now, device: { ip: "2001:db8::42", user_agent: "Mozilla/5.0 (iPhone)" } },
    },
    unmapped: {
      event_name: "newsletter_open",
      user: { email: "dana@example.com" },
      context: { event_id: "playground-3", event_timestamp: now },
    },
  };
}

function list(id, title, items, cls) {
  return items.length ? h("section", { class: ["panel", cls] }, h("h2", {}, title), h("ul", { id }, items.map((i) => h("li", {}, i)))) : null;
}

function renderResult(result) {
  const parts = [h("p", { id: "result-status" }, "Result: ", badge(result.status))];
  if (result.status === "mapped") {
    parts.push(
      h("section", { class: "panel" }, h("h2", {}, "Pinterest event"), h("pre", { class: "json", id: "mapped-event", tabindex: "0" }, JSON.stringify(result.event, null, 2))),
      list("result-warnings", "Warnings", result.warnings || [], "warn") || h("p", { class: "muted" }, "No warnings."),
    );
  } else if (result.status === "filtered") {
    parts.push(
      h("p", { id: "filter-reason" }, "Filtered, reason ", h("code", {}, result.reason), ". ", FILTER_HINTS[result.reason] || ""),
    );
  } else {
    parts.push(list("result-errors", "Errors", result.errors || [], "bad"), list("result-warnings", "Warnings", result.warnings || [], "warn"));
  }
  return parts;
}

export default {
  title: "Mapping playground",
  live: false,
  mount(root, route, ctx) {
    const samples = examples();
    const destinations = ctx.destinations();
    const chooser = select({ name: "destination", id: "playground-destination" }, destinations.map((d) => ({ value: d, label: d })), route.query.get("destination") || destinations[0]);
    const exampleChooser = select({ id: "example", "aria-label": "Load an example" }, [{ value: "", label: "Load an example…" }, ...Object.keys(samples).map((k) => ({ value: k, label: k }))], "");
    const input = h("textarea", { id: "event-input", rows: "22", spellcheck: "false", "aria-label": "Commanders Act event (JSON)" });
    input.value = JSON.stringify(samples.purchase, null, 2);
    const output = h("div", { id: "playground-result", "aria-live": "polite" });
    let timer = null;
    let asked = 0;

    async function run() {
      const text = input.value;
      const question = ++asked;
      try {
        JSON.parse(text);
      } catch (error) {
        output.replaceChildren(h("p", { class: "error", id: "json-error" }, `This is not valid JSON: ${error.message}`));
        return;
      }
      let result;
      try {
        result = await postText(withQuery("/v1/transform", { destination: chooser.value }), text);
      } catch (error) {
        if (question === asked) {
          output.replaceChildren(h("p", { class: "error" }, `The server could not map it: ${error.message}`));
        }
        return;
      }
      if (question === asked) {
        output.replaceChildren(...renderResult(result).filter(Boolean));
      }
    }

    input.addEventListener("input", () => {
      window.clearTimeout(timer);
      timer = window.setTimeout(run, TYPING_DELAY_MS);
    });
    chooser.addEventListener("change", () => {
      ctx.setQuery({ destination: chooser.value });
      run();
    });
    exampleChooser.addEventListener("change", () => {
      if (exampleChooser.value) {
        input.value = JSON.stringify(examples()[exampleChooser.value], null, 2);
        exampleChooser.value = "";
        run();
      }
    });
    root.replaceChildren(
      h("div", { class: "page-head" }, h("h1", {}, "Mapping playground")),
      h("p", { class: "muted" }, "Paste a Commanders Act event and see what the running configuration makes of it. Nothing is stored or sent."),
      h(
        "div",
        { class: "grid playground" },
        h("section", { class: "panel" }, h("div", { class: "filters" }, h("label", {}, "destination", chooser), exampleChooser), input),
        h("div", {}, output),
      ),
    );
    return {
      async refresh() {
        await run();
      },
    };
  },
};
