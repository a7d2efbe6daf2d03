// pitwall dashboard: plain ES module over the read API of the same origin. Charts are
// Vega-Lite specs rendered by Vega (served by the function itself, no CDN).

const $ = (sel) => document.querySelector(sel);
const pct = (p) => (p == null ? '–' : `${(p * 100).toFixed(1)}%`);
const num = (x, d = 2) => (x == null ? '–' : Number(x).toFixed(d));
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

async function api(path) {
  const res = await fetch(path, { headers: { Accept: 'application/json' } });
  if (res.status === 404) return null;
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return res.json();
}

const palette = { text: '#eef0f4', grid: '#2b303b', model: '#ff5a36', baseline: '#7fb2ff' };
const chartConfig = {
  background: null,
  axis: { labelColor: palette.text, titleColor: palette.text, gridColor: palette.grid, domainColor: palette.text, tickColor: palette.text },
  legend: { labelColor: palette.text, titleColor: palette.text },
  header: { labelColor: palette.text, titleColor: palette.text, labelFontSize: 13 },
  title: { color: palette.text },
  view: { stroke: null },
};

/** Renders a Vega-Lite spec as SVG into the element; marks it rendered for tests and readers. */
async function chart(el, spec) {
  el.innerHTML = '';
  const compiled = vegaLite.compile({ $schema: 'https://vega.github.io/schema/vega-lite/v5.json', config: chartConfig, ...spec }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'svg', container: el, hover: true });
  await view.runAsync();
  el.dataset.rendered = 'true';
  return view;
}

function meta(el, pairs) {
  el.innerHTML = pairs
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `<div><dt>${esc(k)}</dt><dd>${esc(v ?? '–')}</dd></div>`)
    .join('');
}

function setStatus(text) {
  $('#status').textContent = text;
}

const state = { season: null, raceId: null };

async function loadSeasons() {
  const { seasons } = await api('/seasons');
  const select = $('#season');
  select.innerHTML = seasons.map((s) => `<option value="${s}">${s}</option>`).join('');
  const params = new URLSearchParams(location.search);
  state.season = Number(params.get('season') ?? seasons[0]);
  select.value = String(state.season);
  await loadRaces(params.get('race'));
}

async function loadRaces(preferRaceId) {
  const { races } = await api(`/races?season=${state.season}`);
  const select = $('#race');
  select.innerHTML = races
    .map((r) => `<option value="${r.id}">R${r.round} ${esc(r.name)}${r.freezeStatus === 'frozen' ? '' : ` (${r.freezeStatus})`}</option>`)
    .join('');
  // Default to the last race with a frozen forecast: the one with the most to show.
  const frozen = races.filter((r) => r.freezeStatus === 'frozen');
  const pick = races.find((r) => String(r.id) === preferRaceId) ?? frozen[frozen.length - 1] ?? races[0];
  if (pick) {
    select.value = String(pick.id);
    state.raceId = pick.id;
  }
  await Promise.all([loadRace(), loadSeasonAccuracy(), loadReliability()]);
}

async function loadUpcoming() {
  const body = await api('/races/upcoming');
  const list = $('#upcoming');
  if (!body || body.races.length === 0) {
    list.innerHTML = '<li>No upcoming races in the calendar.</li>';
    return;
  }
  list.innerHTML = body.races
    .map((r) => `<li>${r.season} R${r.round} ${esc(r.name)} — ${new Date(r.startsAt).toUTCString()}<span class="badge ${r.freezeStatus}">${r.freezeStatus}</span></li>`)
    .join('');
}

async function loadRace() {
  if (!state.raceId) return;
  history.replaceState(null, '', `?season=${state.season}&race=${state.raceId}`);
  const [prediction, results, metrics] = await Promise.all([
    api(`/predictions/${state.raceId}`),
    api(`/results/${state.raceId}`),
    api(`/metrics/${state.raceId}`),
  ]);
  setStatus(prediction ? '' : 'No frozen forecast for this race yet.');
  renderForecast(prediction);
  renderResult(prediction, results);
  renderRaceMetrics(metrics);
  await renderPits();
}

/** The pre-race strategy is the circuit's (the start tyre is chosen on the grid), so it is shown once. */
function strategyMeta(s) {
  if (!s || typeof s.stops !== 'number') return [];
  const laps = ['SOFT', 'MEDIUM', 'HARD']
    .filter((c) => s.firstStopLap?.[c] !== undefined)
    .map((c) => `${c[0]} lap ${s.firstStopLap[c]}`)
    .join(' · ');
  return [['Pre-race strategy', `${s.stops} stop${s.stops === 1 ? '' : 's'}; first stop by start tyre: ${laps} (of ${s.totalLaps})`]];
}

function renderForecast(p) {
  const body = $('#forecast-table tbody');
  const chartEl = $('#forecast-chart');
  if (!p) {
    body.innerHTML = '';
    chartEl.innerHTML = '';
    meta($('#forecast-meta'), []);
    return;
  }
  $('#forecast-title').textContent = `Forecast — ${p.race.season} ${p.race.name}`;
  meta($('#forecast-meta'), [
    ['Model version', p.modelVersion],
    ['Frozen at', new Date(p.snapshotAt).toUTCString()],
    ['Freeze policy', p.freezePolicy.kind === 't_minus' ? `T-${p.freezePolicy.minutes} min` : 'after qualifying'],
    ['Data snapshot (inputs hash)', p.inputsHash.slice(0, 16)],
    ['Feature coverage', pct(p.featureCoverage)],
    ['Imputed values', p.imputedCount],
    ['Warnings', p.warnings.length ? p.warnings.join('; ') : 'none'],
    ...strategyMeta(p.entries[0]?.strategy),
  ]);
  body.innerHTML = p.entries
    .map(
      (e) => `<tr><td>${e.predictedPosition}</td><td>${esc(e.code ?? e.driver)} <span class="hint">${esc(e.driver)}</span></td><td>${esc(e.team)}</td>` +
        `<td>${e.predictedPosition === 1 ? 'leader' : `+${num(e.gapSeconds, 1)} s`} (${num(e.gapInterval[0], 1)}–${num(e.gapInterval[1], 1)})${e.gapFlagged ? ' ⚑' : ''}</td>` +
        `<td>${pct(e.pWin)}</td><td>${pct(e.pPodium)}</td><td>${pct(e.pPoints)}</td><td>${pct(e.pDnf)}</td></tr>`,
    )
    .join('');
  const rows = p.entries.flatMap((e) =>
    [['Win', e.pWin], ['Podium', e.pPodium], ['Points', e.pPoints], ['DNF', e.pDnf]].map(([k, v]) => ({
      driver: e.code ?? e.driver,
      order: e.predictedPosition,
      probability: k,
      value: v,
    })),
  );
  return chart(chartEl, {
    data: { values: rows },
    facet: { column: { field: 'probability', type: 'nominal', sort: ['Win', 'Podium', 'Points', 'DNF'], title: null } },
    spec: {
      width: 150,
      height: { step: 14 },
      mark: { type: 'bar', color: palette.model, tooltip: true },
      encoding: {
        y: { field: 'driver', type: 'nominal', sort: { field: 'order' }, title: null },
        x: { field: 'value', type: 'quantitative', scale: { domain: [0, 1] }, axis: { format: '%' }, title: null },
      },
    },
    resolve: { scale: { y: 'shared' } },
  });
}

function renderResult(p, r) {
  const body = $('#result-table tbody');
  if (!r) {
    body.innerHTML = '<tr><td colspan="5">No official result yet.</td></tr>';
    return;
  }
  const predicted = new Map((p?.entries ?? []).map((e) => [e.driverId, e.predictedPosition]));
  body.innerHTML = r.results
    .map((x) => {
      const pred = predicted.get(x.driverId);
      const delta = pred == null ? null : pred - x.positionOrder;
      const cls = delta == null || delta === 0 ? '' : delta > 0 ? 'up' : 'down';
      const mark = delta == null ? '–' : delta === 0 ? '=' : `${delta > 0 ? '▲' : '▼'} ${Math.abs(delta)}`;
      return `<tr><td>${esc(x.positionText)}</td><td>${esc(x.code ?? x.driver)} <span class="hint">${esc(x.team)}</span></td>` +
        `<td>${pred ?? '–'}</td><td class="diff-mark ${cls}" data-delta="${delta ?? ''}">${mark}</td><td>${esc(x.status)}</td></tr>`;
    })
    .join('');
}

function renderRaceMetrics(m) {
  if (!m) {
    meta($('#race-metrics'), [['Evaluation', 'not evaluated yet']]);
    return;
  }
  meta($('#race-metrics'), [
    ['Position MAE', `${num(m.positionMae)} (grid ${num(m.baseline.positionMae)})`],
    ['Spearman', `${num(m.spearman)} (grid ${num(m.baseline.spearman)})`],
    ['Winner correct', m.winnerCorrect ? 'yes' : 'no'],
    ['Podium accuracy', pct(m.podiumAccuracy)],
    ['Top-10 accuracy', pct(m.top10Accuracy)],
    ['Time MAE', m.timeMaeSeconds == null ? '–' : `${num(m.timeMaeSeconds, 1)} s`],
    ['Brier win / podium / points / DNF', [m.brier.win, m.brier.podium, m.brier.points, m.brier.dnf].map((v) => num(v, 3)).join(' / ')],
    ['Log loss win / podium / points / DNF', [m.logLoss.win, m.logLoss.podium, m.logLoss.points, m.logLoss.dnf].map((v) => num(v, 3)).join(' / ')],
    ['Calibration error (win)', num(m.calibrationError.win, 3)],
    ['80% gap interval coverage', pct(m.intervalCoverage)],
  ]);
}

async function loadSeasonAccuracy() {
  const s = await api(`/metrics/season/${state.season}`);
  const el = $('#season-chart');
  if (!s || s.races.length === 0) {
    el.innerHTML = '<p>No evaluated races this season yet.</p>';
    meta($('#season-totals'), []);
    return;
  }
  meta($('#season-totals'), [
    ['Races evaluated', s.totals.races],
    ['Position MAE', `${num(s.totals.model.positionMae)} (grid ${num(s.totals.gridBaseline.positionMae)})`],
    ['Winner accuracy', `${pct(s.totals.model.winnerAccuracy)} (grid ${pct(s.totals.gridBaseline.winnerAccuracy)})`],
    ['Spearman', `${num(s.totals.model.spearman)} (grid ${num(s.totals.gridBaseline.spearman)})`],
    ['Brier (win)', num(s.totals.model.brierWin, 4)],
  ]);
  const rows = s.races.flatMap((r) => [
    { round: r.round, race: r.race, series: 'model', mae: r.model.positionMae },
    { round: r.round, race: r.race, series: 'grid baseline', mae: r.gridBaseline.positionMae },
  ]);
  await chart(el, {
    width: 'container',
    height: 220,
    data: { values: rows },
    mark: { type: 'line', point: true, tooltip: true },
    encoding: {
      x: { field: 'round', type: 'ordinal', title: 'Round' },
      y: { field: 'mae', type: 'quantitative', title: 'Position MAE (lower is better)' },
      color: { field: 'series', type: 'nominal', scale: { domain: ['model', 'grid baseline'], range: [palette.model, palette.baseline] }, title: null },
    },
  });
}

async function loadReliability() {
  const r = await api(`/metrics/season/${state.season}/reliability`);
  const host = $('#reliability-charts');
  host.innerHTML = '';
  if (!r || r.probabilities.every((p) => p.bins.length === 0)) {
    host.innerHTML = '<p>No evaluated forecasts this season yet.</p>';
    return;
  }
  for (const p of r.probabilities) {
    const el = document.createElement('div');
    el.className = 'chart';
    el.setAttribute('role', 'img');
    el.setAttribute('aria-label', `Reliability of P(${p.name}): forecast against observed frequency`);
    host.append(el);
    await chart(el, {
      title: `P(${p.name})`,
      width: 220,
      height: 220,
      layer: [
        { data: { values: [{ x: 0, y: 0 }, { x: 1, y: 1 }] }, mark: { type: 'line', strokeDash: [4, 4], color: '#b4bac6' }, encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } } },
        {
          data: { values: p.bins },
          encoding: {
            x: { field: 'meanForecast', type: 'quantitative', scale: { domain: [0, 1] }, title: 'forecast' },
            y: { field: 'observed', type: 'quantitative', scale: { domain: [0, 1] }, title: 'observed' },
          },
          layer: [
            { mark: { type: 'line', color: palette.model, strokeWidth: 2 } },
            // Point area shows how many forecasts fell in the bin.
            { mark: { type: 'circle', color: palette.model, opacity: 0.9, tooltip: true }, encoding: { size: { field: 'count', type: 'quantitative', legend: null, scale: { range: [30, 300] } } } },
          ],
        },
      ],
    });
  }
}

async function renderPits() {
  const el = $('#pits-chart');
  const res = await fetch(`/pits/${state.raceId}/timeline`, { headers: { Accept: 'application/json' } });
  const pits = await res.json().catch(() => null);
  if (!res.ok || !pits || pits.drivers.length === 0) {
    // 404: no lap data for this race; 503: no pit model trained yet (npx pitwall train).
    el.innerHTML = `<p>${esc(pits?.error?.message ?? 'No pit forecasts for this race.')}</p>`;
    delete el.dataset.rendered;
    return;
  }
  $('#pits-title').textContent = `Pit stops — model ${pits.modelVersion}`;
  const rows = pits.drivers.flatMap((d) => d.laps.map((l) => ({ driver: d.code ?? String(d.driverId), lap: l.lap, p: l.pNextLap, pitted: l.pitted })));
  await chart(el, {
    width: 'container',
    height: { step: 12 },
    data: { values: rows },
    layer: [
      {
        mark: { type: 'rect', tooltip: true },
        encoding: {
          x: { field: 'lap', type: 'ordinal', title: 'Lap', axis: { labelOverlap: true } },
          y: { field: 'driver', type: 'nominal', title: null },
          color: { field: 'p', type: 'quantitative', title: 'P(pit next lap)', scale: { scheme: 'inferno', domain: [0, 1] } },
        },
      },
      {
        transform: [{ filter: 'datum.pitted' }],
        mark: { type: 'point', shape: 'diamond', filled: true, color: '#7fffd4', size: 40 },
        encoding: { x: { field: 'lap', type: 'ordinal' }, y: { field: 'driver', type: 'nominal' } },
      },
    ],
  });
}

function wire() {
  $('#season').addEventListener('change', async (e) => {
    state.season = Number(e.target.value);
    await run(() => loadRaces());
  });
  $('#race').addEventListener('change', async (e) => {
    state.raceId = Number(e.target.value);
    await run(() => loadRace());
  });
}

async function run(work) {
  try {
    await work();
  } catch (err) {
    setStatus(`Could not load: ${err.message}`);
  }
}

window.addEventListener('DOMContentLoaded', () => {
  wire();
  run(() => Promise.all([loadUpcoming(), loadSeasons()]));
});
