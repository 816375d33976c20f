// The console: sign-in, hash routes (#/overview, #/events, #/events/<id>, ...), the
// problems banner and the live refresh. Each page is a module under pages/ exporting
// { title, live, mount(root, route, ctx) } where mount returns { refresh() }.
//
// The page never shows anything as data that it could not read: until the admin key is
// accepted only the sign-in form is shown; when a refresh fails, the page says so above
// what it showed before (marked as stale) instead of pretending all is well.

import { ApiError, adminKey, forgetAdminKey, getJson, setAdminKey } from "./api.js";
import { byId, h } from "./dom.js";
import { ago } from "./format.js";
import config from "./pages/config.js";
import deadLetters from "./pages/deadletters.js";
import events from "./pages/events.js";
import inspector from "./pages/inspector.js";
import overview from "./pages/overview.js";
import playground from "./pages/playground.js";
import quality from "./pages/quality.js";

const REFRESH_MS = 5000;
const PAGES = {
  overview,
  events,
  "dead-letters": deadLetters,
  playground,
  "match-quality": quality,
  config,
};

const state = {
  signedIn: false,
  status: null, // the last /v1/status answer
  statusError: null,
  view: null, // { page, route, refresh, root }
  lastGood: null,
  busy: false,
  generation: 0,
};

/** "#/events/abc?status=failed" -> {name: "events", id: "abc", query: URLSearchParams} */
function parseRoute() {
  const hash = window.location.hash.replace(/^#\/?/, "");
  const [path, search = ""] = hash.split("?", 2);
  const [name, ...rest] = path.split("/");
  const id = rest.length ? decodeURIComponent(rest.join("/")) : null;
  return { name: name || "overview", id, query: new URLSearchParams(search) };
}

/** Keep a page's filters in the address (no reload, no new history entry). */
function setQuery(params) {
  const route = parseRoute();
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") {
      search.set(key, String(value));
    }
  }
  const path = route.id === null ? route.name : `${route.name}/${encodeURIComponent(route.id)}`;
  const text = search.toString();
  window.history.replaceState(null, "", `#/${path}${text ? "?" + text : ""}`);
}

function confirmDialog({ title, text, action }) {
  const dialog = byId("confirm");
  byId("confirm-title").textContent = title;
  byId("confirm-text").textContent = text;
  byId("confirm-button").textContent = action;
  dialog.returnValue = "";
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "confirm"), { once: true });
    dialog.showModal();
  });
}

const ctx = {
  status: () => state.status,
  destinations: () => Object.keys((state.status && state.status.destinations) || {}),
  setQuery,
  confirm: confirmDialog,
  refreshNow: () => refreshPage(true),
};

function showBanner() {
  const banner = byId("banner");
  const lines = [];
  if (state.statusError) {
    lines.push(`Cannot read the server's status: ${state.statusError}`);
  } else if (state.status && Array.isArray(state.status.problems)) {
    lines.push(...state.status.problems);
  }
  banner.replaceChildren(
    ...(lines.length ? [h("strong", {}, "Problems: "), h("ul", {}, lines.map((l) => h("li", {}, l)))] : []),
  );
  banner.hidden = lines.length === 0;
}

function showSignIn(message) {
  state.signedIn = false;
  state.status = null;
  state.view = null;
  state.generation += 1;
  byId("loading").hidden = true;
  byId("page").hidden = true;
  byId("page").replaceChildren();
  byId("nav").hidden = true;
  byId("signout").hidden = true;
  byId("banner").hidden = true;
  byId("updated").textContent = "";
  byId("signin-message").textContent = message || "";
  byId("signin").hidden = false;
  byId("admin-key").focus();
}

function showConsole() {
  state.signedIn = true;
  byId("loading").hidden = true;
  byId("signin").hidden = true;
  byId("nav").hidden = false;
  byId("signout").hidden = !adminKey();
  byId("page").hidden = false;
}

function mountRoute() {
  const route = parseRoute();
  const page = route.name === "events" && route.id !== null ? inspector : PAGES[route.name];
  state.generation += 1;
  const root = byId("page");
  for (const link of byId("nav").querySelectorAll("a")) {
    const current = link.dataset.page === route.name;
    link.classList.toggle("current", current);
    if (current) {
      link.setAttribute("aria-current", "page");
    } else {
      link.removeAttribute("aria-current");
    }
  }
  if (!page) {
    state.view = null;
    root.replaceChildren(h("h1", {}, "No such page"), h("p", {}, "Choose a page above."));
    return;
  }
  document.title = `${page.title} · pinbridge console`;
  const notice = h("div", { class: "stale-notice", role: "status", hidden: true });
  const content = h("div", { class: "page-content" });
  root.replaceChildren(notice, content);
  root.classList.remove("stale");
  const view = page.mount(content, route, ctx);
  state.view = { page, view, notice, root, generation: state.generation, everRead: false };
  state.lastGood = null;
}

async function refreshStatus() {
  try {
    state.status = await getJson("/v1/status");
    state.statusError = null;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      throw error;
    }
    state.statusError = error.message;
  }
}

async function refreshPage(initial) {
  const current = state.view;
  if (!current || (!initial && !current.page.live)) {
    return;
  }
  try {
    await current.view.refresh();
    if (current.generation !== state.generation) {
      return; // the user went elsewhere meanwhile
    }
    current.everRead = true;
    current.notice.hidden = true;
    current.root.classList.remove("stale");
    state.lastGood = Date.now() / 1000;
  } catch (error) {
    if (current.generation !== state.generation || (error instanceof ApiError && error.status === 401)) {
      return;
    }
    current.notice.hidden = false;
    current.notice.textContent = current.everRead
      ? `Could not refresh this page: ${error.message}. What is shown below was read ${ago(state.lastGood)}.`
      : `Could not read this page's data: ${error.message}.`;
    current.root.classList.toggle("stale", current.everRead);
  }
}

async function refresh({ initial = false } = {}) {
  if (state.busy && !initial) {
    return;
  }
  state.busy = true;
  try {
    await refreshStatus();
    if (!state.signedIn) {
      showConsole();
      mountRoute();
      initial = true;
    }
    showBanner();
    await refreshPage(initial);
    byId("updated").textContent = "updated " + new Date().toLocaleTimeString();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      showSignIn(adminKey() ? "That key was refused: type one of [server] admin_keys." : "");
    } else {
      throw error;
    }
  } finally {
    state.busy = false;
  }
}

function signIn(event) {
  event.preventDefault();
  const key = byId("admin-key").value.trim();
  byId("admin-key").value = "";
  if (!key) {
    return;
  }
  setAdminKey(key);
  byId("signin-message").textContent = "Checking…";
  refresh({ initial: true });
}

function signOut() {
  forgetAdminKey();
  showSignIn("Signed out.");
}

window.addEventListener("pinbridge-unauthorized", () => {
  if (state.signedIn) {
    showSignIn(adminKey() ? "The server no longer accepts this key: sign in again." : "");
  }
});
window.addEventListener("hashchange", () => {
  if (state.signedIn) {
    mountRoute();
    refreshPage(true);
  }
});
byId("signin").addEventListener("submit", signIn);
byId("signout").addEventListener("click", signOut);
refresh({ initial: true });
window.setInterval(() => {
  if (state.signedIn && !document.hidden) {
    refresh();
  }
}, REFRESH_MS);
