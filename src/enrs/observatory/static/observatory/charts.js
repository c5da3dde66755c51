// Interactive daily chart of the emergency dashboard (progressive enhancement, no library).
//
// The server renders an accessible SVG and its data table; this module, when it runs, replaces
// them with an interactive version fed by the JSON embedded with Django's json_script:
//   - period zoom: two range inputs (keyboard: arrows, Page Up/Down, Home/End) and a brush
//     (drag across the chart with a mouse, pen or finger); "Toute la période" resets;
//   - series: one stacked series per département, each toggled by its legend button
//     (aria-pressed); an establishment filter (select);
//   - the data table under the chart always shows what the chart shows (visible days, visible
//     series, total), and a polite live region announces the new selection.
// Every text comes from the server (gettext) in data.labels. CSP: script-src 'self', no inline
// style (SVG presentation attributes and classes only).

const SVG = "http://www.w3.org/2000/svg";
const COLOURS = ["#1f4e8c", "#b35900", "#2a7a3b", "#8c1f5a", "#5a4a9e", "#8a6d00", "#00707a", "#6b2f1a"];
const WIDTH = 760, HEIGHT = 260, LEFT = 44, BOTTOM = 40, TOP = 14;

function el(tag, attrs = {}, text) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

function svgEl(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

function frenchDate(iso) {
  const [y, m, d] = iso.split("-");
  return `${d}/${m}/${y}`;
}

function format(template, values) {
  return template.replace(/\{(\w+)\}/g, (_m, key) => String(values[key]));
}

export function enhance(section) {
  const source = document.getElementById(section.dataset.dailyChart);
  if (!source) return;
  const data = JSON.parse(source.textContent);
  const L = data.labels;
  const days = data.days;
  if (!days.length) return;
  const departements = [...new Set(data.series.map((s) => s.departement))].sort();
  const state = { start: 0, end: days.length - 1, hidden: new Set(), finess: "" };
  const uid = section.id || "daily";

  // --- controls -----------------------------------------------------------------------------
  const controls = el("div", { class: "chart-controls" });
  const period = el("fieldset", { class: "chart-controls__group" });
  period.append(el("legend", {}, L.period));
  const ranges = {};
  for (const [key, label] of [["start", L.from], ["end", L.to]]) {
    const id = `${uid}-${key}`;
    const input = el("input", { type: "range", id, min: "0", max: String(days.length - 1), step: "1",
                                value: String(state[key]) });
    const output = el("span", { class: "chart-controls__value", "aria-hidden": "true" });
    const wrap = el("div", { class: "field" });
    wrap.append(el("label", { for: id }, label), input, output);
    period.append(wrap);
    ranges[key] = { input, output };
    input.addEventListener("input", () => {
      let value = Number(input.value);
      if (key === "start") value = Math.min(value, state.end);
      else value = Math.max(value, state.start);
      state[key] = value;
      update();
    });
  }
  const reset = el("button", { type: "button", class: "btn btn--secondary" }, L.reset);
  reset.addEventListener("click", () => { state.start = 0; state.end = days.length - 1; update(); });
  period.append(reset);

  const filter = el("div", { class: "field chart-controls__group" });
  const selectId = `${uid}-finess`;
  const select = el("select", { id: selectId });
  select.append(el("option", { value: "" }, L.all_establishments));
  for (const s of [...data.series].sort((a, b) => a.label.localeCompare(b.label, "fr"))) {
    select.append(el("option", { value: s.finess }, s.label));
  }
  filter.append(el("label", { for: selectId }, L.establishment), select);
  select.addEventListener("change", () => { state.finess = select.value; update(); });

  const legend = el("div", { class: "chart-legend", role: "group", "aria-label": L.series });
  const legendButtons = new Map();
  departements.forEach((dep, index) => {
    const button = el("button", { type: "button", class: "chart-legend__item", "aria-pressed": "true",
                                  "data-departement": dep });
    const swatch = svgEl("svg", { width: 14, height: 14, viewBox: "0 0 14 14", "aria-hidden": "true", focusable: "false" });
    swatch.append(svgEl("rect", { width: 14, height: 14, fill: COLOURS[index % COLOURS.length] }));
    button.append(swatch, document.createTextNode(" " + format(L.departement, { code: dep })));
    button.addEventListener("click", () => {
      if (state.hidden.has(dep)) state.hidden.delete(dep); else state.hidden.add(dep);
      update();
    });
    legend.append(button);
    legendButtons.set(dep, button);
  });
  const status = el("p", { class: "chart-status", role: "status", "aria-live": "polite" });
  controls.append(period, filter, legend, status);

  // --- chart --------------------------------------------------------------------------------
  const slot = section.querySelector("[data-chart-slot]");
  const chart = svgEl("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, width: "100%", role: "img", class: "chart chart--interactive",
                               "aria-labelledby": `${uid}-svg-t`, "aria-describedby": `${uid}-svg-d`, focusable: "false" });
  slot.replaceChildren(chart);
  slot.before(controls);

  // --- table --------------------------------------------------------------------------------
  const details = section.querySelector("[data-chart-table]");
  const table = el("table", { class: "table" });
  details.querySelector("table")?.remove();
  details.append(table);

  function visibleSeries() {
    return data.series.filter((s) => (!state.finess || s.finess === state.finess));
  }

  function stacks() {
    const series = visibleSeries();
    const shown = departements.filter((dep) => !state.hidden.has(dep) && series.some((s) => s.departement === dep));
    const rows = [];
    for (let i = state.start; i <= state.end; i++) {
      const byDep = shown.map((dep) => series.filter((s) => s.departement === dep).reduce((sum, s) => sum + s.values[i], 0));
      rows.push({ day: days[i], byDep, total: byDep.reduce((a, b) => a + b, 0) });
    }
    return { shown, rows };
  }

  let brushFrom = null;
  const step = () => (WIDTH - LEFT - 10) / (state.end - state.start + 1);
  const indexAt = (event) => {
    const box = chart.getBoundingClientRect();
    const x = (event.clientX - box.left) * (WIDTH / box.width);
    const offset = Math.floor((x - LEFT) / step());
    return Math.max(state.start, Math.min(state.end, state.start + offset));
  };

  function drawChart(shown, rows) {
    const top = Math.max(1, ...rows.map((r) => r.total));
    const first = frenchDate(rows[0].day), last = frenchDate(rows[rows.length - 1].day);
    chart.replaceChildren(
      svgEl("title", { id: `${uid}-svg-t` }, L.title),
      svgEl("desc", { id: `${uid}-svg-d` }, format(L.description, { first, last })),
      svgEl("line", { x1: LEFT, y1: HEIGHT - BOTTOM, x2: WIDTH - 5, y2: HEIGHT - BOTTOM, stroke: "#4a4a4a" }),
      svgEl("text", { x: LEFT - 4, y: TOP, "text-anchor": "end", "font-size": 11, fill: "#4a4a4a" }, String(top)),
      svgEl("text", { x: LEFT - 4, y: HEIGHT - BOTTOM, "text-anchor": "end", "font-size": 11, fill: "#4a4a4a" }, "0"),
    );
    const width = step();
    const every = Math.max(1, Math.ceil(rows.length / 10));
    rows.forEach((row, index) => {
      const x = LEFT + index * width;
      let base = HEIGHT - BOTTOM;
      row.byDep.forEach((value, k) => {
        if (!value) return;
        const h = (HEIGHT - BOTTOM - TOP) * value / top;
        base -= h;
        const colour = COLOURS[departements.indexOf(shown[k]) % COLOURS.length];
        const rect = svgEl("rect", { x: x.toFixed(1), y: base.toFixed(1), width: Math.max(width - 1, 1).toFixed(1),
                                     height: h.toFixed(1), fill: colour, "data-day": row.day });
        rect.append(svgEl("title", {}, `${frenchDate(row.day)} — ${format(L.departement, { code: shown[k] })} : ${value}`));
        chart.append(rect);
      });
      if (index % every === 0) {
        chart.append(svgEl("text", { x: x.toFixed(1), y: HEIGHT - BOTTOM + 14, "font-size": 10, fill: "#4a4a4a" },
                           frenchDate(row.day).slice(0, 5)));
      }
    });
    chart.append(svgEl("rect", { class: "chart-brush", x: 0, y: TOP, width: 0, height: HEIGHT - BOTTOM - TOP,
                                 fill: "#1f4e8c", "fill-opacity": 0.15, stroke: "#1f4e8c", visibility: "hidden" }));
  }

  function drawTable(shown, rows) {
    const caption = el("caption", { class: "visually-hidden" }, L.title);
    const head = el("tr");
    head.append(el("th", { scope: "col" }, L.day));
    for (const dep of shown) head.append(el("th", { scope: "col" }, format(L.departement, { code: dep })));
    head.append(el("th", { scope: "col" }, L.total));
    const thead = el("thead"); thead.append(head);
    const tbody = el("tbody");
    for (const row of rows) {
      const tr = el("tr");
      tr.append(el("th", { scope: "row" }, frenchDate(row.day)));
      for (const value of row.byDep) tr.append(el("td", {}, String(value)));
      tr.append(el("td", {}, String(row.total)));
      tbody.append(tr);
    }
    table.replaceChildren(caption, thead, tbody);
  }

  function update() {
    for (const key of ["start", "end"]) {
      const { input, output } = ranges[key];
      input.value = String(state[key]);
      input.setAttribute("aria-valuetext", frenchDate(days[state[key]]));
      output.textContent = frenchDate(days[state[key]]);
    }
    const present = new Set(visibleSeries().map((s) => s.departement));
    for (const [dep, button] of legendButtons) {
      button.setAttribute("aria-pressed", String(!state.hidden.has(dep)));
      button.disabled = !present.has(dep);
    }
    const { shown, rows } = stacks();
    drawChart(shown, rows);
    drawTable(shown, rows);
    const total = rows.reduce((sum, r) => sum + r.total, 0);
    status.textContent = format(L.status, { first: frenchDate(rows[0].day), last: frenchDate(rows[rows.length - 1].day),
                                            days: rows.length, total });
  }

  chart.addEventListener("pointerdown", (event) => {
    brushFrom = indexAt(event);
    chart.setPointerCapture(event.pointerId);
  });
  chart.addEventListener("pointermove", (event) => {
    if (brushFrom === null) return;
    const to = indexAt(event);
    const brush = chart.querySelector(".chart-brush");
    const a = Math.min(brushFrom, to) - state.start, b = Math.max(brushFrom, to) - state.start;
    brush.setAttribute("x", (LEFT + a * step()).toFixed(1));
    brush.setAttribute("width", ((b - a + 1) * step()).toFixed(1));
    brush.setAttribute("visibility", "visible");
  });
  chart.addEventListener("pointerup", (event) => {
    if (brushFrom === null) return;
    const to = indexAt(event);
    const [a, b] = [Math.min(brushFrom, to), Math.max(brushFrom, to)];
    brushFrom = null;
    if (b > a) { state.start = a; state.end = b; }
    update();
  });

  section.classList.add("is-interactive");
  update();
}

for (const section of document.querySelectorAll("[data-daily-chart]")) enhance(section);
