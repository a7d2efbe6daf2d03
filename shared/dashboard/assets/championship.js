// Title odds of the season view: GET /championship/{year} drawn as P(title) after each round
// for the leading drivers and constructors, and the latest round's table (P(title), P(top 3),
// expected points with its 10–90% range). app.js hands in its helpers (api, chart, esc, pct, palette).

const $ = (sel) => document.querySelector(sel);
/** Lines drawn per chart: the entities most likely to win now, plus any that led the odds earlier. */
const CHART_TOP = 5;
const colours = ['#ff5a36', '#7fb2ff', '#5ad17a', '#ffd54a', '#c78bff', '#4fd1c5', '#ff9ad5', '#b0b7c3'];

/** The entities drawn: the CHART_TOP most likely champions now, and whoever was the favourite after some round. */
function charted(history, latest) {
  const ids = new Set(latest.slice(0, CHART_TOP).map((e) => e.id));
  const rounds = new Map();
  for (const h of history) if (!rounds.has(h.round) || rounds.get(h.round).pTitle < h.pTitle) rounds.set(h.round, h);
  for (const h of rounds.values()) ids.add(h.id);
  return [...ids].slice(0, colours.length);
}

async function titleChart(el, history, latest, { chart, palette }, label) {
  if (history.length === 0) {
    el.innerHTML = '<p>No odds stored yet.</p>';
    return;
  }
  const ids = charted(history, latest);
  const names = ids.map((id) => history.find((h) => h.id === id)?.name ?? String(id));
  const rows = history.filter((h) => ids.includes(h.id)).map((h) => ({ round: h.round, name: h.name, p: h.pTitle }));
  await chart(el, {
    width: 'container',
    height: 240,
    data: { values: rows },
    mark: { type: 'line', point: true, tooltip: true },
    encoding: {
      x: { field: 'round', type: 'quantitative', title: 'After round', axis: { tickMinStep: 1, format: 'd' } },
      y: { field: 'p', type: 'quantitative', title: `P(${label} title)`, scale: { domain: [0, 1] }, axis: { format: '.0%' } },
      color: { field: 'name', type: 'nominal', title: null, scale: { domain: names, range: colours }, legend: { orient: 'bottom', columns: 3, labelColor: palette.text } },
      tooltip: [{ field: 'name', title: label }, { field: 'round', title: 'after round' }, { field: 'p', title: 'P(title)', format: '.1%' }],
    },
  });
  el.dataset.lines = String(ids.length);
}

/** A phone keeps P(title), P(top 3) and the expected points with their range; the points now are on wider screens. */
function oddsTable(rows, { pct }, nameCell) {
  const fmt = (x) => (x == null ? '–' : Math.round(x));
  return `<table><thead><tr><th scope="col">${rows.kind}</th><th scope="col" class="wide">Points</th><th scope="col">P(title)</th><th scope="col">P(top 3)</th><th scope="col">Expected <span class="hint">10–90%</span></th></tr></thead><tbody>` +
    rows.list.map((e) => `<tr><td>${nameCell(e)}</td><td class="wide">${fmt(e.currentPoints)}</td><td>${pct(e.pTitle)}</td><td>${pct(e.pTop3)}</td><td>${fmt(e.expectedPoints)} <span class="hint">${fmt(e.p10)}–${fmt(e.p90)}</span></td></tr>`).join('') +
    '</tbody></table>';
}

/** Fills the championship section for a season: the chart over the rounds and the latest table. */
export async function loadChampionship(season, helpers) {
  const { api, esc } = helpers;
  const section = $('#championship-section');
  section.hidden = false;
  $('#championship-title').textContent = `Championship odds — ${season}`;
  const body = await api(`/championship/${season}`);
  const note = $('#championship-note');
  const tables = $('#championship-tables');
  if (!body) {
    note.textContent = `No title odds for ${season} yet: they are computed after each race once its result is synced (npx pitwall replay --season ${season} fills a past season).`;
    for (const id of ['#championship-drivers-chart', '#championship-constructors-chart']) $(id).innerHTML = '';
    tables.innerHTML = '';
    return;
  }
  note.textContent = `After round ${body.round} (${body.race.name}): ${body.samples.toLocaleString('en')} simulated seasons of the remaining races and sprints, from ${body.model}.`;
  const latestDrivers = body.drivers.map((d) => ({ id: d.driverId }));
  const latestTeams = body.constructors.map((c) => ({ id: c.constructorId }));
  await Promise.all([
    titleChart($('#championship-drivers-chart'), body.history.drivers, latestDrivers, helpers, 'drivers'),
    titleChart($('#championship-constructors-chart'), body.history.constructors, latestTeams, helpers, 'constructors'),
  ]);
  const shown = (list) => list.filter((e, i) => i < 10 || e.pTitle > 0);
  tables.innerHTML =
    `<div class="table-wrap">${oddsTable({ kind: 'Driver', list: shown(body.drivers) }, helpers, (d) => `${esc(d.code ?? d.name)} <span class="hint wide">${esc(d.team ?? '')}</span>`)}</div>` +
    `<div class="table-wrap">${oddsTable({ kind: 'Team', list: shown(body.constructors) }, helpers, (c) => esc(c.name))}</div>`;
}
