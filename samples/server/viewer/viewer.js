// tachi_trace viewer: renders the trace list (/debug/traces) and one trace's waterfall
// (/debug/traces/{trace_id}) from the store's JSON. Everything that came from spans is inserted
// as text (textContent), never as HTML: span names and attributes come from outside.
"use strict";

// ---- small helpers ----------------------------------------------------------------------------

function element(tag, options = {}, children = []) {
  const node = document.createElement(tag);
  if (options.className) node.className = options.className;
  if (options.text !== undefined) node.textContent = String(options.text);
  // Through the CSSOM: the Content-Security-Policy refuses style attributes, not this.
  if (options.style) node.style.cssText = options.style;
  for (const [name, value] of Object.entries(options.attributes || {})) node.setAttribute(name, value);
  for (const child of children) if (child) node.append(child);
  return node;
}

function formatDuration(nanos) {
  if (nanos < 1e3) return `${Math.round(nanos)} ns`;
  if (nanos < 1e6) return `${(nanos / 1e3).toFixed(nanos < 1e4 ? 2 : 1)} µs`;
  if (nanos < 1e9) return `${(nanos / 1e6).toFixed(nanos < 1e7 ? 2 : 1)} ms`;
  return `${(nanos / 1e9).toFixed(2)} s`;
}

function formatAge(isoTime) {
  const seconds = Math.max(0, (Date.now() - Date.parse(isoTime)) / 1000);
  if (seconds < 60) return `${Math.round(seconds)} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86400)} d ago`;
}

function formatClock(isoTime) {
  const time = new Date(isoTime);
  const pad = (value, width = 2) => String(value).padStart(width, "0");
  return `${pad(time.getHours())}:${pad(time.getMinutes())}:${pad(time.getSeconds())}.` +
    pad(time.getMilliseconds(), 3);
}

function formatValue(value) {
  return typeof value === "string" ? value : JSON.stringify(value);
}

async function fetchJson(url) {
  const response = await fetch(url, { headers: { Accept: "application/json" } });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error || `${url} answered ${response.status}`);
  return body;
}

function showFailure(container, error) {
  container.replaceChildren(element("div", { className: "failure", text: error.message }));
  document.body.dataset.state = "error";
}

// Services get stable colours in order of appearance.
const servicePalette = ["--bar-1", "--bar-2", "--bar-3", "--bar-4", "--bar-5", "--bar-6"];
function serviceColours(services) {
  const colours = new Map();
  for (const service of services) {
    if (!colours.has(service)) {
      colours.set(service, `var(${servicePalette[colours.size % servicePalette.length]})`);
    }
  }
  return colours;
}

// ---- the trace list ---------------------------------------------------------------------------

const listState = { traces: [], timer: null };

function traceMatches(trace, filter, errorsOnly) {
  if (errorsOnly && !trace.error) return false;
  if (!filter) return true;
  const haystack = `${trace.root_name} ${trace.service} ${trace.trace_id}`.toLowerCase();
  return haystack.includes(filter);
}

function statusBadge(trace) {
  if (trace.error) {
    const label = trace.error_count === 1 ? "1 error" : `${trace.error_count} errors`;
    return element("span", { className: "badge error", text: label });
  }
  if (trace.root_missing) return element("span", { className: "badge warn", text: "root missing" });
  return element("span", { className: "badge ok", text: "ok" });
}

function traceRow(trace, longest) {
  const link = `/debug/traces/${trace.trace_id}`;
  const width = longest > 0 ? Math.max(1, (100 * trace.duration_nanos) / longest) : 0;
  const row = element("tr", {
    className: trace.error ? "error" : "",
    attributes: { "data-trace-id": trace.trace_id },
  }, [
    element("td", {}, [
      element("div", { text: formatClock(trace.start_time) }),
      element("div", { className: "faint", text: formatAge(trace.start_time) }),
    ]),
    element("td", {}, [
      element("a", { className: "root-name", text: trace.root_name, attributes: { href: link } }),
      element("span", { className: "service-chip", text: trace.service }),
    ]),
    element("td", { className: "duration-cell" }, [
      element("div", { text: formatDuration(trace.duration_nanos) }),
      element("div", { className: "mini-bar" }, [
        element("span", { style: `width:${width}%` }),
      ]),
    ]),
    element("td", { text: trace.dropped_spans > 0
      ? `${trace.span_count} (+${trace.dropped_spans} dropped)` : trace.span_count }),
    element("td", {}, [statusBadge(trace)]),
    element("td", { className: "mono faint", text: trace.trace_id.slice(0, 16) + "…" }),
  ]);
  row.addEventListener("click", (event) => {
    if (event.target.tagName !== "A") window.location.href = link;
  });
  return row;
}

function renderList() {
  const filter = document.getElementById("filter").value.trim().toLowerCase();
  const errorsOnly = document.getElementById("errors-only").checked;
  const shown = listState.traces.filter((trace) => traceMatches(trace, filter, errorsOnly));
  const longest = Math.max(0, ...shown.map((trace) => trace.duration_nanos));
  document.getElementById("trace-rows").replaceChildren(...shown.map((trace) => traceRow(trace, longest)));
  const empty = document.getElementById("empty");
  empty.hidden = shown.length > 0;
  if (listState.traces.length === 0) {
    empty.replaceChildren("No traces yet. Send a request, e.g. ",
      element("code", { text: "curl localhost:8080/api/specs/1" }), ", then refresh.");
  } else {
    empty.textContent = "No trace matches the filter.";
  }
}

async function loadList() {
  try {
    const list = await fetchJson("/debug/traces.json");
    listState.traces = list.traces;
    const errors = list.traces.filter((trace) => trace.error).length;
    document.getElementById("held").textContent =
      `${list.traces_held} of at most ${list.capacity} traces held in this process` +
      (errors > 0 ? ` · ${errors} with errors` : "");
    const notes = [];
    if (list.evicted_traces > 0) notes.push(`${list.evicted_traces} older traces evicted`);
    if (list.dropped_spans > 0) {
      notes.push(`${list.dropped_spans} spans dropped (more than ${list.max_spans_per_trace} in a trace)`);
    }
    document.getElementById("footnote").textContent = notes.join(" · ");
    renderList();
    document.body.dataset.state = "ready";
  } catch (error) {
    showFailure(document.getElementById("held"), error);
  }
}

function startList() {
  document.getElementById("filter").addEventListener("input", renderList);
  document.getElementById("errors-only").addEventListener("change", renderList);
  document.getElementById("refresh").addEventListener("click", loadList);
  const autoRefresh = document.getElementById("auto-refresh");
  const schedule = () => {
    clearInterval(listState.timer);
    if (autoRefresh.checked) listState.timer = setInterval(loadList, 5000);
  };
  autoRefresh.addEventListener("change", schedule);
  schedule();
  loadList();
}

// ---- the waterfall ----------------------------------------------------------------------------

/// Orders spans depth first, children by start time. A span whose parent is not in the trace
/// (in another process, or not received) is shown at the top level.
function buildTree(spans) {
  const byId = new Map(spans.map((span) => [span.span_id, { span, children: [] }]));
  const roots = [];
  for (const node of byId.values()) {
    const parent = node.span.parent_span_id ? byId.get(node.span.parent_span_id) : undefined;
    if (parent && parent !== node) parent.children.push(node);
    else roots.push(node);
  }
  const byStart = (left, right) => left.span.start_offset_nanos - right.span.start_offset_nanos;
  const ordered = [];
  const visit = (node, depth, ancestors) => {
    ordered.push({ span: node.span, depth, ancestors, childCount: node.children.length });
    node.children.sort(byStart);
    for (const child of node.children) visit(child, depth + 1, [...ancestors, node.span.span_id]);
  };
  roots.sort(byStart);
  for (const root of roots) visit(root, 0, []);
  return ordered;
}

function niceStep(total) {
  const rough = total / 6;
  const magnitude = Math.pow(10, Math.floor(Math.log10(rough)));
  for (const factor of [1, 2, 2.5, 5, 10]) if (factor * magnitude >= rough) return factor * magnitude;
  return 10 * magnitude;
}

function axisTicks(total, withLabels) {
  const ticks = [];
  if (total <= 0) return ticks;
  const step = niceStep(total);
  for (let at = 0; at <= total * 1.0001; at += step) {
    const left = `${(100 * at) / total}%`;
    ticks.push(withLabels
      ? element("div", { className: "tick", text: at === 0 ? "0" : formatDuration(at), style: `left:${left}` })
      : element("div", { className: "grid-line", style: `left:${left}` }));
  }
  return ticks;
}

function spanBar(span, total, colour) {
  const left = total > 0 ? (100 * span.start_offset_nanos) / total : 0;
  const width = total > 0 ? (100 * span.duration_nanos) / total : 100;
  const isError = span.status.code === "error";
  const bar = element("div", {
    className: isError ? "bar error" : "bar",
    style: `left:${left}%;width:${width}%;` + (isError ? "" : `background:${colour}`),
  });
  for (const event of span.events) {
    const at = span.duration_nanos > 0
      ? (100 * (event.offset_nanos - span.start_offset_nanos)) / span.duration_nanos : 0;
    bar.append(element("span", {
      className: "event-dot",
      style: `left:${Math.min(100, Math.max(0, at))}%`,
      attributes: { title: event.name },
    }));
  }
  // The label goes after the bar; before it when the bar ends near the right edge; inside it
  // when the bar spans nearly the whole trace.
  let labelStyle = `left:${left + width}%;margin-left:6px`;
  let labelClass = "bar-label";
  if (left + width > 80 && left >= 12) {
    labelStyle = `right:${100 - left}%;margin-right:6px`;
  } else if (left + width > 80) {
    labelStyle = `right:${100 - left - width}%;margin-right:6px`;
    labelClass = "bar-label inside";
  }
  const label = element("span", { className: labelClass, text: formatDuration(span.duration_nanos), style: labelStyle });
  return [bar, label];
}

function spanRow(entry, total, colours) {
  const span = entry.span;
  const isError = span.status.code === "error";
  const row = element("div", {
    className: isError ? "span-row error" : "span-row",
    attributes: {
      "data-span-id": span.span_id,
      "data-parent-id": span.parent_span_id,
      "data-depth": String(entry.depth),
      "data-status": span.status.code,
    },
  });
  const toggle = element("button", {
    className: entry.childCount > 0 ? "toggle" : "toggle leaf",
    text: "▾",
    attributes: { type: "button", "aria-label": "collapse children" },
  });
  const label = element("div", { className: "span-label", style: `padding-left:${12 + entry.depth * 18}px` }, [
    toggle,
    element("span", { className: `kind ${span.kind}`, text: span.kind.slice(0, 1).toUpperCase() + span.kind.slice(1, 3) }),
    element("span", { className: "span-name", text: span.name, attributes: { title: span.name } }),
    isError ? element("span", { className: "error-mark", text: "error" }) : null,
    element("span", { className: "span-service", text: span.service }),
  ]);
  const track = element("div", { className: "span-track" }, [...axisTicks(total, false), ...spanBar(span, total, colours.get(span.service))]);
  row.append(label, track);
  return { row, toggle };
}

function detailsTable(rows) {
  return element("table", { className: "kv" }, [
    element("tbody", {}, rows.map(([key, value, className]) => element("tr", {}, [
      element("td", { text: key }),
      element("td", { className: className || "value", text: value }),
    ]))),
  ]);
}

function spanDetails(span) {
  const isError = span.status.code === "error";
  const status = isError && span.status.description
    ? `error: ${span.status.description}` : span.status.code;
  const facts = [
    ["span id", span.span_id],
    ["parent span id", span.parent_span_id ? span.parent_span_id + (span.parent_is_remote ? " (remote)" : "") : "none (root)"],
    ["kind", span.kind],
    ["status", status, isError ? "value status-error" : "value"],
    ["service", span.service],
    ["instrumentation scope", span.scope || "—"],
    ["start", `${span.start_time} (+${formatDuration(span.start_offset_nanos)})`],
    ["duration", formatDuration(span.duration_nanos)],
  ];
  const details = element("div", { className: isError ? "details error" : "details", attributes: { "data-details-for": span.span_id } }, [
    element("h2", { text: span.name }),
    detailsTable(facts),
    element("h3", { text: `Attributes (${span.attributes.length})` }),
    span.attributes.length > 0
      ? detailsTable(span.attributes.map((attribute) => [attribute.key, formatValue(attribute.value)]))
      : element("div", { className: "faint", text: "No attributes." }),
  ]);
  if (span.dropped_attributes_count > 0) {
    details.append(element("div", { className: "faint", text: `${span.dropped_attributes_count} attributes dropped (over the limit)` }));
  }
  details.append(element("h3", { text: `Events (${span.events.length})` }));
  if (span.events.length === 0) details.append(element("div", { className: "faint", text: "No events." }));
  for (const event of span.events) {
    details.append(element("div", { className: "event" }, [
      element("div", { className: "event-head", text: `${event.name}  +${formatDuration(event.offset_nanos)}` }),
      event.attributes.length > 0
        ? detailsTable(event.attributes.map((attribute) => [attribute.key, formatValue(attribute.value)]))
        : null,
    ]));
  }
  if (span.links.length > 0) {
    details.append(element("h3", { text: `Links (${span.links.length})` }));
    details.append(detailsTable(span.links.map((link) => [link.span_id, `trace ${link.trace_id}`])));
  }
  return details;
}

function renderTraceHead(trace) {
  document.title = `${trace.root_name} · tachi_trace viewer`;
  document.getElementById("trace-title").textContent = trace.root_name;
  const services = [...new Set(trace.spans.map((span) => span.service))];
  const fact = (label, value, className) => element("span", {}, [
    `${label} `, element("b", { className, text: value }),
  ]);
  document.getElementById("trace-facts").replaceChildren(...[
    fact("trace", trace.trace_id, "mono"),
    fact("started", `${formatClock(trace.start_time)} (${formatAge(trace.start_time)})`),
    fact("duration", formatDuration(trace.duration_nanos)),
    fact("spans", String(trace.span_count) + (trace.dropped_spans > 0 ? ` (+${trace.dropped_spans} dropped)` : "")),
    trace.error_count > 0 ? element("span", { className: "badge error", text: `${trace.error_count} error${trace.error_count === 1 ? "" : "s"}` }) : null,
    trace.root_missing ? element("span", { className: "badge warn", text: "root span not received" }) : null,
  ].filter((node) => node !== null));
  const colours = serviceColours(services);
  document.getElementById("legend").replaceChildren(...services.map((service) => element("span", {}, [
    element("i", { style: `background:${colours.get(service)}` }), service,
  ])), element("span", {}, [element("i", { style: "background:var(--error)" }), "error"]));
  return colours;
}

function renderWaterfall(trace, colours) {
  const container = document.getElementById("waterfall");
  const total = trace.duration_nanos;
  const entries = buildTree(trace.spans);
  const axis = element("div", { className: "axis" }, [
    element("div", { className: "axis-label", text: "Span" }),
    element("div", { className: "ticks" }, axisTicks(total, true)),
  ]);
  const rows = entries.map((entry) => ({ entry, ...spanRow(entry, total, colours) }));
  const collapsed = new Set();
  const applyCollapse = () => {
    for (const { entry, row } of rows) {
      row.hidden = entry.ancestors.some((ancestor) => collapsed.has(ancestor));
      const next = row.nextElementSibling;
      if (next && next.classList.contains("details")) next.hidden = row.hidden;
    }
  };
  for (const { entry, row, toggle } of rows) {
    toggle.addEventListener("click", (event) => {
      event.stopPropagation();
      const id = entry.span.span_id;
      if (collapsed.has(id)) collapsed.delete(id); else collapsed.add(id);
      toggle.textContent = collapsed.has(id) ? "▸" : "▾";
      applyCollapse();
    });
    row.addEventListener("click", () => selectSpan(container, entry.span, row));
  }
  container.replaceChildren(axis, ...rows.map(({ row }) => row));
  return rows;
}

function selectSpan(container, span, row) {
  const open = container.querySelector(".details");
  const wasThisOne = open && open.dataset.detailsFor === span.span_id;
  if (open) open.remove();
  for (const selected of container.querySelectorAll(".span-row.selected")) selected.classList.remove("selected");
  if (wasThisOne) {
    history.replaceState(null, "", window.location.pathname);
    return;
  }
  row.classList.add("selected");
  row.after(spanDetails(span));
  history.replaceState(null, "", `#span=${span.span_id}`);
}

function traceIdFromPath() {
  const parts = window.location.pathname.split("/").filter((part) => part.length > 0);
  return parts[parts.length - 1];
}

async function startTrace() {
  const traceId = traceIdFromPath();
  const jsonUrl = `/debug/traces/${encodeURIComponent(traceId)}.json`;
  document.getElementById("json-link").setAttribute("href", jsonUrl);
  try {
    const trace = await fetchJson(jsonUrl);
    const colours = renderTraceHead(trace);
    const rows = renderWaterfall(trace, colours);
    const wanted = new URLSearchParams(window.location.hash.slice(1)).get("span");
    const selected = rows.find(({ entry }) => entry.span.span_id === wanted);
    if (selected) selectSpan(document.getElementById("waterfall"), selected.entry.span, selected.row);
    document.body.dataset.state = "ready";
  } catch (error) {
    document.getElementById("trace-title").textContent = "Trace not available";
    showFailure(document.getElementById("waterfall"), error);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  if (document.body.dataset.page === "list") startList();
  if (document.body.dataset.page === "trace") startTrace();
});
