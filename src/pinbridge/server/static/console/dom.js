// Building the page with DOM calls only: text always goes in as textContent (or text
// nodes), never as HTML, so event ids, payloads and Pinterest's messages cannot inject
// markup. No inline styles either (the Content-Security-Policy forbids them).

const SVG_NS = "http://www.w3.org/2000/svg";

function fill(element, attrs, children) {
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) {
      continue;
    }
    if (name === "text") {
      element.textContent = String(value);
    } else if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2), value);
    } else if (name === "class" && Array.isArray(value)) {
      element.setAttribute("class", value.filter(Boolean).join(" "));
    } else {
      element.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) {
      continue;
    }
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** h("td", {class: "num"}, "12"): an HTML element with attributes, listeners and children. */
export function h(tag, attrs = {}, ...children) {
  return fill(document.createElement(tag), attrs, children);
}

/** The same for SVG elements. */
export function s(tag, attrs = {}, ...children) {
  return fill(document.createElementNS(SVG_NS, tag), attrs, children);
}

export function byId(id) {
  return document.getElementById(id);
}

/** A status word in a coloured pill: delivered, failed, retrying, queued, expired, mapped... */
export function badge(status) {
  return h("span", { class: "badge", "data-status": status || "unknown" }, status || "unknown");
}

/**
 * A table: columns [{label, num?, cls?}], rows as arrays of cells (text, numbers or nodes)
 * or as {attrs, cells}.
 * `empty` is said instead of an empty table.
 */
export function table(columns, rows, { empty = "Nothing to show.", caption, id } = {}) {
  if (rows.length === 0) {
    return h("p", { class: "empty" }, empty);
  }
  return h(
    "table",
    { id },
    caption ? h("caption", {}, caption) : null,
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col", class: c.num ? "num" : null }, c.label)))),
    h(
      "tbody",
      {},
      rows.map((row) =>
        h(
          "tr",
          row.attrs || {},
          (row.cells || row).map((cell, i) =>
            h("td", { class: columns[i] ? [columns[i].num && "num", columns[i].cls] : null }, cell === null || cell === undefined ? "" : cell),
          ),
        ),
      ),
    ),
  );
}

/**
 * Any JSON value as nested definition lists, keys in the order given: the configuration
 * page shows whatever the server sends without knowing its keys.
 */
export function describe(value) {
  if (value === null || value === undefined) {
    return h("span", { class: "muted" }, "not set");
  }
  if (Array.isArray(value)) {
    if (value.length === 0) {
      return h("span", { class: "muted" }, "none");
    }
    if (value.every((item) => item === null || typeof item !== "object")) {
      return h("span", {}, value.map((item) => String(item)).join(", "));
    }
    return h("ol", {}, value.map((item) => h("li", {}, describe(item))));
  }
  if (typeof value === "object") {
    const entries = Object.entries(value);
    if (entries.length === 0) {
      return h("span", { class: "muted" }, "none");
    }
    return h("dl", {}, entries.map(([key, item]) => [h("dt", {}, key), h("dd", {}, describe(item))]));
  }
  if (value === "***") {
    return h("span", { class: "masked", title: "a secret: the server masks it" }, "*** (masked)");
  }
  return h("span", { class: typeof value === "string" ? "str" : "lit" }, String(value));
}

/** A select with options [{value, label}], the current one chosen. */
export function select(attrs, options, current) {
  return h(
    "select",
    attrs,
    options.map((o) => h("option", { value: o.value, selected: o.value === current }, o.label)),
  );
}

/** Replaces the children of `element` only when `data` differs from last time (no flicker). */
const rendered = new WeakMap();

export function renderIfChanged(element, data, render) {
  const key = JSON.stringify(data);
  if (rendered.get(element) === key) {
    return false;
  }
  rendered.set(element, key);
  element.replaceChildren(...[render(data)].flat(Infinity).filter(Boolean));
  return true;
}
