/** The pages' one stylesheet, served at /pages/app.css. */
export const PAGE_CSS = `
:root {
  --ink: #14171f; --ink-2: #4a5263; --line: #d9dde5; --bg: #f4f6f9; --panel: #ffffff;
  --brand: #1f4fd1; --brand-ink: #ffffff; --focus: #ffbf47;
  --live: #0b6b3a; --live-bg: #e3f4ea; --spoof: #b0231a; --spoof-bg: #fde7e5;
  --uncertain: #7a4d00; --uncertain-bg: #fff1cf; --refused: #6b7280;
  --p50: #1f4fd1; --p95: #7b93e6; --student: #0e7c86; --fallback: #b35c00; --agreement: #0b6b3a; --energy: #6d3fc0;
  color-scheme: light;
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink); }
a { color: var(--brand); }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.skip { position: absolute; left: -999px; top: 0; background: var(--panel); padding: .5rem 1rem; z-index: 10; }
.skip:focus { left: .5rem; }
.topbar { display: flex; align-items: center; justify-content: space-between; gap: 1rem; flex-wrap: wrap;
  padding: .75rem clamp(1rem, 4vw, 2rem); background: #10151f; color: #fff; }
.brand { color: #fff; font-weight: 700; text-decoration: none; letter-spacing: .01em; display: flex; align-items: center; gap: .5rem; }
.brand-mark { width: 1.5rem; height: 1.5rem; border-radius: 50%; border: 3px solid #8fb0ff; display: inline-block; }
.topbar nav { display: flex; gap: .25rem; }
.topbar nav a { color: #dfe6f5; text-decoration: none; padding: .4rem .75rem; border-radius: .4rem; }
.topbar nav a[aria-current="page"] { background: #26324a; color: #fff; }
.topbar nav a:hover { background: #1d2740; }
main { max-width: 72rem; margin: 0 auto; padding: clamp(1rem, 3vw, 2rem); }
h1 { font-size: clamp(1.5rem, 4vw, 2rem); margin: 0 0 .25rem; }
h2 { font-size: 1.15rem; margin: 0 0 .75rem; }
h3 { font-size: 1rem; margin: 1.25rem 0 .5rem; }
.lede { color: var(--ink-2); margin: 0 0 1.25rem; max-width: 40rem; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: .75rem; padding: clamp(1rem, 3vw, 1.5rem); }
.demo { display: grid; gap: 1.5rem; grid-template-columns: minmax(0, 1.35fr) minmax(0, 1fr); align-items: start; }
@media (max-width: 52rem) { .demo { grid-template-columns: minmax(0, 1fr); } }
.stage { position: relative; width: 100%; aspect-ratio: 4 / 3; background: #0d1118; border-radius: .75rem; overflow: hidden; }
.stage video { position: absolute; inset: 0; width: 100%; height: 100%; object-fit: fill; transform: scaleX(-1); }
.stage svg { position: absolute; inset: 0; width: 100%; height: 100%; }
.guide-shade { fill: rgba(10, 14, 22, .55); }
.guide-ring { fill: none; stroke: #ffffff; stroke-width: 3; stroke-dasharray: 10 7; }
.stage[data-state="live"] .guide-ring { stroke: #8fe3b0; stroke-dasharray: none; }
.stage[data-state="checking"] .guide-ring { stroke: var(--focus); stroke-dasharray: none; }
.stage-hint { position: absolute; left: 50%; top: .6rem; transform: translateX(-50%); margin: 0; max-width: 90%;
  background: rgba(10, 14, 22, .8); color: #fff; padding: .3rem .8rem; border-radius: 999px; font-size: .85rem; text-align: center; white-space: nowrap; }
.actions { display: flex; gap: .75rem; flex-wrap: wrap; margin: 1rem 0; }
.actions button { flex: 1 1 10rem; }
button { font: inherit; min-height: 2.75rem; padding: .5rem 1.1rem; border-radius: .5rem; border: 1px solid #9aa3b5;
  background: var(--panel); color: var(--ink); cursor: pointer; }
button.primary { background: var(--brand); border-color: var(--brand); color: var(--brand-ink); font-weight: 600; }
button:disabled { opacity: .55; cursor: not-allowed; }
button:not(:disabled):hover { filter: brightness(.95); }
.upload { border-top: 1px solid var(--line); padding-top: 1rem; }
.upload label { display: block; font-weight: 600; margin-bottom: .4rem; }
.upload .help { color: var(--ink-2); font-size: .9rem; margin: .25rem 0 0; }
input[type="file"] { font: inherit; max-width: 100%; }
.badge { display: inline-block; font-size: 1.6rem; font-weight: 800; text-transform: uppercase; letter-spacing: .04em;
  padding: .2rem .9rem; border-radius: .5rem; background: #eef0f4; color: var(--ink-2); }
#result[data-decision="live"] .badge { background: var(--live-bg); color: var(--live); }
#result[data-decision="spoof"] .badge { background: var(--spoof-bg); color: var(--spoof); }
#result[data-decision="uncertain"] .badge { background: var(--uncertain-bg); color: var(--uncertain); }
#result[data-decision="pending"] .badge, #result[data-decision="none"] .badge { font-size: 1.1rem; text-transform: none; letter-spacing: 0; font-weight: 600; }
.decision { margin: 0 0 .25rem; }
#decision-summary { margin: .25rem 0 1rem; color: var(--ink-2); }
.result-top { display: flex; gap: 1rem; align-items: flex-start; justify-content: space-between; flex-wrap: wrap; }
#seen { width: 96px; height: 96px; border-radius: .5rem; border: 1px solid var(--line); }
.facts { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: .3rem 1rem; margin: 0; }
.facts dt { color: var(--ink-2); }
.facts dd { margin: 0; overflow-wrap: anywhere; font-variant-numeric: tabular-nums; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line); }
thead th { font-size: .8rem; text-transform: uppercase; letter-spacing: .04em; color: var(--ink-2); }
.timings td:nth-child(2) { text-align: right; white-space: nowrap; width: 6rem; }
.bar-cell { width: 45%; }
.bar-cell .bar { display: block; height: .6rem; padding: 0; border-radius: .3rem; background: var(--p95); }
.bar-cell .bar.total { background: var(--brand); }
.error { margin: 1rem 0 0; padding: .75rem 1rem; border-radius: .5rem; background: var(--spoof-bg); color: var(--spoof); border: 1px solid #f1b4ae; }
.note { color: var(--ink-2); font-size: .875rem; }
.toolbar { display: flex; gap: .75rem 1.25rem; align-items: center; flex-wrap: wrap; margin: 0 0 1.25rem; }
.toolbar label { display: inline-flex; gap: .4rem; align-items: center; }
select { font: inherit; min-height: 2.75rem; padding: .3rem .5rem; border-radius: .5rem; border: 1px solid #9aa3b5; background: var(--panel); }
input[type="checkbox"] { width: 1.15rem; height: 1.15rem; }
#status, #updated { margin: 0; color: var(--ink-2); }
#status[data-state="error"] { color: var(--spoof); }
.cards { display: grid; gap: 1rem; grid-template-columns: repeat(auto-fit, minmax(10rem, 1fr)); margin-bottom: 1.5rem; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: .75rem; padding: 1rem; }
.card p { margin: 0; }
.card-label { color: var(--ink-2); font-size: .85rem; }
.card-value { font-size: 1.3rem; font-weight: 700; font-variant-numeric: tabular-nums; margin: .15rem 0 !important; }
.card-detail { color: var(--ink-2); font-size: .8rem; }
.charts { display: grid; gap: 1rem; grid-template-columns: repeat(auto-fit, minmax(min(100%, 24rem), 1fr)); margin-bottom: 1.5rem; }
figure { margin: 0; }
figure h3 { margin-top: 0; }
.chart-svg { width: 100%; height: auto; display: block; }
.chart-label, .chart-value, .chart-tick { font-size: 13px; fill: var(--ink); }
.chart-tick { fill: var(--ink-2); }
.chart-axis { stroke: var(--line); }
.legend { list-style: none; display: flex; flex-wrap: wrap; gap: .3rem 1rem; padding: 0; margin: .5rem 0 0; font-size: .85rem; color: var(--ink-2); }
.swatch { display: inline-block; width: .8rem; height: .8rem; border-radius: .2rem; margin-right: .35rem; vertical-align: -1px; }
.bar-live { fill: var(--live); background: var(--live); } .bar-spoof { fill: var(--spoof); background: var(--spoof); }
.bar-uncertain { fill: #c98a00; background: #c98a00; } .bar-refused { fill: var(--refused); background: var(--refused); }
.bar-p50 { fill: var(--p50); background: var(--p50); } .bar-p95 { fill: var(--p95); background: var(--p95); }
.bar-student { fill: var(--student); background: var(--student); } .bar-fallback { fill: var(--fallback); background: var(--fallback); }
.bar-agreement { fill: var(--agreement); background: var(--agreement); } .bar-energy { fill: var(--energy); background: var(--energy); }
.table-wrap { overflow-x: auto; }
.table-wrap table { min-width: 56rem; }
.table-wrap td { text-align: right; }
.empty { color: var(--ink-2); text-align: left !important; }
.notes { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: .3rem 1rem; font-size: .875rem; color: var(--ink-2); margin: 0; }
.notes dt { font-weight: 600; color: var(--ink); }
.notes dd { margin: 0; }
@media (max-width: 40rem) { .notes { grid-template-columns: minmax(0, 1fr); } .notes dd { margin-bottom: .4rem; } }
.key-panel { border-color: #f1b4ae; }
.demo > .key-panel { grid-column: 1 / -1; }
.toolbar + .key-panel { margin-bottom: 1.5rem; }
.key-panel h2 { margin-bottom: .4rem; }
#key-message { margin: 0 0 .75rem; }
.key-form label { display: block; font-weight: 600; margin-bottom: .4rem; }
.key-row { display: flex; gap: .75rem; flex-wrap: wrap; }
.key-row input { flex: 1 1 16rem; min-width: 0; font: inherit; min-height: 2.75rem; padding: .4rem .6rem; border-radius: .5rem; border: 1px solid #9aa3b5; }
.key-form .help { color: var(--ink-2); font-size: .9rem; margin: .5rem 0 0; }
section + section { margin-top: 1.5rem; }
.demo > section + section { margin-top: 0; }
@media (prefers-reduced-motion: no-preference) { button { transition: filter .15s; } }
`;
