/// The local dashboard page: plain HTML, CSS and JavaScript served from memory (no files to install, nothing
/// fetched from elsewhere). The script loads `/api/snapshot`, then follows `/api/live` (a websocket sending a fresh
/// snapshot every second) and falls back to polling while the websocket is down.
enum DashboardPage {
    static let html = #"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Flarelet dev dashboard</title>
        <link rel="stylesheet" href="/dashboard.css">
        </head>
        <body>
        <header>
          <h1>Flarelet dev</h1>
          <p id="connection" class="connection">connecting…</p>
        </header>
        <main id="workers"></main>
        <footer>Prometheus metrics: <a href="/metrics">/metrics</a> · live tail: <code>flarelet tail</code></footer>
        <script src="/dashboard.js"></script>
        </body>
        </html>
        """#

    static let style = #"""
        :root { --bg: #0f1420; --panel: #171e2d; --line: #26304a; --text: #e6e9f2; --soft: #97a0b8; --ok: #3ecf8e;
          --warn: #f0b03f; --bad: #f05a6b; --accent: #5b8def;
          font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
        * { box-sizing: border-box; }
        body { margin: 0; background: var(--bg); color: var(--text); }
        header { display: flex; justify-content: space-between; align-items: baseline; padding: 1rem 1.5rem; }
        h1 { margin: 0; font-size: 1.4rem; }
        h2 { margin: 0; font-size: 1.15rem; }
        h3 { margin: 1rem 0 0.4rem; font-size: 0.9rem; color: var(--soft); }
        a { color: var(--accent); }
        .connection { margin: 0; font-size: 0.85rem; color: var(--soft); }
        .connection.live { color: var(--ok); }
        .connection.down { color: var(--bad); }
        main { padding: 0 1.5rem 1.5rem; display: grid; gap: 1.25rem; }
        .worker { background: var(--panel); border: 1px solid var(--line); border-radius: 12px; padding: 1rem 1.25rem; }
        .worker .head { display: flex; gap: 1rem; align-items: baseline; flex-wrap: wrap; }
        .worker .head .config { color: var(--soft); font-size: 0.8rem; }
        .cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(130px, 1fr)); gap: 0.75rem; margin-top: 0.75rem; }
        .card { border: 1px solid var(--line); border-radius: 10px; padding: 0.6rem 0.8rem; }
        .card .label { font-size: 0.75rem; color: var(--soft); }
        .card .value { font-size: 1.35rem; font-weight: 700; font-variant-numeric: tabular-nums; }
        .chart { position: relative; }
        .chart svg { width: 100%; height: 90px; display: block; }
        .chart .peak { position: absolute; top: 0; left: 0.3rem; font-size: 0.7rem; color: var(--soft); }
        .columns { display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); gap: 1rem; }
        .columns > div { min-width: 0; overflow-x: auto; }
        table { border-collapse: collapse; width: 100%; font-size: 0.85rem; }
        td, th { text-align: left; padding: 0.25rem 0.4rem; border-bottom: 1px solid var(--line); font-variant-numeric: tabular-nums; }
        th, td:first-child { white-space: nowrap; }
        th { color: var(--soft); font-weight: 600; }
        .status { display: inline-block; padding: 0.1rem 0.45rem; border-radius: 6px; margin: 0 0.3rem 0.3rem 0; font-size: 0.8rem;
          border: 1px solid var(--line); }
        .status.s2 { color: var(--ok); } .status.s3 { color: var(--accent); } .status.s4 { color: var(--warn); } .status.s5 { color: var(--bad); }
        .error { border-left: 3px solid var(--bad); padding: 0.3rem 0.6rem; margin-bottom: 0.5rem; font-size: 0.85rem; }
        .error pre { margin: 0.3rem 0 0; white-space: pre-wrap; color: var(--soft); font-size: 0.8rem; }
        .none { color: var(--soft); font-style: italic; font-size: 0.85rem; }
        .ok { color: var(--ok); } .bad { color: var(--bad); }
        footer { padding: 0 1.5rem 1.5rem; color: var(--soft); font-size: 0.8rem; }
        """#

    static let script = #"""
        "use strict";
        (() => {
          const number = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });
          const main = document.getElementById("workers");
          const connection = document.getElementById("connection");
          let updates = 0;

          function h(tag, attributes, ...children) {
            const node = document.createElement(tag);
            for (const [key, value] of Object.entries(attributes || {})) {
              if (key === "dataset") Object.assign(node.dataset, value); else node.setAttribute(key, value);
            }
            for (const child of children.flat()) {
              if (child === null || child === undefined) continue;
              node.append(child instanceof Node ? child : document.createTextNode(String(child)));
            }
            return node;
          }
          const time = (ms) => {
            if (ms === null || ms === undefined) return "–";
            const date = new Date(ms);
            return date.toDateString() === new Date().toDateString() ? date.toLocaleTimeString() : date.toLocaleString();
          };
          const ms = (value) => value === null || value === undefined ? "–" : `${number.format(value)} ms`;
          function bytes(value) {
            const units = ["B", "KiB", "MiB", "GiB"];
            let i = 0;
            while (value >= 1024 && i < units.length - 1) { value /= 1024; i++; }
            return `${number.format(value)} ${units[i]}`;
          }

          function card(label, field, text, raw) {
            return h("div", { class: "card" }, h("div", { class: "label" }, label),
              h("div", { class: "value", dataset: { field, value: String(raw) } }, text));
          }

          // Requests per second over the last five minutes, errors in red.
          function chart(perSecond, errors) {
            const ns = "http://www.w3.org/2000/svg";
            const svg = document.createElementNS(ns, "svg");
            const width = 600, height = 90, max = Math.max(1, ...perSecond);
            svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
            svg.setAttribute("preserveAspectRatio", "none");
            const step = width / Math.max(1, perSecond.length - 1);
            const points = (values) => values.map((v, i) => `${(i * step).toFixed(1)},${(height - 4 - (height - 8) * v / max).toFixed(1)}`).join(" ");
            const area = document.createElementNS(ns, "polygon");
            area.setAttribute("points", `0,${height} ${points(perSecond)} ${width},${height}`);
            area.setAttribute("fill", "rgba(91,141,239,0.25)");
            const line = document.createElementNS(ns, "polyline");
            line.setAttribute("points", points(perSecond));
            line.setAttribute("fill", "none");
            line.setAttribute("stroke", "#5b8def");
            line.setAttribute("stroke-width", "1.5");
            const bad = document.createElementNS(ns, "polyline");
            bad.setAttribute("points", points(errors));
            bad.setAttribute("fill", "none");
            bad.setAttribute("stroke", "#f05a6b");
            bad.setAttribute("stroke-width", "1.5");
            const title = document.createElementNS(ns, "title");
            title.textContent = `peak ${max} requests/s in the last 5 minutes`;
            svg.append(area, line, bad, title);
            return h("div", { class: "chart" }, h("span", { class: "peak" }, `peak ${max}/s`), svg);
          }

          function table(headers, rows) {
            return h("table", {}, h("tr", {}, headers.map((x) => h("th", {}, x))), rows.map((row) => h("tr", {}, row.map((x) => h("td", {}, x)))));
          }

          function renderWorker(worker, index) {
            const lastMinute = worker.requestsLastMinute;
            const errors5xx = Object.entries(worker.statusCounts).filter(([s]) => Number(s) >= 500).reduce((sum, [, n]) => sum + n, 0);
            const section = h("section", { class: "worker", id: `worker-${index}`, dataset: { worker: worker.name } },
              h("div", { class: "head" }, h("h2", {}, worker.name), h("a", { href: worker.url }, worker.url), h("span", { class: "config" }, worker.config)),
              h("div", { class: "cards" },
                card("Requests", "totalRequests", number.format(worker.totalRequests), worker.totalRequests),
                card("Requests/s (last minute)", "requestsPerSecond", number.format(lastMinute / 60), lastMinute / 60),
                card("p50 latency", "p50", ms(worker.p50Ms), worker.p50Ms),
                card("p99 latency", "p99", ms(worker.p99Ms), worker.p99Ms),
                card("CPU per request", "cpu", ms(worker.cpuMsPerRequest), worker.cpuMsPerRequest),
                card("Errors (5xx)", "errors", number.format(errors5xx), errors5xx)),
              h("h3", {}, "Requests per second, last 5 minutes"),
              chart(worker.requestsPerSecond, worker.errorsPerSecond),
              h("h3", {}, "Status codes"),
              h("div", { class: "statuses" }, Object.keys(worker.statusCounts).length === 0 ? h("span", { class: "none" }, "No requests yet.") :
                Object.entries(worker.statusCounts).map(([status, count]) =>
                  h("span", { class: `status s${status[0]}`, dataset: { status, count: String(count) } }, `${status}: ${number.format(count)}`))),
              h("div", { class: "columns" },
                h("div", {}, h("h3", {}, "D1 databases"), worker.d1.length === 0 ? h("p", { class: "none" }, "None.") :
                  worker.d1.map((db) => h("div", { dataset: { d1: db.binding } },
                    h("div", {}, `env.${db.binding} · ${db.database} · ${bytes(db.sizeBytes)}`),
                    db.error ? h("p", { class: "bad" }, db.error) :
                      table(["table", "rows"], db.tables.map((t) => [t.name, h("span", { dataset: { table: t.name, rows: String(t.rows) } }, number.format(t.rows))]))))),
                h("div", {}, h("h3", {}, "KV namespaces"), worker.kv.length === 0 ? h("p", { class: "none" }, "None.") :
                  table(["binding", "keys"], worker.kv.map((ns) => [`env.${ns.binding}`,
                    h("span", { dataset: { kv: ns.binding, keys: String(ns.keys) } }, ns.keys === null ? ns.error : number.format(ns.keys))]))),
                h("div", {}, h("h3", {}, "Crons"), worker.crons.length === 0 ? h("p", { class: "none" }, "None.") :
                  table(["cron", "last run", "outcome", "duration", "next run"], worker.crons.map((c) => [c.cron, time(c.lastRun),
                    c.outcome === null ? "–" : h("span", { class: c.outcome === "ok" ? "ok" : "bad" }, c.outcome), ms(c.durationMs),
                    c.nextRun === null ? "off" : time(c.nextRun)])))),
              worker.assets ? h("p", { class: "none" }, `Assets: ${worker.assets.files} files from ${worker.assets.directory}`) : null,
              h("h3", {}, "Last errors"),
              worker.errors.length === 0 ? h("p", { class: "none" }, "No errors.") :
                worker.errors.map((e) => h("div", { class: "error" },
                  h("div", {}, `${time(e.eventTimestamp)} · `, e.event.request ? `${e.event.request.method} ${e.event.request.url}` : `cron "${e.event.cron}"`,
                    ` · ${e.outcome}`, e.event.response ? ` · ${e.event.response.status}` : ""),
                  e.exceptions.map((x) => h("div", { class: "bad" }, `${x.name}: ${x.message}`)),
                  e.logs.length ? h("pre", {}, e.logs.map((l) => `(${l.level}) ${l.message.join(" ")}`).join("\n")) : null)));
            return section;
          }

          function render(snapshot) {
            main.replaceChildren(...snapshot.workers.map(renderWorker));
            updates += 1;
            document.body.dataset.updates = String(updates);
          }

          async function poll() {
            try {
              const response = await fetch("/api/snapshot", { cache: "no-store" });
              if (response.ok) render(await response.json());
            } catch (error) {
              connection.textContent = "dev server not reachable";
              connection.className = "connection down";
            }
          }

          function live() {
            const socket = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/api/live`);
            socket.onopen = () => { connection.textContent = "live"; connection.className = "connection live"; };
            socket.onmessage = (message) => render(JSON.parse(message.data));
            socket.onclose = () => {
              connection.textContent = "reconnecting…";
              connection.className = "connection down";
              poll();
              setTimeout(live, 2000);
            };
          }

          poll().then(live);
        })();
        """#
}
