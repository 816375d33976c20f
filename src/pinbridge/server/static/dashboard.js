// pinbridge dashboard: reads the JSON API of the server that serves it, every 5 seconds.
// When [server] admin_keys is set, the API answers 401 until an admin key is typed in the
// sign-in form; the key is kept for this browser tab only (sessionStorage) and sent as
// "Authorization: Bearer <key>". Everything is written with textContent (no HTML
// injection from event ids or Pinterest's messages).
"use strict";

const REFRESH_MS = 5000;
const RECENT_DEAD_LETTERS = 20;
const KEY_STORAGE = "pinbridge-admin-key";
let token = window.sessionStorage.getItem(KEY_STORAGE);

function byId(id) {
  return document.getElementById(id);
}

async function api(path) {
  const headers = { Accept: "application/json" };
  if (token) {
    headers.Authorization = "Bearer " + token;
  }
  const response = await fetch(path, { headers });
  const body = await response.json().catch(() => ({}));
  return { status: response.status, body };
}

function fillRows(table, rows) {
  const tbody = table.querySelector("tbody");
  tbody.replaceChildren();
  for (const cells of rows) {
    const tr = document.createElement("tr");
    for (const cell of cells) {
      const td = document.createElement("td");
      td.textContent = cell === null || cell === undefined ? "" : String(cell);
      if (typeof cell === "number") {
        td.className = "num";
      }
      tr.appendChild(td);
    }
    tbody.appendChild(tr);
  }
  table.hidden = rows.length === 0;
}

function showProblem(text) {
  const problem = byId("problem");
  problem.textContent = text || "";
  problem.hidden = !text;
}

function unauthorized(status) {
  const signedOut = status === 401;
  byId("signin").hidden = !signedOut;
  byId("console").hidden = signedOut;
  if (signedOut && token) {
    byId("signin-message").textContent = "That key was refused: type one of [server] admin_keys.";
  }
  return signedOut;
}

function signIn(event) {
  event.preventDefault();
  token = byId("admin-key").value.trim();
  window.sessionStorage.setItem(KEY_STORAGE, token);
  byId("admin-key").value = "";
  refresh();
}

async function refreshReadiness() {
  const { status, body } = await api("/readyz");
  const badge = byId("readiness");
  badge.dataset.state = body.status || "unknown";
  badge.textContent = body.status || "HTTP " + status;
  badge.title = (body.reasons || []).join("\n");
}

function pausedRows(destinations) {
  return Object.entries(destinations)
    .filter(([, d]) => d.paused)
    .sort()
    .map(([name, d]) => [name, d.ad_account_id, d.paused.since_utc, d.paused.reason]);
}

async function refreshStatus() {
  const { status, body } = await api("/v1/status");
  if (unauthorized(status) || status !== 200) {
    return false;
  }
  byId("depth").textContent = String(body.queue_depth);
  byId("delivery").textContent = body.draining ? "shutting down" : body.delivery;
  const counts = Object.entries(body.counts).sort();
  fillRows(byId("counts"), counts.map(([name, count]) => [name, count]));
  const paused = pausedRows(body.destinations);
  fillRows(byId("paused"), paused);
  byId("paused-none").hidden = paused.length > 0;
  return true;
}

async function refreshDeadLetters() {
  const first = await api("/v1/dead-letters?limit=1");
  if (unauthorized(first.status) || first.status !== 200) {
    return;
  }
  const total = first.body.total;
  const offset = Math.max(0, total - RECENT_DEAD_LETTERS);
  const { body } = await api(`/v1/dead-letters?limit=${RECENT_DEAD_LETTERS}&offset=${offset}`);
  const letters = (body.dead_letters || []).slice().reverse();
  fillRows(
    byId("dead"),
    letters.map((d) => [
      d.row_id,
      d.failed_at_utc,
      d.destination,
      d.event_name,
      d.event_id,
      d.attempts,
      d.message,
    ]),
  );
  byId("dead-none").hidden = letters.length > 0;
  byId("dead-total").textContent = total ? `(${total} in total)` : "";
}

async function refresh() {
  try {
    await refreshReadiness();
    if (await refreshStatus()) {
      showProblem("");
      await refreshDeadLetters();
    }
    byId("updated").textContent = "updated " + new Date().toLocaleTimeString();
  } catch (error) {
    showProblem("Cannot reach the pinbridge server: " + error.message);
  }
}

async function lookUp(event) {
  event.preventDefault();
  const eventId = byId("event-id").value.trim();
  const message = byId("history-message");
  const { status, body } = await api("/v1/events/" + encodeURIComponent(eventId));
  if (unauthorized(status)) {
    return;
  }
  if (status !== 200) {
    message.textContent = body.error || "HTTP " + status;
    fillRows(byId("history"), []);
    return;
  }
  message.textContent = `Current status: ${body.status}`;
  fillRows(
    byId("history"),
    body.history.map((h) => [h.row_id, h.at_utc, h.status, h.attempts, h.message]),
  );
}

byId("lookup").addEventListener("submit", lookUp);
byId("signin").addEventListener("submit", signIn);
refresh();
window.setInterval(refresh, REFRESH_MS);
