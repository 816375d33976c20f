// The console's one door to the JSON API of the server that serves it.
// The admin key typed in the sign-in form is kept for this browser tab only
// (sessionStorage) and sent as "Authorization: Bearer <key>", never in a URL.
// Every failure becomes an ApiError saying what went wrong; a 401 also tells the
// page (event "pinbridge-unauthorized") so that it shows the sign-in form.

const KEY_STORAGE = "pinbridge-admin-key";

export class ApiError extends Error {
  constructor(status, message, reason = null) {
    super(message);
    this.name = "ApiError";
    this.status = status; // 0 when the server could not be reached
    this.reason = reason; // the server's own {"error": ...} text, when it gave one
  }
}

export function adminKey() {
  return window.sessionStorage.getItem(KEY_STORAGE);
}

export function setAdminKey(key) {
  window.sessionStorage.setItem(KEY_STORAGE, key);
}

export function forgetAdminKey() {
  window.sessionStorage.removeItem(KEY_STORAGE);
}

/** A path with its query: query("/v1/events", {status: "failed", limit: 50}); empty values are left out. */
export function withQuery(path, params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") {
      search.set(name, String(value));
    }
  }
  const text = search.toString();
  return text ? `${path}?${text}` : path;
}

export function getJson(path) {
  return request("GET", path, undefined);
}

export function postJson(path, body) {
  return request("POST", path, JSON.stringify(body));
}

/** POST a body given as text, exactly as typed (the playground's event). */
export function postText(path, text) {
  return request("POST", path, text);
}

async function request(method, path, body) {
  const headers = { Accept: "application/json" };
  const key = adminKey();
  if (key) {
    headers.Authorization = "Bearer " + key;
  }
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
  }
  let response;
  try {
    response = await fetch(path, { method, headers, body, cache: "no-store" });
  } catch (error) {
    throw new ApiError(0, `cannot reach the pinbridge server (${error.message})`);
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  const reason = data && typeof data.error === "string" ? data.error : null;
  if (response.status === 401) {
    window.dispatchEvent(new CustomEvent("pinbridge-unauthorized", { detail: reason }));
    throw new ApiError(401, reason || "the admin key was refused", reason);
  }
  if (!response.ok) {
    throw new ApiError(response.status, `${method} ${path} answered HTTP ${response.status}` +
      (reason ? `: ${reason}` : ""), reason);
  }
  if (data === null || typeof data !== "object") {
    throw new ApiError(response.status, `${method} ${path} did not answer a JSON object`);
  }
  return data;
}
