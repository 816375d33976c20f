// How numbers, shares, durations and times are written on every page.

const NUMBER = new Intl.NumberFormat("en");

export function count(value) {
  return typeof value === "number" ? NUMBER.format(value) : "–";
}

export function percent(share) {
  if (typeof share !== "number") {
    return "–";
  }
  const value = share * 100;
  return (value > 0 && value < 1 ? value.toFixed(1) : Math.round(value).toString()) + "%";
}

/** Seconds as "0.42 s", "12 s", "3.5 min", "2.1 h". */
export function seconds(value) {
  if (typeof value !== "number") {
    return "–";
  }
  if (value < 10) {
    return `${value.toFixed(2)} s`;
  }
  if (value < 120) {
    return `${Math.round(value)} s`;
  }
  if (value < 7200) {
    return `${(value / 60).toFixed(1)} min`;
  }
  return `${(value / 3600).toFixed(1)} h`;
}

/** Unix seconds as "2026-01-02 10:04:05 UTC". */
export function utc(at) {
  if (typeof at !== "number") {
    return "–";
  }
  return new Date(at * 1000).toISOString().slice(0, 19).replace("T", " ") + " UTC";
}

/** Unix seconds as "10:04" (UTC), for chart axes. */
export function clock(at) {
  return new Date(at * 1000).toISOString().slice(11, 16);
}

/** How long ago: "12 s ago", "3 min ago", "in 20 s" for a time ahead. */
export function ago(at, now = Date.now() / 1000) {
  if (typeof at !== "number") {
    return "";
  }
  const delta = Math.round(now - at);
  const size = Math.abs(delta);
  let text;
  if (size < 90) {
    text = `${size} s`;
  } else if (size < 5400) {
    text = `${Math.round(size / 60)} min`;
  } else if (size < 172800) {
    text = `${Math.round(size / 3600)} h`;
  } else {
    text = `${Math.round(size / 86400)} d`;
  }
  return delta >= 0 ? `${text} ago` : `in ${text}`;
}
