// Small hand-written SVG charts: a line chart for per-minute series and a horizontal bar
// chart for counts by reason or status. Each is an <svg role="img"> with a <title> and a
// <desc>, labelled axes, and the exact values on hover through <title> elements (which
// screen readers read too). Colours come from classes (s0, s1, ...) in console.css.

import { h, s } from "./dom.js";
import { clock, count } from "./format.js";

const WIDTH = 520;
const HEIGHT = 220;
const MARGIN = { left: 48, right: 14, top: 12, bottom: 40 };
let lastId = 0;

function nextId(prefix) {
  lastId += 1;
  return `${prefix}-${lastId}`;
}

/** A y scale from 0 with about four round steps (1, 2 or 5 times a power of ten). */
function scale(max) {
  const raw = Math.max(max, 1) / 4;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / magnitude;
  const step = Math.max(1, (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * magnitude);
  return { top: step * Math.max(1, Math.ceil(max / step)), step };
}

function frame(titleText, descText, width, height) {
  const titleId = nextId("chart-title");
  const descId = nextId("chart-desc");
  return s(
    "svg",
    {
      viewBox: `0 0 ${width} ${height}`,
      role: "img",
      "aria-labelledby": `${titleId} ${descId}`,
      class: "chart",
    },
    s("title", { id: titleId }, titleText),
    s("desc", { id: descId }, descText),
  );
}

/**
 * A line chart. `times` are Unix seconds (one per point), `series` [{name, values, cls?}],
 * one value per time (cls picks the colour, s0..s5 by position otherwise). `step` says what one point covers ("per minute", "per 12 minutes").
 */
export function lineChart({ title, times, series, step, yLabel = "events" }) {
  const totals = series.map((line) => line.values.reduce((a, b) => a + b, 0));
  const description =
    `${yLabel} ${step}, ${series.map((line, i) => `${line.name}: ${count(totals[i])} in total`).join("; ")}.`;
  const svg = frame(title, description, WIDTH, HEIGHT);
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const n = times.length;
  const max = Math.max(0, ...series.flatMap((line) => line.values));
  const { top, step: yStep } = scale(max);
  const x = (i) => MARGIN.left + (n > 1 ? (i * plotW) / (n - 1) : plotW / 2);
  const y = (v) => MARGIN.top + plotH * (1 - v / top);

  for (let v = 0; v <= top; v += yStep) {
    svg.append(
      s("line", { class: "grid", x1: MARGIN.left, x2: WIDTH - MARGIN.right, y1: y(v), y2: y(v) }),
      s("text", { class: "tick", x: MARGIN.left - 6, y: y(v) + 4, "text-anchor": "end" }, count(v)),
    );
  }
  const every = Math.max(1, Math.ceil(n / 6));
  for (let i = 0; i < n; i += every) {
    svg.append(
      s("text", { class: "tick", x: x(i), y: HEIGHT - MARGIN.bottom + 16, "text-anchor": "middle" }, clock(times[i])),
    );
  }
  svg.append(
    s("text", { class: "axis-label", x: MARGIN.left + plotW / 2, y: HEIGHT - 4, "text-anchor": "middle" }, "time (UTC)"),
    s(
      "text",
      { class: "axis-label", x: 12, y: MARGIN.top + plotH / 2, "text-anchor": "middle", transform: `rotate(-90 12 ${MARGIN.top + plotH / 2})` },
      `${yLabel} ${step}`,
    ),
    s("line", { class: "axis", x1: MARGIN.left, x2: WIDTH - MARGIN.right, y1: y(0), y2: y(0) }),
  );
  series.forEach((line, index) => {
    const cls = `series ${line.cls || `s${index}`}`;
    if (n === 1) {
      svg.append(s("circle", { class: cls, cx: x(0), cy: y(line.values[0]), r: 3 }));
    } else {
      const points = line.values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
      svg.append(s("polyline", { class: cls, points }));
    }
  });
  const column = n > 1 ? plotW / (n - 1) : plotW;
  for (let i = 0; i < n; i += 1) {
    const values = series.map((line) => `${line.name} ${count(line.values[i])}`).join(", ");
    svg.append(
      s(
        "rect",
        { class: "hover", x: x(i) - column / 2, y: MARGIN.top, width: column, height: plotH },
        s("title", {}, `${clock(times[i])} UTC: ${values}`),
      ),
    );
  }
  const legend = h(
    "ul",
    { class: "legend" },
    series.map((line, i) =>
      h("li", {}, h("span", { class: `swatch ${line.cls || `s${i}`}`, "aria-hidden": "true" }), `${line.name} `, h("strong", {}, count(totals[i]))),
    ),
  );
  return h("figure", { class: "chart-box" }, h("figcaption", {}, title), svg, legend);
}

/**
 * A horizontal bar chart: bars [{label, value, detail?, cls?}] in the order given; the
 * detail is said on hover.
 * `empty` is said instead when there are no bars.
 */
export function barChart({ title, bars, unit = "events", empty = "None in this window." }) {
  if (bars.length === 0) {
    return h("figure", { class: "chart-box" }, h("figcaption", {}, title), h("p", { class: "empty" }, empty));
  }
  const row = 24;
  const labelW = 170;
  const height = bars.length * row + 8;
  const description = bars.map((bar) => `${bar.label}: ${count(bar.value)} ${unit}`).join("; ");
  const svg = frame(title, description, WIDTH, height);
  const max = Math.max(1, ...bars.map((bar) => bar.value));
  const barSpace = WIDTH - labelW - 56;
  bars.forEach((bar, i) => {
    const top = 4 + i * row;
    const label = bar.label.length > 26 ? bar.label.slice(0, 25) + "…" : bar.label;
    const width = Math.max(bar.value > 0 ? 2 : 0, (bar.value / max) * barSpace);
    svg.append(
      s(
        "g",
        { class: ["bar", bar.cls] },
        s("title", {}, `${bar.label}${bar.detail ? ` (${bar.detail})` : ""}: ${count(bar.value)} ${unit}`),
        s("text", { class: "tick", x: labelW - 8, y: top + 15, "text-anchor": "end" }, label),
        s("rect", { x: labelW, y: top + 3, width, height: row - 8 }),
        s("text", { class: "value", x: labelW + width + 6, y: top + 15 }, count(bar.value)),
      ),
    );
  });
  return h("figure", { class: "chart-box" }, h("figcaption", {}, title), svg);
}
