"""The release report's stylesheet, inlined into the page: system fonts only, no URLs.

Mobile first (a 360-px phone), two columns for charts from 900 px, tables scroll sideways
inside ``.table-wrap``, and a print layout for A4.
"""

from __future__ import annotations

CSS = """
:root{--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--card:#f6f8fa;--accent:#0a5c8a;
--bar:#2a6f97;--track:#e4eaf0;--ref:#b3261e;
--s-model:#0072b2;--s-plain_pmt:#e69f00;--s-housing_score:#009e73;--s-anchor:#7a7a7a;
--s-after_verification:#cc79a7;--s-other:#56b4e9}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;color:var(--fg);background:#fff;font-size:16px;line-height:1.5;
font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Liberation Sans",Arial,
sans-serif}
main{max-width:1120px;margin:0 auto;padding:16px}
h1{font-size:1.55rem;line-height:1.25;margin:.1em 0 .5em}
h2{font-size:1.25rem;line-height:1.3;margin:0 0 .6em;padding-bottom:.25em;
border-bottom:2px solid var(--accent)}
h3{font-size:1.05rem;margin:1.1em 0 .4em}
p{margin:.4em 0 .8em}
section{margin:0 0 32px}
.eyebrow{color:var(--accent);font-weight:600;font-size:.9rem;letter-spacing:.02em;margin:0}
dl.meta{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:2px 14px;margin:0 0 16px}
dl.meta dt{color:var(--muted)}
dl.meta dd{margin:0;overflow-wrap:anywhere}
nav.toc{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:8px 12px;
margin:0 0 24px}
nav.toc h2{font-size:1rem;border:0;margin:0 0 4px;padding:0}
nav.toc ol{margin:0;padding-left:1.3em;columns:2 14em;column-gap:24px}
nav.toc a{color:var(--accent)}
.figures{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:10px}
.figure{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:10px 12px}
.figure .v{display:block;font-size:1.45rem;font-weight:700;line-height:1.2;
font-variant-numeric:tabular-nums;overflow-wrap:anywhere}
.figure .k{display:block;color:var(--muted);font-size:.9rem}
.figure .s{display:block;color:var(--muted);font-size:.8rem}
.pair{display:grid;grid-template-columns:minmax(0,1fr);gap:16px 28px;align-items:start}
@media (min-width:900px){.pair{grid-template-columns:minmax(0,1fr) minmax(0,1fr)}}
figure{margin:0 0 12px}
figcaption{font-weight:600;margin:0 0 4px}
svg.chart{display:block;width:100%;height:auto;max-width:480px}
.chart text{font-size:14px;fill:var(--fg)}
.chart .val{fill:var(--muted);paint-order:stroke;stroke:#fff;stroke-width:3px;
stroke-linejoin:round}
.chart .grp{font-weight:700}
.chart .axis{stroke:var(--line);stroke-width:1}
.chart .bar{fill:var(--bar)}
.chart .ref{stroke:var(--ref);stroke-width:1.5;stroke-dasharray:4 3}
.chart .ref-lbl{fill:var(--ref);font-weight:600}
.chart .s-model{fill:var(--s-model)}
.chart .s-plain_pmt{fill:var(--s-plain_pmt)}
.chart .s-housing_score{fill:var(--s-housing_score)}
.chart .s-anchor{fill:var(--s-anchor)}
.chart .s-after_verification{fill:var(--s-after_verification)}
.chart .s-other{fill:var(--s-other)}
.table-wrap{overflow-x:auto;-webkit-overflow-scrolling:touch;margin:0 0 12px;
border:1px solid var(--line);border-radius:6px;max-width:100%}
table{border-collapse:collapse;width:100%;font-size:.92rem}
caption{text-align:left;font-weight:600;padding:6px 8px;caption-side:top}
th,td{padding:6px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
thead th{background:var(--card);font-weight:600}
thead th.num{white-space:normal}
th.num,td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.nowrap,th.nowrap{white-space:nowrap}
tbody tr:last-child th,tbody tr:last-child td{border-bottom:0}
tfoot th,tfoot td{font-weight:700;border-top:2px solid var(--line);border-bottom:0}
.ibar{display:block;height:4px;background:var(--track);border-radius:2px;margin-top:3px;
min-width:56px}
.ibar>span{display:block;height:100%;background:var(--bar);border-radius:2px}
td.heat{white-space:nowrap;text-align:right;font-variant-numeric:tabular-nums}
.legend{display:flex;align-items:center;gap:8px;flex-wrap:wrap;font-size:.85rem;
color:var(--muted);margin:0 0 8px}
.legend .ramp{display:inline-block;width:140px;height:10px;border:1px solid var(--line);
background:linear-gradient(to right,#fff7ec,#fdd49e,#fc8d59,#d7301f,#7f0000)}
.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:4px;
vertical-align:baseline}
table.matrix th,table.matrix td{text-align:right;padding:5px 6px;min-width:3.2em}
table.matrix td.diag{box-shadow:inset 0 0 0 2px var(--fg)}
table.matrix td.zero{color:#9aa4ae}
ul.reasons{margin:0;padding-left:1.1em}
ul.reasons li{white-space:nowrap}
.na{color:var(--muted);font-style:italic;background:var(--card);border-left:4px solid var(--line);
padding:8px 12px;border-radius:0 6px 6px 0}
.note{color:var(--muted);font-size:.9rem}
.up{color:#1a7f37}
.down{color:#b3261e}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;
font-size:.88em;overflow-wrap:anywhere}
dl.glossary{margin:0;display:grid;grid-template-columns:minmax(0,1fr);gap:2px 16px}
dl.glossary dt{font-weight:700;margin-top:6px}
dl.glossary dd{margin:0}
@media (min-width:720px){dl.glossary{grid-template-columns:max-content minmax(0,1fr)}
dl.glossary dt{margin-top:0}}
footer{border-top:1px solid var(--line);color:var(--muted);font-size:.85rem;padding-top:8px}
@media (max-width:480px){main{padding:10px}.legend .ramp{width:90px}
h1{font-size:1.3rem}h2{font-size:1.12rem}
th,td{padding:5px 6px}table{font-size:.86rem}.figure .v{font-size:1.2rem}}
@page{size:A4;margin:14mm}
@media print{*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
body{font-size:10pt}main{max-width:none;padding:0}nav.toc{display:none}
.table-wrap{overflow:visible;border:0}table{font-size:8pt}
h2,h3,figcaption{break-after:avoid}figure,tr,.figure,dl.meta{break-inside:avoid}
svg.chart{max-width:340px}.pair{grid-template-columns:minmax(0,1fr) minmax(0,1fr)}
a{color:inherit;text-decoration:none}}
"""
