// Configuration: the effective settings of every destination and of the server, queue and
// delivery (GET /v1/config), as the server reports them with its secrets masked. Rendered
// generically, so new settings appear without changing this page.

import { getJson } from "../api.js";
import { describe, h, renderIfChanged } from "../dom.js";

function render(body) {
  const { destinations = {}, ...rest } = body;
  return [
    h("h2", {}, "Destinations"),
    Object.entries(destinations).map(([name, settings]) =>
      h("section", { class: "panel config", "data-destination": name }, h("h3", {}, name), describe(settings)),
    ),
    Object.entries(rest).map(([name, settings]) =>
      h("section", { class: "panel config", "data-section": name }, h("h2", {}, name), describe(settings)),
    ),
  ];
}

export default {
  title: "Configuration",
  live: false,
  mount(root) {
    const data = h("div", { id: "config-data" });
    root.replaceChildren(
      h("div", { class: "page-head" }, h("h1", {}, "Configuration")),
      h("p", { class: "muted" }, "The configuration this server runs with, as loaded (POST /v1/reload or SIGHUP reload it). Access tokens and keys are masked by the server: they never reach this page."),
      data,
    );
    return {
      async refresh() {
        renderIfChanged(data, await getJson("/v1/config"), render);
      },
    };
  },
};
