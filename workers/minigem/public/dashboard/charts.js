// Small inline-SVG charts for the Minigem dashboard: line, vertical bar, horizontal bar and doughnut.
// No dependencies; every chart replaces the contents of its container element.
"use strict";

const Charts = (() => {
  const NS = "http://www.w3.org/2000/svg";
  const PALETTE = ["#2f6fdb", "#1f9d6b", "#d3455b", "#d98a1c", "#7a62c9", "#1aa3b8", "#c2499b", "#6b7a8f", "#9a7b16", "#3c9d2f"];

  function el(name, attributes, text) {
    const node = document.createElementNS(NS, name);
    for (const [key, value] of Object.entries(attributes || {})) node.setAttribute(key, String(value));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function svg(width, height) {
    return el("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", preserveAspectRatio: "xMidYMid meet" });
  }

  function empty(container, message) {
    container.replaceChildren();
    const p = document.createElement("p");
    p.className = "empty";
    p.textContent = message || "No data yet.";
    container.appendChild(p);
  }

  function legend(container, entries) {
    const box = document.createElement("div");
    box.className = "legend";
    for (const entry of entries) {
      const span = document.createElement("span");
      span.style.setProperty("--swatch", entry.color);
      span.textContent = entry.label;
      box.appendChild(span);
    }
    container.appendChild(box);
  }

  // Axis scale for counts: a step of 1, 2 or 5 times a power of ten (at least 1) and a top that is a multiple of it.
  function scale(value, ticks) {
    const raw = Math.max(1, value) / ticks;
    const power = Math.pow(10, Math.floor(Math.log10(raw)));
    let step = 10 * power;
    for (const factor of [1, 2, 5]) {
      if (factor * power >= raw) {
        step = factor * power;
        break;
      }
    }
    step = Math.max(1, step);
    return { max: Math.max(step, Math.ceil(Math.max(1, value) / step) * step), step };
  }

  function formatNumber(value) {
    return new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 }).format(value);
  }

  function axes(root, box, axis) {
    for (let value = 0; value <= axis.max; value += axis.step) {
      const y = box.top + box.height - (box.height * value) / axis.max;
      root.appendChild(el("line", { x1: box.left, x2: box.left + box.width, y1: y, y2: y, class: "grid-line" }));
      root.appendChild(el("text", { x: box.left - 6, y: y + 4, "text-anchor": "end" }, formatNumber(value)));
    }
  }

  function xLabels(root, box, labels, positionOf, room) {
    const every = Math.max(1, Math.ceil(labels.length / Math.max(2, Math.floor(box.width / room))));
    labels.forEach((label, index) => {
      if (index % every !== 0) return;
      const anchor = index === 0 && labels.length > 1 ? "start" : index === labels.length - 1 && labels.length > 1 ? "end" : "middle";
      root.appendChild(el("text", { x: positionOf(index), y: box.top + box.height + 18, "text-anchor": anchor }, label));
    });
  }

  // series: [{label, data:[numbers], color?}] over shared labels.
  function line(container, labels, series, options) {
    if (!labels.length || !series.length) return empty(container);
    const width = (options && options.width) || 420, height = (options && options.height) || 240;
    const box = { left: 40, top: 10, width: width - 52, height: height - 40 };
    const axis = scale(Math.max(...series.flatMap((s) => s.data)), 4);
    const max = axis.max;
    const root = svg(width, height);
    axes(root, box, axis);
    const x = (i) => box.left + (labels.length === 1 ? box.width / 2 : (box.width * i) / (labels.length - 1));
    const y = (v) => box.top + box.height - (box.height * v) / max;
    xLabels(root, box, labels, x, Math.max(28, labels[0].length * 8));
    series.forEach((entry, index) => {
      const color = entry.color || PALETTE[index % PALETTE.length];
      const points = entry.data.map((value, i) => `${x(i).toFixed(1)},${y(value).toFixed(1)}`).join(" ");
      const path = el("polyline", { points, fill: "none", stroke: color, "stroke-width": 2, "data-series": entry.label });
      path.appendChild(el("title", {}, entry.label));
      root.appendChild(path);
      if (entry.data.length <= 60) {
        entry.data.forEach((value, i) => {
          const dot = el("circle", { cx: x(i), cy: y(value), r: 2.5, fill: color });
          dot.appendChild(el("title", {}, `${entry.label} · ${labels[i]}: ${formatNumber(value)}`));
          root.appendChild(dot);
        });
      }
    });
    container.replaceChildren(root);
    legend(container, series.map((s, i) => ({ label: s.label, color: s.color || PALETTE[i % PALETTE.length] })));
  }

  // Vertical bars: labels and values of the same length.
  function bar(container, labels, values, color) {
    if (!labels.length || values.every((v) => !v)) return empty(container);
    const width = 420, height = 230;
    const box = { left: 40, top: 10, width: width - 48, height: height - 40 };
    const axis = scale(Math.max(...values), 4);
    const max = axis.max;
    const root = svg(width, height);
    axes(root, box, axis);
    const slot = box.width / labels.length;
    values.forEach((value, i) => {
      const h = (box.height * value) / max;
      const rect = el("rect", {
        x: box.left + i * slot + slot * 0.15, y: box.top + box.height - h, width: slot * 0.7, height: h,
        rx: 3, fill: color || PALETTE[0], "data-label": labels[i], "data-value": value,
      });
      rect.appendChild(el("title", {}, `${labels[i]}: ${formatNumber(value)}`));
      root.appendChild(rect);
    });
    xLabels(root, box, labels, (i) => box.left + i * slot + slot / 2, Math.max(24, Math.max(...labels.map((l) => l.length)) * 6.5));
    container.replaceChildren(root);
  }

  // Horizontal bars for long labels (versions, exception hashes), largest first as given.
  function hbar(container, labels, values, color) {
    if (!labels.length) return empty(container);
    const rowHeight = 24, labelWidth = 150, width = 420;
    const height = labels.length * rowHeight + 8;
    const max = Math.max(1, ...values);
    const root = svg(width, height);
    labels.forEach((label, i) => {
      const y = 4 + i * rowHeight;
      const w = ((width - labelWidth - 50) * values[i]) / max;
      const shown = label.length > 22 ? label.slice(0, 21) + "…" : label;
      root.appendChild(el("text", { x: labelWidth - 8, y: y + 15, "text-anchor": "end" }, shown));
      const rect = el("rect", { x: labelWidth, y: y + 3, width: Math.max(1, w), height: rowHeight - 8, rx: 3, fill: color || PALETTE[0], "data-label": label, "data-value": values[i] });
      rect.appendChild(el("title", {}, `${label}: ${formatNumber(values[i])}`));
      root.appendChild(rect);
      root.appendChild(el("text", { x: labelWidth + w + 6, y: y + 15 }, formatNumber(values[i])));
    });
    container.replaceChildren(root);
  }

  // Doughnut: entries [{label, value, color}].
  function doughnut(container, entries) {
    const total = entries.reduce((sum, e) => sum + e.value, 0);
    if (!total) return empty(container);
    const size = 220, r = 90, inner = 56, c = size / 2;
    const root = svg(size, size);
    let angle = -Math.PI / 2;
    entries.forEach((entry, index) => {
      if (!entry.value) return;
      const color = entry.color || PALETTE[index % PALETTE.length];
      const sweep = (2 * Math.PI * entry.value) / total;
      let shape;
      if (entry.value === total) {
        shape = el("path", {
          d: `M ${c} ${c - r} A ${r} ${r} 0 1 1 ${c - 0.01} ${c - r} Z M ${c} ${c - inner} A ${inner} ${inner} 0 1 0 ${c + 0.01} ${c - inner} Z`,
          fill: color, "fill-rule": "evenodd",
        });
      } else {
        const end = angle + sweep, large = sweep > Math.PI ? 1 : 0;
        const p = (radius, a) => `${(c + radius * Math.cos(a)).toFixed(2)} ${(c + radius * Math.sin(a)).toFixed(2)}`;
        shape = el("path", {
          d: `M ${p(r, angle)} A ${r} ${r} 0 ${large} 1 ${p(r, end)} L ${p(inner, end)} A ${inner} ${inner} 0 ${large} 0 ${p(inner, angle)} Z`,
          fill: color,
        });
      }
      shape.setAttribute("data-label", entry.label);
      shape.setAttribute("data-value", entry.value);
      shape.appendChild(el("title", {}, `${entry.label}: ${formatNumber(entry.value)} (${Math.round((100 * entry.value) / total)}%)`));
      root.appendChild(shape);
      angle += sweep;
    });
    root.appendChild(el("text", { x: c, y: c + 5, "text-anchor": "middle", style: "font-size:18px;font-weight:700" }, formatNumber(total)));
    container.replaceChildren(root);
    legend(container, entries.map((e, i) => ({ label: `${e.label} (${formatNumber(e.value)})`, color: e.color || PALETTE[i % PALETTE.length] })));
  }

  return { line, bar, hbar, doughnut, empty, formatNumber, PALETTE };
})();
