// Minigem dashboard: polls GET /stats (same origin, default range) on load and every 15 seconds and draws it.
"use strict";

(() => {
  const REFRESH_MS = 15000;
  const OUTCOMES = [
    { code: "0", label: "Successful (exit 0)", color: "#1f9d6b", field: "success" },
    { code: "130", label: "Frustrated (exit 130)", color: "#d98a1c", field: "frustrated" },
    { code: "1", label: "Runtime error (exit 1)", color: "#d3455b", field: "runtime" },
    { code: "143", label: "Terminated (exit 143)", color: "#7a62c9", field: "terminated" },
  ];
  const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
  const $ = (id) => document.getElementById(id);

  function setCard(field, text, raw) {
    const node = document.querySelector(`[data-field="${field}"]`);
    node.textContent = text;
    node.dataset.value = String(raw);
  }

  // Objects keyed by data values keep the server's order (count descending); take the first `limit`.
  function entries(object, limit) {
    return Object.entries(object || {}).slice(0, limit || Infinity);
  }

  function sessionList(list, items) {
    list.replaceChildren();
    if (!items || !items.length) {
      const li = document.createElement("li");
      li.className = "empty";
      li.textContent = "No sessions in this category.";
      list.appendChild(li);
      return;
    }
    for (const item of items) {
      const li = document.createElement("li");
      const who = document.createElement("span");
      who.className = "who";
      who.textContent = item.student;
      const tags = document.createElement("span");
      tags.className = "tags";
      const minutes = Math.round((item.durationMs || 0) / 60000);
      tags.textContent = ` · ${new Date(item.ts).toLocaleString()} · ${minutes} min · ${item.interactive ? "Interactive" : "No input"} · Exit ${item.exit}`;
      li.append(who, tags);
      list.appendChild(li);
    }
  }

  // The daily series cover the whole range (47,482 days by default): keep the days from the first to the last with data.
  function trimDays(labels, series) {
    let first = labels.length, last = -1;
    for (const s of series) {
      s.data.forEach((value, i) => {
        if (value) {
          first = Math.min(first, i);
          last = Math.max(last, i);
        }
      });
    }
    if (last < 0) return { labels: [], series: [] };
    return { labels: labels.slice(first, last + 1), series: series.map((s) => ({ ...s, data: s.data.slice(first, last + 1) })) };
  }

  // "10000-30000ms" → "10–30 s", "≥120000ms" → "≥120 s".
  function shortDuration(label) {
    const seconds = (ms) => String(Number(ms) / 1000);
    const range = /^(\d+)-(\d+)ms$/.exec(label);
    if (range) return `${seconds(range[1])}–${seconds(range[2])} s`;
    const open = /^≥(\d+)ms$/.exec(label);
    return open ? `≥${seconds(open[1])} s` : label;
  }

  function render(stats) {
    $("subtitle").textContent = `Last ${stats.windowDays ?? 7} days`;
    const exitCodes = stats.exitCodes || {};
    const completed = (stats.runs && stats.runs.completed) || 0;
    const exitSum = Object.values(exitCodes).reduce((sum, n) => sum + n, 0);
    const denominator = completed || exitSum || 1;
    for (const outcome of OUTCOMES) {
      const pct = Math.round((100 * (exitCodes[outcome.code] || 0)) / denominator);
      setCard(outcome.field, `${pct}%`, pct);
    }
    setCard("total", integer.format(stats.total || 0), stats.total || 0);
    setCard("uniques", integer.format(stats.uniques || 0), stats.uniques || 0);
    setCard("started", integer.format((stats.runs && stats.runs.started) || 0), (stats.runs && stats.runs.started) || 0);
    setCard("completed", integer.format(completed), completed);
    const median = (stats.durations && stats.durations.median) || 0;
    setCard("median", `${integer.format(median)} ms`, median);
    const interactive = Math.round(100 * (stats.interactiveRate || 0));
    setCard("interactive", `${interactive}%`, interactive);

    const outcomesByDay = stats.dailyLearningOutcomes || {};
    const days = Object.keys(outcomesByDay).sort();
    Charts.line($("chart-daily-outcomes"), days, OUTCOMES.map((o) => ({
      label: o.label, color: o.color, data: days.map((day) => (outcomesByDay[day] || {})[o.code] || 0),
    })), { width: 1100, height: 280 });
    Charts.doughnut($("chart-exit-codes"), OUTCOMES.map((o) => ({ label: o.label, color: o.color, value: exitCodes[o.code] || 0 })));
    sessionList($("list-success"), stats.sessions && stats.sessions.successTop);
    sessionList($("list-frustrated"), stats.sessions && stats.sessions.frustratedTop);

    const errors = stats.errors || {};
    Charts.bar($("chart-errors"), ["Compile", "Runtime"], [errors.compile || 0, errors.runtime || 0], "#d3455b");
    const exceptions = entries(stats.topExceptions, 10);
    Charts.hbar($("chart-exceptions"), exceptions.map((e) => e[0]), exceptions.map((e) => e[1]), "#d3455b");

    const dailyOs = stats.dailyOs || { labels: [], series: [] };
    const trimmed = trimDays(dailyOs.labels || [], (dailyOs.series || []).map((s) => ({ label: s.key, data: s.data })));
    Charts.line($("chart-daily-os"), trimmed.labels, trimmed.series, { width: 1100, height: 280 });

    const hours = Array.from({ length: 24 }, (_, h) => String(h).padStart(2, "0"));
    Charts.line($("chart-hourly"), hours, [{ label: "Events", data: stats.hourly || new Array(24).fill(0) }]);
    Charts.bar($("chart-weekday"), WEEKDAYS, stats.dow || new Array(7).fill(0));
    const hist = (stats.durations && stats.durations.hist) || { labels: [], values: [] };
    Charts.bar($("chart-durations"), hist.labels.map(shortDuration), hist.values, "#1aa3b8");
    const outputs = entries(stats.outputBuckets);
    Charts.bar($("chart-output"), outputs.map((e) => e[0]), outputs.map((e) => e[1]), "#7a62c9");
    const vscode = entries(stats.byVscode, 10);
    Charts.hbar($("chart-vscode"), vscode.map((e) => e[0]), vscode.map((e) => e[1]), "#2f6fdb");
    const ext = entries(stats.byExt, 10);
    Charts.hbar($("chart-ext"), ext.map((e) => e[0]), ext.map((e) => e[1]), "#1f9d6b");
  }

  async function refresh() {
    const meta = $("meta");
    try {
      const response = await fetch("/stats");
      if (!response.ok) {
        meta.textContent = `Failed to load stats (${response.status})`;
        meta.classList.add("error");
        return;
      }
      const stats = await response.json();
      render(stats);
      meta.classList.remove("error");
      meta.textContent = `Window: ${stats.from} → ${stats.to} • Updated ${new Date().toLocaleTimeString()}`;
      document.body.dataset.updates = String(Number(document.body.dataset.updates || 0) + 1);
    } catch (error) {
      meta.textContent = `Failed to load stats (${error && error.message ? error.message : "network error"})`;
      meta.classList.add("error");
    }
  }

  refresh();
  setInterval(refresh, REFRESH_MS);
})();
