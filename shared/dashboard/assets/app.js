// pitwall dashboard: plain ES module over the read API of the same origin. Charts are
// Vega-Lite specs rendered by Vega (served by the function itself, no CDN).

import { reasonsCell, renderTeammates, setupWhatIf } from './explain.js';

import { analyticsHref, analyticsTarget, startAnalytics } from './analytics.js';
import { renderPreWeekend, startGlance } from './glance.js';
import { loadChampionship } from './championship.js';

const $ = (sel) => document.querySelector(sel);
const pct = (p) => (p == null ? '–' : `${(p * 100).toFixed(1)}%`);
const num = (x, d = 2) => (x == null ? '–' : Number(x).toFixed(d));
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

/** GET on the read API: the body, null for 404 (not there yet), else the server's own message. */
async function api(path) {
  const res = await fetch(path, { headers: { Accept: 'application/json' } });
  if (res.status === 404) return null;
  const body = await res.json().catch(() => null);
  if (!res.ok) throw new Error(body?.error?.message ?? `the server answered HTTP ${res.status}`);
  return body;
}

const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const pad = (n) => String(n).padStart(2, '0');
/** "Sat 25 May 2024 15:30 UTC" (no weekday: "25 May 2024 15:30 UTC"); the API's instants are UTC. */
function when(iso, { weekday = true } = {}) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '–';
  const date = `${d.getUTCDate()} ${months[d.getUTCMonth()]} ${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC`;
  return weekday ? `${days[d.getUTCDay()]} ${date}` : date;
}

/** Consecutive years as ranges: [2024, 2023, 2022, 2019] → "2019, 2022–2024". */
function yearRanges(years) {
  const sorted = [...years].sort((a, b) => a - b);
  const out = [];
  for (const y of sorted) {
    const last = out.at(-1);
    if (last && y === last[1] + 1) last[1] = y;
    else out.push([y, y]);
  }
  return out.map(([a, b]) => (a === b ? `${a}` : `${a}–${b}`)).join(', ');
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

/** Sentences about the address (a season or race it names that is not there), shown above the race's own status. */
function setNotice(text) {
  $('#notice').textContent = text;
}

const state = { season: null, raceId: null, races: [], now: null, generation: 0 };

/** The season the address asks for if it exists, else the latest, with a sentence saying why. */
function chooseSeason(asked, seasons) {
  const latest = seasons[0];
  if (asked == null || asked === '') return { season: latest, note: '' };
  const year = /^\d{4}$/.test(asked.trim()) ? Number(asked) : NaN;
  if (Number.isNaN(year)) return { season: latest, note: `“${asked}” is not a season (a year such as ${latest}); showing ${latest}.` };
  if (!seasons.includes(year)) return { season: latest, note: `There is no ${year} season in the data; seasons available: ${yearRanges(seasons)}. Showing ${latest}.` };
  return { season: year, note: '' };
}

async function loadSeasons() {
  const { seasons } = await api('/seasons');
  const select = $('#season');
  if (seasons.length === 0) {
    select.innerHTML = '';
    setNotice('No seasons in the database yet: load the data with npx pitwall ingest.');
    return;
  }
  select.innerHTML = seasons.map((s) => `<option value="${s}">${s}</option>`).join('');
  const params = new URLSearchParams(location.search);
  const { season, note } = chooseSeason(params.get('season'), seasons);
  state.season = season;
  select.value = String(season);
  setNotice(note);
  await loadRaces(params.get('race'));
}

/** The race the address asks for in this season; without one, the last frozen race (the one with the most to show). */
function chooseRace(asked, races, season) {
  const frozen = races.filter((r) => r.freezeStatus === 'frozen');
  if (asked == null || asked === '') return { race: frozen.at(-1) ?? races[0] ?? null, note: '' };
  const race = races.find((r) => String(r.id) === asked.trim());
  if (race) return { race, note: '' };
  return { race: null, note: `Race ${asked} was not found in the ${season} season. Choose a race above.` };
}

async function loadRaces(askedRaceId) {
  const { races } = await api(`/races?season=${state.season}`);
  state.races = races;
  const { race, note } = chooseRace(askedRaceId, races, state.season);
  if (note) setNotice([$('#notice').textContent, note].filter(Boolean).join(' '));
  const select = $('#race');
  // Nothing chosen (a race the address names that is not there): say so in the picker too.
  const placeholder = race ? '' : '<option value="" selected>Choose a race</option>';
  select.innerHTML = placeholder + races
    .map((r) => `<option value="${r.id}">R${r.round} ${esc(r.name)}${r.freezeStatus === 'frozen' ? '' : ` (${r.freezeStatus})`}</option>`)
    .join('');
  state.raceId = race?.id ?? null;
  if (race) select.value = String(race.id);
  $('#season-title').textContent = `Season accuracy — ${state.season}`;
  $('#reliability-title').textContent = `Reliability — ${state.season}`;
  await Promise.all([loadRace(), loadSeasonAccuracy(), loadReliability(), loadChampionship(state.season, { api, chart, esc, pct, palette })]);
}

async function loadUpcoming() {
  const body = await api('/races/upcoming');
  state.now = body?.now ?? null;
  const list = $('#upcoming');
  if (!body || body.races.length === 0) {
    // The server says why (e.g. the data ends with an earlier season) and what would fill it.
    list.innerHTML = `<li>${esc(body?.note ?? 'No upcoming races in the calendar.')}</li>`;
    return;
  }
  list.innerHTML = body.races
    .map((r) => `<li>${r.season} R${r.round} ${esc(r.name)} — ${when(r.startsAt)}<span class="badge ${r.freezeStatus}">${r.freezeStatus}</span></li>`)
    .join('');
}

/** Every heading of the race sections names the selected race, whether or not it has a forecast. */
function setRaceHeadings(race) {
  const suffix = race ? ` — ${race.season} ${race.name}` : '';
  $('#forecast-title').textContent = `Forecast${suffix}`;
  $('#result-title').textContent = `Forecast against the result${suffix}`;
  $('#pits-title').textContent = `Pit stops${suffix}`;
}

/** Why a race has no forecast, and what fills it: the freeze window, or a replay for a past race. */
function noForecastHint(race) {
  const head = 'No frozen forecast for this race yet.';
  if (!race) return head;
  const now = state.now ? new Date(state.now) : new Date();
  if (race.freezeStatus === 'waiting') {
    return `${head} The freeze is allowed from ${when(race.freezeAllowedAt)}; the forecast shows here once it is frozen.`;
  }
  if (new Date(race.startsAt) > now) {
    return `${head} The freeze window is open until the start (${when(race.startsAt)}): the scheduler freezes it, or POST /predict does.`;
  }
  return `${head} The race has started without one; npx pitwall replay --season ${race.season} fills a past season (forecasts frozen with a simulated clock, then results and scores).`;
}

async function loadRace() {
  const generation = ++state.generation;
  const race = state.races.find((r) => r.id === state.raceId) ?? null;
  setRaceHeadings(race);
  if (!race) {
    history.replaceState(null, '', `?season=${state.season}`);
    setStatus('');
    renderForecast(null);
    renderResult(null, null, false);
    renderRaceMetrics(null);
    renderPreWeekend(null);
    clearPits('');
    return;
  }
  history.replaceState(null, '', `?season=${state.season}&race=${state.raceId}`);
  updateLiveLink();
  const [prediction, results, metrics] = await Promise.all([
    api(`/predictions/${state.raceId}`),
    api(`/results/${state.raceId}`),
    api(`/metrics/${state.raceId}`),
  ]);
  if (generation !== state.generation) return; // another race was chosen meanwhile
  setStatus(prediction ? '' : noForecastHint(race));
  renderForecast(prediction);
  renderResult(prediction, results, true);
  renderRaceMetrics(metrics);
  await Promise.all([renderPreWeekend(state.raceId, prediction, () => generation === state.generation, { api, esc, pct, num, when }), renderPits(race, generation)]);
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

/** When the snapshot stands for, and, for a replay, that its clock was simulated and when it was really written. */
function frozenSentence(p) {
  const asOf = p.createdAt ?? p.snapshotAt;
  if (p.clock !== 'simulated') return `Frozen at ${when(asOf)}.`;
  const recorded = p.recordedAt ? `; recorded ${when(p.recordedAt, { weekday: false })}` : '';
  return `Frozen as of ${when(asOf)} (replay with a simulated clock${recorded}).`;
}

/** The snapshot's standing: a retrospective one (made after the race) is never scored. Absent fields (older server): nothing claimed. */
function kindBadge(p) {
  if (p.kind === 'retrospective') return '<span class="badge retrospective">Retrospective — not scored</span>';
  if (p.kind === 'forecast' && p.official === true) return '<span class="badge frozen">Official forecast — scored after the race</span>';
  if (p.kind === 'forecast' && p.official === false) return '<span class="badge waiting">Unofficial forecast — not scored</span>';
  return '';
}

function ordinal(n) {
  const teen = n % 100 >= 11 && n % 100 <= 13;
  return `${n}${teen ? 'th' : ({ 1: 'st', 2: 'nd', 3: 'rd' })[n % 10] ?? 'th'}`;
}

function renderForecast(p) {
  const body = $('#forecast-table tbody');
  renderTeammates(p, { esc, pct });
  setupWhatIf(p, { esc, pct });
  const chartEl = $('#forecast-chart');
  const lead = $('#forecast-lead');
  if (!p) {
    body.innerHTML = '';
    chartEl.innerHTML = '';
    delete chartEl.dataset.rendered;
    lead.innerHTML = '';
    meta($('#forecast-meta'), []);
    return;
  }
  const label = p.model?.label ?? null;
  lead.innerHTML = `${kindBadge(p)} <span id="forecast-frozen">${esc(frozenSentence(p))}</span>` +
    (label ? ` <span class="model-label">Model: ${esc(label)}.</span>` : '');
  meta($('#forecast-meta'), [
    ['Model version', p.model?.version ?? p.modelVersion],
    ['Freeze policy', p.freezePolicy.kind === 't_minus' ? `T-${p.freezePolicy.minutes} min` : 'after qualifying'],
    ['Freeze allowed from', when(p.snapshotAt)],
    ['Data snapshot (inputs hash)', p.inputsHash.slice(0, 16)],
    ['Feature coverage', pct(p.featureCoverage)],
    ['Imputed values', p.imputedCount],
    ['Warnings', p.warnings.length ? p.warnings.join('; ') : 'none'],
    ...strategyMeta(p.entries[0]?.strategy),
  ]);
  body.innerHTML = p.entries
    .map((e) => {
      const q = e.qualifyingPosition;
      const grid = q == null ? '—' : `P${q}`;
      const gridTitle = q == null ? 'qualifying position not known' : `${ordinal(e.predictedPosition)} forecast from P${q} in qualifying`;
      return `<tr data-driver-id="${e.driverId}"><td>${e.predictedPosition}</td><td><a href="${analyticsHref('driver', e.driverId, p.race.season)}" class="driver-link">${esc(e.code ?? e.driver)} <span class="hint wide">${esc(e.driver)}</span></a></td><td class="wide"><a href="${analyticsHref('team', e.constructorId, p.race.season)}" class="team-link">${esc(e.team)}</a></td>` +
        `<td class="grid-pos" title="${esc(gridTitle)}">${grid}</td>` +
        `<td class="wide">${e.predictedPosition === 1 ? 'leader' : `+${num(e.gapSeconds, 1)} s`} (${num(e.gapInterval[0], 1)}–${num(e.gapInterval[1], 1)})${e.gapFlagged ? ' ⚑' : ''}</td>` +
        `<td class="prob">${pct(e.pWin)}</td><td class="prob">${pct(e.pPodium)}</td><td class="prob">${pct(e.pPoints)}</td><td class="prob">${pct(e.pDnf)}</td><td class="why">${reasonsCell(e, { esc })}</td></tr>`;
    })
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

function renderResult(p, r, raceChosen) {
  const body = $('#result-table tbody');
  if (!r) {
    body.innerHTML = raceChosen ? '<tr><td colspan="5">No official result yet.</td></tr>' : '';
    return;
  }
  const predicted = new Map((p?.entries ?? []).map((e) => [e.driverId, e.predictedPosition]));
  body.innerHTML = r.results
    .map((x) => {
      const pred = predicted.get(x.driverId);
      const delta = pred == null ? null : pred - x.positionOrder;
      const cls = delta == null || delta === 0 ? '' : delta > 0 ? 'up' : 'down';
      const mark = delta == null ? '–' : delta === 0 ? '=' : `${delta > 0 ? '▲' : '▼'} ${Math.abs(delta)}`;
      return `<tr><td>${esc(x.positionText)}</td><td>${esc(x.code ?? x.driver)} <span class="hint wide">${esc(x.team)}</span></td>` +
        `<td>${pred ?? '–'}</td><td class="diff-mark ${cls}" data-delta="${delta ?? ''}">${mark}</td><td class="status-text">${esc(x.status)}</td></tr>`;
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

function clearPits(message) {
  const el = $('#pits-chart');
  el.innerHTML = message ? `<p>${esc(message)}</p>` : '';
  delete el.dataset.rendered;
  $('#pits-caption').innerHTML = '';
}

/** A filled ✕ (Vega's own 'cross' is a +), in Vega's unit symbol square. */
const retiredShape = 'M-1,-0.6L-0.6,-1L0,-0.4L0.6,-1L1,-0.6L0.4,0L1,0.6L0.6,1L0,0.4L-0.6,1L-1,0.6L-0.4,0Z';
const isFinisher = (status) => status === 'Finished' || /^\+\d+ Laps?$/.test(status ?? '');
const driverLabel = (d) => d.code ?? d.name ?? String(d.driverId);

/**
 * The colour scale's top: the 98th percentile of the race's probabilities, rounded up to a
 * whole per cent, so the few high values do not leave every other cell near black.
 */
function colourTop(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const p98 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.98))] ?? 1;
  return Math.min(1, Math.max(0.01, Math.ceil(p98 * 100) / 100));
}

/** What each mark of the pit chart means, and the cars that have no cells at all. */
function pitsCaption(pits, top, firstLap, lastLap) {
  const empty = pits.drivers.filter((d) => d.laps.length === 0);
  const max = Math.max(...pits.drivers.flatMap((d) => d.laps.map((l) => l.pPit)));
  const lines = [
    `Each cell is the model's probability that the car boxes at the end of that lap, forecast after the lap before it from the laps so far (lap 1 has none: nothing is read before it). Laps ${firstLap}–${lastLap} of ${pits.totalLaps}; model ${esc(pits.modelVersion)}.`,
    `Colour: 0% to ${pct(top)}, fitted to this race${max > top ? ` (the few cells above, up to ${pct(max)}, take the top colour)` : ''}.`,
    '◆ the car boxed at the end of that lap and changed tyres. ✕ the car retired on that lap (its status in the result); its row ends at its last lap.',
  ];
  if (empty.length > 0) {
    lines.push(`No cells for ${empty.map((d) => `${esc(driverLabel(d))} (${esc(d.status ?? 'no result')}, ${d.lastLap} lap${d.lastLap === 1 ? '' : 's'})`).join(', ')}: out before the end of lap 2, the first lap the model forecasts.`);
  }
  return lines.map((l) => `<span>${l}</span>`).join(' ');
}

async function renderPits(race, generation) {
  const el = $('#pits-chart');
  const res = await fetch(`/pits/${race.id}/timeline`, { headers: { Accept: 'application/json' } });
  const pits = await res.json().catch(() => null);
  if (generation !== state.generation) return;
  if (!res.ok || !pits || pits.drivers.length === 0) {
    // 404: no lap data for this race; 503: no pit model trained yet (npx pitwall train).
    clearPits(pits?.error?.message ?? 'No pit forecasts for this race.');
    return;
  }
  const order = pits.drivers.map(driverLabel);
  const cells = pits.drivers.flatMap((d) =>
    d.laps.map((l) => ({ driver: driverLabel(d), name: d.name ?? driverLabel(d), lap: l.lap, after: l.forecastAfterLap, p: l.pPit, pitted: l.pitted })),
  );
  const marks = [
    ...cells.filter((c) => c.pitted).map((c) => ({ driver: c.driver, name: c.name, lap: c.lap, mark: 'boxed (tyres changed)', note: 'boxed at the end of this lap' })),
    ...pits.drivers
      .filter((d) => d.status && !isFinisher(d.status))
      .map((d) => ({ driver: driverLabel(d), name: d.name ?? driverLabel(d), lap: Math.min(pits.totalLaps, d.lastLap + 1), mark: 'retired', note: d.status })),
  ];
  const laps = Array.from({ length: pits.totalLaps }, (_, i) => i + 1);
  const firstLap = Math.min(...cells.map((c) => c.lap));
  const lastLap = Math.max(...cells.map((c) => c.lap));
  const top = colourTop(cells.map((c) => c.p));
  const x = { field: 'lap', type: 'ordinal', title: 'Lap (the car may box at its end)', scale: { domain: laps }, axis: { values: laps.filter((l) => l === 1 || l % 5 === 0 || l === pits.totalLaps), labelAngle: 0 } };
  const y = { field: 'driver', type: 'nominal', title: null, scale: { domain: order } };
  $('#pits-caption').innerHTML = pitsCaption(pits, top, firstLap, lastLap);
  await chart(el, {
    width: 'container',
    height: { step: 16 },
    layer: [
      {
        data: { values: cells },
        mark: { type: 'rect', tooltip: true },
        encoding: {
          x,
          y,
          color: {
            field: 'p',
            type: 'quantitative',
            title: 'P(box at the end of the lap)',
            scale: { scheme: 'viridis', domain: [0, top], clamp: true },
            legend: { orient: 'top', format: '.0%', gradientLength: 220, titleLimit: 300 },
          },
          tooltip: [
            { field: 'name', title: 'driver' },
            { field: 'lap', title: 'lap' },
            { field: 'p', title: 'P(box at the end of this lap)', format: '.1%' },
            { field: 'after', title: 'forecast after lap' },
          ],
        },
      },
      {
        data: { values: marks },
        mark: { type: 'point', filled: true, size: 130, color: '#ffffff', stroke: '#000000', strokeWidth: 1.5, opacity: 1, tooltip: true },
        encoding: {
          x,
          y,
          shape: { field: 'mark', type: 'nominal', title: null, scale: { domain: ['boxed (tyres changed)', 'retired'], range: ['diamond', retiredShape] }, legend: { orient: 'top' } },
          tooltip: [{ field: 'name', title: 'driver' }, { field: 'lap', title: 'lap' }, { field: 'note', title: 'what' }],
        },
      },
    ],
  });
  el.dataset.laps = `${firstLap}-${lastLap}`;
}

function wire() {
  $('#season').addEventListener('change', async (e) => {
    state.season = Number(e.target.value);
    setNotice('');
    await run(() => loadRaces());
  });
  $('#race').addEventListener('change', async (e) => {
    state.raceId = Number(e.target.value) || null;
    setNotice('');
    await run(() => loadRace());
  });
}

/** Opens a race in the race view below (from the landing view's cards). */
async function openRace(season, raceId) {
  state.season = season;
  $('#season').value = String(season);
  setNotice('');
  await run(() => loadRaces(String(raceId)));
  $('#forecast-section').scrollIntoView();
}

async function run(work) {
  try {
    await work();
  } catch (err) {
    setStatus(`Could not load this view: ${err.message}. Try another season or race, or reload the page.`);
  }
}

// ---- The live view (?live=<raceId>): ticks pushed over Server-Sent Events, no reload ----

const liveColours = ['#ff5a36', '#7fb2ff', '#5ad17a', '#ffd54a', '#c78bff', '#4fd1c5'];
/** Drivers drawn in the win chart: the most likely winners at the latest tick. */
const LIVE_TOP = 5;
const live = { raceId: null, race: null, drivers: new Map(), points: new Map(), latest: null, refreshing: null, lostTimer: null };
const pct0 = (p) => (p == null ? '–' : `${Math.round(p * 100)}%`);

/** The races with live ticks, as links in the header; the picker links the selected race when it is one. */
async function loadLiveNav() {
  const body = await api('/live').catch(() => null);
  // The live view's own race is the page itself: the header links the others.
  const races = (body?.races ?? []).filter((r) => r.race.id !== live.raceId);
  state.liveRaces = new Map(races.map((r) => [r.race.id, r]));
  const nav = $('#live-nav');
  nav.hidden = races.length === 0;
  nav.innerHTML = races
    .map((r) => `<a href="?live=${r.race.id}" class="live-race" data-race-id="${r.race.id}"><span class="live-dot" aria-hidden="true"></span>Live: ${r.race.season} ${esc(r.race.name)}, lap ${r.lap}/${r.totalLaps}</a>`)
    .join('');
  updateLiveLink();
}

function updateLiveLink() {
  const el = $('#live-link');
  const r = state.liveRaces?.get(state.raceId);
  el.hidden = !r;
  el.innerHTML = r ? `<a href="?live=${r.race.id}"><span class="live-dot" aria-hidden="true"></span>This race is live (lap ${r.lap} of ${r.totalLaps}): open the live view</a>` : '';
}

async function startLive(raceId) {
  for (const id of ['picker-section', 'forecast-section', 'result-section', 'season-section', 'reliability-section', 'championship-section', 'pits-section']) $(`#${id}`).hidden = true;
  $('#live-section').hidden = false;
  live.raceId = raceId;
  await refreshLiveRace();
  openLiveStream();
}

/** The race's drivers, its history over laps and its latest tick (GET /live/{raceId}). */
async function refreshLiveRace() {
  const res = await fetch(`/live/${live.raceId}`, { headers: { Accept: 'application/json' } });
  const body = await res.json().catch(() => null);
  if (!res.ok) {
    // 404: an unknown race, or no tick yet (the stream sends the first one when it is stored).
    $('#live-note').textContent = body?.error?.message ?? `the server answered HTTP ${res.status}`;
    return;
  }
  $('#live-note').textContent = '';
  live.race = body.race;
  $('#live-title').textContent = `Live — ${body.race.season} ${body.race.name}`;
  document.title = `Live: ${body.race.name} — pitwall`;
  for (const d of body.drivers) live.drivers.set(d.driverId, d);
  for (const h of body.history) live.points.set(h.tickId, { lap: h.lap, win: new Map(h.win.map((w) => [w.driverId, w.p])) });
  applyTick(body.latest);
}

function openLiveStream() {
  const source = new window.EventSource(`/live/${live.raceId}/events`);
  source.addEventListener('tick', (e) => applyTick(JSON.parse(e.data)));
  source.addEventListener('open', () => {
    window.clearTimeout(live.lostTimer);
    setConnection('live', 'live');
  });
  source.addEventListener('error', () => {
    if (source.readyState === window.EventSource.CLOSED) {
      setConnection('lost', 'disconnected: reload the page');
      return;
    }
    // The server ends each stream after a while and the browser resumes it at once (Last-Event-ID): say so only if that takes long.
    window.clearTimeout(live.lostTimer);
    live.lostTimer = window.setTimeout(() => setConnection('waiting', 'reconnecting…'), 3000);
  });
}

function setConnection(kind, text) {
  const el = $('#live-connection');
  el.className = `badge ${kind}`;
  el.textContent = text;
  $('#live-section').dataset.connection = kind;
}

const driverName = (id) => live.drivers.get(id) ?? null;
const driverCode = (id) => driverName(id)?.code ?? driverName(id)?.name ?? `#${id}`;

function applyTick(tick) {
  if (!tick) return;
  // A newer tick at an earlier lap is a new replay of the race: the last one's chart goes.
  if (live.latest && tick.id > live.latest.id && tick.state.lap < live.latest.state.lap) live.points.clear();
  live.points.set(tick.id, { lap: tick.state.lap, win: new Map(tick.finish.map((f) => [f.driverId, f.win])) });
  if (live.latest && tick.id < live.latest.id) return renderLiveChart();
  live.latest = tick;
  if (!live.race) live.race = { id: tick.raceId, season: tick.season, round: tick.round, name: `round ${tick.round}` };
  if (tick.state.cars.some((c) => !live.drivers.has(c.driverId)) && !live.refreshing) {
    // A car the page has no name for: the race's drivers again (once at a time).
    live.refreshing = refreshLiveRace().catch(() => {}).finally(() => (live.refreshing = null));
  }
  $('#live-note').textContent = '';
  const section = $('#live-section');
  section.dataset.lap = String(tick.state.lap);
  section.dataset.tickId = String(tick.id);
  $('#live-lap').textContent = `Lap ${tick.state.lap} / ${tick.state.totalLaps}`;
  const track = $('#live-track');
  track.className = `badge track-${tick.state.trackStatus}`;
  track.textContent = { green: 'Green', yellow: 'Yellow flag', vsc: 'Virtual safety car', sc: 'Safety car', red: 'Red flag' }[tick.state.trackStatus] ?? tick.state.trackStatus;
  $('#live-updated').textContent = `data as of ${when(tick.at)}${tick.source === 'replay' ? ' (replay)' : ''}${tick.finishBasis === 'pre-race' ? '; odds: the pre-race forecast' : ''}`;
  renderLiveOrder(tick);
  renderLiveChart();
}

/**
 * A car a lap behind the leader's count may only not have crossed the line yet: it is lapped
 * when its gap (at the same lap) is a lap of the leader's or more.
 */
function gapText(car, leaderLaps, leaderLapMs) {
  if (car.position === 1) return 'Leader';
  const down = leaderLaps - car.lapsCompleted;
  const lapped = car.gapToLeaderMs != null && leaderLapMs ? Math.floor(car.gapToLeaderMs / leaderLapMs) : down;
  if (lapped >= 1 && !car.retired) return `+${lapped} lap${lapped === 1 ? '' : 's'}`;
  return car.gapToLeaderMs == null ? '–' : `+${(car.gapToLeaderMs / 1000).toFixed(1)}`;
}

function renderLiveOrder(tick) {
  const pits = new Map((tick.pits ?? []).map((p) => [p.driverId, p]));
  const finish = new Map(tick.finish.map((f) => [f.driverId, f]));
  const cars = [...tick.state.cars].sort((a, b) => Number(a.retired) - Number(b.retired) || a.position - b.position);
  const leaderLaps = Math.max(0, ...cars.map((c) => c.lapsCompleted));
  const leaderLapMs = cars.find((c) => c.position === 1)?.lastLapMs ?? null;
  $('#live-order tbody').innerHTML = cars
    .map((c) => {
      const d = driverName(c.driverId);
      const p = pits.get(c.driverId);
      const f = finish.get(c.driverId);
      const tyre = c.compound ? `<span class="tyre ${esc(c.compound)}" title="${esc(c.compound)}">${esc(c.compound[0])}</span>${c.tyreLife ?? '–'}` : '–';
      return `<tr data-driver-id="${c.driverId}" class="${c.retired ? 'retired' : ''}"><td>${c.retired ? 'OUT' : c.position}</td>` +
        `<td title="${esc(d?.name ?? '')}">${esc(driverCode(c.driverId))} <span class="hint wide">${esc(d?.team ?? '')}</span></td>` +
        `<td>${gapText(c, leaderLaps, leaderLapMs)}</td><td class="wide">${c.intervalMs == null ? '–' : `+${(c.intervalMs / 1000).toFixed(1)}`}</td>` +
        `<td class="tyre-cell">${tyre}</td><td class="wide">${c.stops}</td>` +
        `<td class="prob${p?.alarm ? ' alarm' : ''}">${pct0(p?.within1)}</td><td class="prob">${pct0(p?.within3)}</td><td class="prob">${pct0(p?.within5)}</td>` +
        `<td class="prob">${pct(f?.win)}</td></tr>`;
    })
    .join('');
  if (!tick.pits) $('#live-note').textContent = 'No pit model is trained yet: the pit odds are empty (npx pitwall train).';
}

/** The win probability of the likeliest winners over the laps, as SVG lines (the last tick of each lap). */
function renderLiveChart() {
  const el = $('#live-chart');
  const byLap = new Map();
  for (const [, point] of [...live.points.entries()].sort((a, b) => a[0] - b[0])) byLap.set(point.lap, point.win);
  const laps = [...byLap.keys()].sort((a, b) => a - b);
  if (laps.length === 0) {
    el.innerHTML = '<p>No ticks yet.</p>';
    return;
  }
  const latestWin = byLap.get(laps.at(-1));
  const top = [...latestWin.entries()].sort((a, b) => b[1] - a[1]).slice(0, LIVE_TOP).map(([id]) => id);
  const total = Math.max(live.latest?.state.totalLaps ?? 0, laps.at(-1), 1);
  // Drawn at the width it is shown at, so its labels stay readable on a phone.
  const W = Math.max(300, Math.min(960, el.clientWidth || 640));
  const H = W < 500 ? 220 : 260;
  const m = { l: 40, r: 12, t: 10, b: 30 };
  const highest = Math.max(0.05, ...top.flatMap((id) => laps.map((l) => byLap.get(l).get(id) ?? 0)));
  const maxP = Math.min(1, Math.ceil(highest * 10) / 10);
  const x = (lap) => m.l + ((W - m.l - m.r) * lap) / total;
  const y = (p) => H - m.b - ((H - m.t - m.b) * p) / maxP;
  const yTicks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * maxP);
  const step = total > 40 ? 10 : 5;
  const xTicks = Array.from({ length: Math.floor(total / step) + 1 }, (_, i) => i * step);
  const grid = yTicks.map((p) => `<line class="gridline" x1="${m.l}" x2="${W - m.r}" y1="${y(p).toFixed(1)}" y2="${y(p).toFixed(1)}"/><text x="${m.l - 6}" y="${(y(p) + 4).toFixed(1)}" text-anchor="end">${Math.round(p * 100)}%</text>`).join('') +
    xTicks.map((l) => `<text x="${x(l).toFixed(1)}" y="${H - m.b + 16}" text-anchor="middle">${l}</text>`).join('') +
    `<line class="axis" x1="${m.l}" x2="${W - m.r}" y1="${H - m.b}" y2="${H - m.b}"/><text x="${W - m.r}" y="${H - 2}" text-anchor="end">lap</text>`;
  const lines = top.map((id, i) => {
    const pts = laps.filter((l) => byLap.get(l).has(id)).map((l) => `${x(l).toFixed(1)},${y(byLap.get(l).get(id)).toFixed(1)}`);
    const colour = liveColours[i % liveColours.length];
    return `<polyline data-driver-id="${id}" fill="none" stroke="${colour}" stroke-width="2.5" stroke-linejoin="round" points="${pts.join(' ')}"><title>${esc(driverCode(id))}: ${pct(latestWin.get(id))} at lap ${laps.at(-1)}</title></polyline>`;
  }).join('');
  const legend = top.map((id, i) => `<li style="--swatch:${liveColours[i % liveColours.length]}">${esc(driverCode(id))} ${pct(latestWin.get(id))}</li>`).join('');
  el.innerHTML = `<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" preserveAspectRatio="xMidYMid meet" aria-hidden="true">${grid}${lines}</svg><ul class="live-legend">${legend}</ul>`;
  el.dataset.rendered = 'true';
  el.dataset.lastLap = String(laps.at(-1));
  el.dataset.laps = String(laps.length);
}

window.addEventListener('DOMContentLoaded', () => {
  // A driver or team page (analytics.js) replaces the race views, as the live view does.
  const analytics = analyticsTarget(new URLSearchParams(location.search));
  if (analytics) {
    for (const section of document.querySelectorAll('main > section')) section.hidden = section.id !== 'analytics-section';
    run(() => startAnalytics(analytics, { chart, esc, palette }));
    return;
  }
  const liveParam = new URLSearchParams(location.search).get('live');
  if (liveParam != null) {
    if (/^\d{1,12}$/.test(liveParam.trim())) {
      live.raceId = Number(liveParam);
      run(() => Promise.all([startLive(live.raceId), loadLiveNav()]));
      let resized;
      window.addEventListener('resize', () => {
        window.clearTimeout(resized);
        resized = window.setTimeout(renderLiveChart, 150);
      });
      return;
    }
    setNotice(`“${liveParam}” is not a race id; showing the forecasts.`);
  }
  wire();
  run(() => Promise.all([loadUpcoming(), loadSeasons(), loadLiveNav(), startGlance({ api, esc, pct, num, when, openRace })]));
  // A race that goes live while the page is open gets its link within a minute.
  window.setInterval(() => loadLiveNav(), 60_000);
});
