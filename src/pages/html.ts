/** The HTML of the demo page (/) and the SWAP dashboard (/dashboard). Scripts and styles are same-origin files. */

type Page = "demo" | "dashboard";

export interface PageOptions {
  /**
   * An API key for the page's script, put into `<meta name="fas-edge-api-key">`: only the local
   * development key, and only for a page served to a loopback host (src/routes/pages.ts).
   */
  readonly apiKey?: string;
}

/** Name of the meta element that carries the page's API key. */
export const API_KEY_META = "fas-edge-api-key";

const escapeAttribute = (text: string) => text.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** The API key field, shown by the page script when it has no key or the service refuses the one it has. */
function keyPanel(scope: string): string {
  return `<section id="key-panel" class="panel key-panel" aria-labelledby="key-title" hidden>
    <h2 id="key-title">API key</h2>
    <p id="key-message">This page needs an API key with the “${scope}” scope.</p>
    <form id="key-form" class="key-form">
      <label for="key-input">API key</label>
      <div class="key-row">
        <input id="key-input" name="key" type="password" required autocomplete="off" autocapitalize="off" spellcheck="false" placeholder="fas_…" aria-describedby="key-message key-help">
        <button type="submit" class="primary">Use key</button>
      </div>
      <p id="key-help" class="help">Create one with <code>npm run keys -- create --scopes ${scope}</code>. A key that works is kept in this browser (localStorage) and sent only to this service.</p>
    </form>
  </section>`;
}

function layout(page: Page, title: string, body: string, options: PageOptions): string {
  const nav = (href: string, label: string, which: Page) =>
    `<a href="${href}"${which === page ? ' aria-current="page"' : ""}>${label}</a>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
${options.apiKey === undefined ? "" : `<meta name="${API_KEY_META}" content="${escapeAttribute(options.apiKey)}">\n`}<title>${title} · fas-edge</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/pages/app.css">
<script type="module" src="/pages/${page}.js"></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="topbar">
  <a class="brand" href="/"><span class="brand-mark" aria-hidden="true"></span>fas-edge</a>
  <nav aria-label="Pages">${nav("/", "Liveness check", "demo")}${nav("/dashboard", "SWAP dashboard", "dashboard")}</nav>
</header>
${body}
</body>
</html>
`;
}

export function demoPage(options: PageOptions = {}): string {
  return layout(
    "demo",
    "Liveness check",
    `<main id="main" class="demo">
  ${keyPanel("liveness")}
  <section class="panel" aria-labelledby="capture-title">
    <h1 id="capture-title">Liveness check</h1>
    <p class="lede">Centre your face in the oval and take a check. Each check opens a session whose single-use nonce goes with the frame, so a replayed request is refused. The frame is scored at the nearest edge location by a distilled int8 model; frames it is unsure about go to a larger teacher model.</p>
    <div id="stage" class="stage" data-state="idle">
      <video id="preview" playsinline muted aria-label="Camera preview, mirrored"></video>
      <svg id="guide" aria-hidden="true" focusable="false" preserveAspectRatio="none"></svg>
      <p id="stage-hint" class="stage-hint">Camera is off</p>
    </div>
    <div class="actions">
      <button id="camera-button" type="button">Start camera</button>
      <button id="check-button" type="button" class="primary" disabled>Check liveness</button>
    </div>
    <div class="upload">
      <label for="upload-input">No camera? Upload a photo</label>
      <input id="upload-input" type="file" accept="image/jpeg,image/png" aria-describedby="upload-help">
      <p id="upload-help" class="help">A JPEG or PNG with the face in the centre. It is sent to this service only, scored and not stored.</p>
    </div>
  </section>
  <section class="panel" aria-labelledby="result-title">
    <h2 id="result-title">Result</h2>
    <div id="result" role="status" aria-live="polite" aria-atomic="true" data-decision="none">
      <div class="result-top">
        <div>
          <p class="decision"><span id="decision-badge" class="badge">No check yet</span></p>
          <p id="decision-summary">Start the camera and press “Check liveness”, or upload a photo.</p>
        </div>
        <canvas id="seen" width="160" height="160" role="img" hidden></canvas>
      </div>
      <div id="result-details" hidden>
        <dl id="facts" class="facts"></dl>
        <h3>Latency per stage</h3>
        <table class="timings">
          <caption class="note">Measured inside the Worker; deployed Workers advance timers only across I/O, so figures there are estimates.</caption>
          <thead><tr><th scope="col">Stage</th><th scope="col">Time</th><th scope="col"><span class="note">Share of total</span></th></tr></thead>
          <tbody id="timings-body"></tbody>
        </table>
      </div>
    </div>
    <p id="error" class="error" role="alert" hidden></p>
  </section>
</main>`,
    options,
  );
}

export function dashboardPage(options: PageOptions = {}): string {
  return layout(
    "dashboard",
    "SWAP dashboard",
    `<main id="main">
  <h1>SWAP dashboard</h1>
  <p class="lede">Speed, Weight, Accuracy and Power of the serving models per edge region, from <code>GET /v1/swap</code> (an API key with the “metrics” scope). It refreshes every 5 seconds.</p>
  <div class="toolbar">
    <button id="refresh-button" type="button">Refresh now</button>
    <label><input id="auto-refresh" type="checkbox" checked> Refresh automatically</label>
    <label>Region <select id="region-select"><option value="">All regions</option></select></label>
    <p id="status" role="status" aria-live="polite">Loading…</p>
    <p id="updated" class="note"></p>
  </div>
  ${keyPanel("metrics")}
  <section aria-labelledby="totals-title">
    <h2 id="totals-title">All regions</h2>
    <div id="cards" class="cards"></div>
  </section>
  <section aria-labelledby="charts-title">
    <h2 id="charts-title">Per region</h2>
    <div class="charts">
      <figure class="panel" aria-labelledby="chart-decisions-title"><h3 id="chart-decisions-title">Frames by decision</h3><div id="chart-decisions"></div></figure>
      <figure class="panel" aria-labelledby="chart-latency-title"><h3 id="chart-latency-title">Latency (ms)</h3><div id="chart-latency"></div></figure>
      <figure class="panel" aria-labelledby="chart-rates-title"><h3 id="chart-rates-title">Teacher fallback and agreement</h3><div id="chart-rates"></div></figure>
      <figure class="panel" aria-labelledby="chart-energy-title"><h3 id="chart-energy-title">Energy per request (mJ, estimate)</h3><div id="chart-energy"></div></figure>
    </div>
  </section>
  <section class="panel" aria-labelledby="table-title">
    <h2 id="table-title">Regions</h2>
    <div class="table-wrap" tabindex="0" role="region" aria-labelledby="table-title">
      <table>
        <thead><tr>
          <th scope="col">Region</th><th scope="col">Frames + refusals</th><th scope="col">Live</th><th scope="col">Spoof</th><th scope="col">Uncertain</th>
          <th scope="col">Refused</th><th scope="col">By teacher</th><th scope="col">Fallback</th><th scope="col">Agreement</th>
          <th scope="col">p50 ms</th><th scope="col">p95 ms</th><th scope="col">Student p50 ms</th><th scope="col">Energy mJ</th><th scope="col">Last request</th>
        </tr></thead>
        <tbody id="regions-body"></tbody>
      </table>
    </div>
  </section>
  <section aria-labelledby="notes-title">
    <h2 id="notes-title">How these figures are made</h2>
    <dl id="notes" class="notes"></dl>
  </section>
</main>`,
    options,
  );
}
