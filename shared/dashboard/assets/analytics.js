// Driver and team pages (?driver=<id>&season=<year>, ?team=<id>&season=<year>): one season's
// figures from GET /analytics/drivers|teams/{id}, drawn as charts and listed with the number
// of races each rests on. app.js hands in its helpers (chart, esc, ...): one chart() for all views.

const $ = (sel) => document.querySelector(sel);
const compoundColours = { SOFT: '#ff4b4b', MEDIUM: '#ffd54a', HARD: '#eef0f4', INTERMEDIATE: '#5ad17a', WET: '#4aa3ff' };

/**
 * The page the address asks for: { kind, id, season } (season null: the latest), null when it
 * names no driver or team, or { kind, error } when the id is not one.
 */
export function analyticsTarget(params) {
  for (const kind of ['driver', 'team']) {
    const raw = params.get(kind);
    if (raw == null) continue;
    if (!/^\d{1,12}$/.test(raw.trim())) return { kind, error: `“${raw}” is not a ${kind} id: open ?${kind}=<id>&season=<year> (GET /${kind}s?season=<year> lists the ids), or follow a link in the forecast table.` };
    const season = params.get('season');
    return { kind, id: Number(raw), season: season && /^\d{4}$/.test(season.trim()) ? Number(season) : null };
  }
  return null;
}

/** A page link: the driver or team page of a season (the forecast table links these). */
export const analyticsHref = (kind, id, season) => `?${kind}=${encodeURIComponent(id)}&season=${encodeURIComponent(season)}`;

const count = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;
const racesNote = (n) => `(${count(n, 'race')})`;
const signed = (x, d = 2, unit = '') => (x == null ? '–' : `${x > 0 ? '+' : x < 0 ? '−' : '±'}${Math.abs(x).toFixed(d)}${unit}`);

/** Each figure as [label, value text, races, reason]: the definition list of the page. */
function figureRows(a, kind) {
  const rows = [];
  const add = (label, value, f) => rows.push([label, f.reason ? null : value, f.races, f.reason]);
  if (kind === 'driver') {
    const g = a.teammateQualifyingGap;
    add('Qualifying gap to teammate', `${signed(g.medianPct, 3, '%')} (${signed(g.medianMs, 0, ' ms')}), ahead ${g.outqualified}×`, g);
  }
  add('Race pace vs field median', `${signed(a.racePace.medianDeltaSeconds, 3, ' s/lap')} (${signed(a.racePace.medianDeltaPct, 2, '%')})`, a.racePace);
  add('Consistency: race-pace spread (sd)', `${a.consistency.pace.sdPct?.toFixed(3)}%`, a.consistency.pace);
  add('Consistency: finishing spread (sd)', `${a.consistency.finishing.sdPositions?.toFixed(2)} places`, a.consistency.finishing);
  add('Positions gained from the grid', `${signed(a.positionsGained.mean, 2)} a race (${signed(a.positionsGained.total, 0)} in all)`, a.positionsGained);
  const w = a.wetRaces;
  const side = (s) => (s.races ? `finish ${s.meanFinish?.toFixed(1) ?? '–'}, ${s.meanPoints?.toFixed(1)} pts, ${s.dnfs} DNF ${racesNote(s.races)}` : 'none');
  add('Wet races', `wet: ${side(w.wet)}; dry: ${side(w.dry)}`, w);
  add('Tyre degradation', a.tyreDegradation.byCompound.map((c) => `${c.compound.toLowerCase()} ${signed(c.medianSecondsPerLap, 3)} s/lap (${count(c.stints, 'stint')})`).join(', ') + ' — fuel not removed', a.tyreDegradation);
  add('Pit-lane time', `median ${a.pitStops.medianSeconds?.toFixed(2)} s, mean ${a.pitStops.meanSeconds?.toFixed(2)} s, ${signed(a.pitStops.deltaToFieldSeconds, 2, ' s')} vs field (${count(a.pitStops.stops, 'stop')})`, a.pitStops);
  add(kind === 'team' ? 'Reliability: mechanical DNFs' : 'Mechanical DNFs', `${a.mechanicalDnfs.count}${a.mechanicalDnfs.list.length ? `: ${a.mechanicalDnfs.list.map((d) => `R${d.round} ${d.status}`).join(', ')}` : ''}`, a.mechanicalDnfs);
  if (kind === 'team') {
    const t = a.developmentTrend;
    // The slope of a gap in percent: percentage points of that gap a round (− closing on pole).
    add('Development: gap to pole', `median ${t.medianGapToPolePct?.toFixed(3)}%, trend ${signed(t.slopePctPerRound, 3)} percentage points of gap a round (− closing on pole)`, t);
  }
  const p = a.pointsOverSeason;
  add('Championship', `${p.finalPoints} pts, P${p.finalPosition ?? '–'}`, p);
  return rows;
}

function renderFigures(el, rows, esc) {
  el.innerHTML = rows
    .map(([label, value, races, reason]) => `<div data-races="${races}"><dt>${esc(label)}</dt><dd>${esc(value ?? `no data: ${reason}`)} <span class="races">${racesNote(races)}</span></dd></div>`)
    .join('');
}

/** A chart, or the reason it has nothing to draw. */
async function drawOr(el, values, reason, spec, chart, esc) {
  delete el.dataset.rendered;
  if (!values.length) {
    el.innerHTML = `<p class="hint">No data: ${esc(reason ?? 'nothing to draw')}.</p>`;
    el.dataset.empty = 'true';
    return;
  }
  delete el.dataset.empty;
  await chart(el, { width: 'container', autosize: { type: 'fit-x', contains: 'padding' }, data: { values }, ...spec });
}

const roundAxis = { field: 'round', type: 'ordinal', title: 'Round' };

/** Loads and draws a driver or team page; `helpers` are app.js's own (chart, esc, palette, when). */
export async function startAnalytics(target, helpers) {
  const { chart, esc, palette } = helpers;
  $('#analytics-section').hidden = false;
  const note = $('#analytics-note');
  if (target.error) {
    $('#analytics-title').textContent = target.kind === 'driver' ? 'Driver' : 'Team';
    note.textContent = target.error;
    return;
  }
  let season = target.season;
  if (season == null) {
    const res = await fetch('/seasons', { headers: { Accept: 'application/json' } });
    season = (await res.json()).seasons?.[0];
  }
  const path = `/analytics/${target.kind === 'driver' ? 'drivers' : 'teams'}/${target.id}?season=${season}`;
  const res = await fetch(path, { headers: { Accept: 'application/json' } });
  const a = await res.json().catch(() => null);
  if (!res.ok) {
    $('#analytics-title').textContent = target.kind === 'driver' ? 'Driver' : 'Team';
    note.textContent = a?.error?.message ?? `the server answered HTTP ${res.status}`;
    return;
  }
  const name = target.kind === 'driver' ? a.driver.name : a.team.name;
  $('#analytics-title').textContent = `${name} — ${a.season}`;
  document.title = `${name} ${a.season} — pitwall`;
  const other = (kind, id, label) => `<a href="${analyticsHref(kind, id, a.season)}">${esc(label)}</a>`;
  $('#analytics-lead').innerHTML = target.kind === 'driver'
    ? `${esc(a.driver.code ?? '')} ${a.teams.map((t) => other('team', t.id, t.name)).join(', ')}${a.teammates.length ? `; teammates ${a.teammates.map((m) => other('driver', m.driverId, m.name)).join(', ')}` : ''}. ${a.racesEntered} races entered.`
    : `Drivers: ${a.drivers.map((d) => `${other('driver', d.driverId, d.name)} (${d.races} races, ${d.points} pts)`).join(', ')}.`;
  note.textContent = '';
  renderFigures($('#analytics-figures'), figureRows(a, target.kind), esc);

  const p = a.pointsOverSeason;
  const pace = a.racePace;
  const gained = a.positionsGained;
  const tyres = a.tyreDegradation;
  const pits = a.pitStops;
  const people = new Map((target.kind === 'team' ? a.drivers : [{ driverId: a.driver.id, code: a.driver.code, name: a.driver.name }]).map((d) => [d.driverId, d.code ?? d.name]));
  // Points labels: the championship place where it changed, and after the last round.
  const rounds = p.rounds.map((r, i, all) => ({ ...r, label: r.position != null && (i === 0 || i === all.length - 1 || r.position !== all[i - 1].position) ? `P${r.position}` : '' }));
  const draws = [
    drawOr($('#analytics-points'), rounds, p.reason, {
      layer: [
        { mark: { type: 'line', color: palette.model, point: true, tooltip: true }, encoding: { x: roundAxis, y: { field: 'points', type: 'quantitative', title: 'Points' } } },
        { mark: { type: 'text', dy: -10, color: palette.text, fontSize: 10 }, encoding: { x: roundAxis, y: { field: 'points', type: 'quantitative' }, text: { field: 'label' } } },
      ],
      height: 200,
    }, chart, esc),
    drawOr($('#analytics-pace'), pace.perRace, pace.reason, {
      height: 200,
      layer: [
        { mark: { type: 'bar', tooltip: true }, encoding: { x: roundAxis, y: { field: 'deltaSeconds', type: 'quantitative', title: 's/lap vs field median (− faster)' }, color: { condition: { test: 'datum.deltaSeconds < 0', value: palette.model }, value: palette.baseline } } },
        { mark: { type: 'rule', color: palette.text, strokeDash: [4, 3] }, encoding: { y: { datum: 0 } } },
      ],
    }, chart, esc),
    drawOr($('#analytics-gained'), gained.perRace.map((g) => ({ ...g, car: people.get(g.driverId) ?? String(g.driverId) })), gained.reason, {
      height: 200,
      mark: { type: 'bar', tooltip: true },
      encoding: {
        x: roundAxis, xOffset: { field: 'car' }, y: { field: 'gained', type: 'quantitative', title: 'Places gained (grid − finish)' },
        color: target.kind === 'team' ? { field: 'car', type: 'nominal', title: null, scale: { range: [palette.model, palette.baseline] } } : { value: palette.model },
      },
    }, chart, esc),
    drawOr($('#analytics-tyres'), tyres.byCompound, tyres.reason, {
      height: 160,
      mark: { type: 'bar', tooltip: true },
      encoding: {
        y: { field: 'compound', type: 'nominal', sort: Object.keys(compoundColours), title: null },
        // Slopes differ by hundredths: a few ticks, spaced, or the labels run together (−0.22−0.21).
        x: { field: 'medianSecondsPerLap', type: 'quantitative', title: 'Median stint slope, s/lap (fuel not removed)', axis: { tickCount: 4, format: '.2f', labelSeparation: 6 } },
        color: { field: 'compound', type: 'nominal', legend: null, scale: { domain: Object.keys(compoundColours), range: Object.values(compoundColours) } },
      },
    }, chart, esc),
    drawOr($('#analytics-pits'), pits.perRace, pits.reason, {
      height: 200,
      layer: [
        { mark: { type: 'point', filled: true, color: palette.model, tooltip: true }, encoding: { x: roundAxis, y: { field: 'medianSeconds', type: 'quantitative', scale: { zero: false }, title: 'Median pit-lane time, s' }, size: { field: 'stops', type: 'quantitative', legend: null } } },
        ...(pits.fieldMedianSeconds == null ? [] : [{ mark: { type: 'rule', color: palette.baseline, strokeDash: [4, 3] }, encoding: { y: { datum: pits.fieldMedianSeconds } } }]),
      ],
    }, chart, esc),
  ];
  const trendEl = $('#analytics-trend');
  $('#analytics-trend-block').hidden = target.kind !== 'team';
  if (target.kind === 'team') {
    const t = a.developmentTrend;
    draws.push(drawOr(trendEl, t.perRound, t.reason, {
      height: 200,
      layer: [
        { mark: { type: 'point', filled: true, color: palette.model, tooltip: true }, encoding: { x: { field: 'round', type: 'quantitative', title: 'Round' }, y: { field: 'gapToPolePct', type: 'quantitative', title: 'Best qualifying gap to pole, %' } } },
        { mark: { type: 'line', color: palette.baseline }, transform: [{ regression: 'gapToPolePct', on: 'round' }], encoding: { x: { field: 'round', type: 'quantitative' }, y: { field: 'gapToPolePct', type: 'quantitative' } } },
      ],
    }, chart, esc));
  }

  const c = a.circuit;
  $('#analytics-circuit-title').textContent = c.circuit ? `Results at ${c.circuit.name} ${racesNote(c.races)}` : 'Results at a circuit';
  $('#analytics-circuit tbody').innerHTML = c.results.length
    ? c.results.map((r) => `<tr><td>${r.season}</td><td>${esc(r.race)}</td>${target.kind === 'team' ? `<td>${esc(people.get(r.driverId) ?? r.driverId)}</td>` : ''}<td>${r.grid || 'pit'}</td><td>${esc(r.positionText)}</td><td>${r.points}</td><td class="status-text">${esc(r.status)}</td></tr>`).join('')
    : `<tr><td colspan="6">${esc(c.reason ?? 'no results')}</td></tr>`;
  $('#analytics-circuit thead tr').innerHTML = `<th scope="col">Season</th><th scope="col">Race</th>${target.kind === 'team' ? '<th scope="col">Driver</th>' : ''}<th scope="col">Grid</th><th scope="col">Finish</th><th scope="col">Pts</th><th scope="col">Status</th>`;
  await Promise.all(draws);
  $('#analytics-section').dataset.loaded = 'true';
}
