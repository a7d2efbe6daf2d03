// At a glance (issue 17, part 7): the landing view's last 3 races (forecast against result,
// score beside the grid) and next 3 (pre-weekend forecast, title odds) from GET /overview, with
// a round picker ("as it stood after round N"); and the race view's pre-weekend forecast beside
// the post-qualifying one. app.js hands in its helpers (api, esc, pct, num, when, openRace).

const $ = (sel) => document.querySelector(sel);

const glance = { season: null, round: null, generation: 0 };

/**
 * A small bar chart as a list: label, bar scaled to the largest value shown, the figure, and
 * any further figures in their own columns (`head` names them).
 */
function bars(rows, { esc, pct }, head = null) {
  const top = Math.max(0.01, ...rows.map((r) => r.value));
  const extra = rows[0]?.more?.length ?? 0;
  const cls = `bars${extra ? ` more-${extra}` : ''}`;
  const header = head ? `<li class="bars-head" aria-hidden="true">${head.map((h) => `<span>${esc(h)}</span>`).join('')}</li>` : '';
  return `<ol class="${cls}">${header}${rows
    .map((r) => `<li title="${esc(r.title)}"><span class="bar-label">${esc(r.label)}</span><span class="bar" aria-hidden="true"><span style="width:${((100 * r.value) / top).toFixed(1)}%"></span></span><span class="bar-value">${pct(r.value)}</span>` +
      `${(r.more ?? []).map((v) => `<span class="bar-value more">${pct(v)}</span>`).join('')}</li>`)
    .join('')}</ol>`;
}

const code = (d) => d?.code ?? d?.driver ?? '–';

function lastCard(r, h) {
  const { esc, num, when } = h;
  const f = r.forecast;
  const hit = f && r.result ? f.winner?.driverId === r.result.winner.driverId : null;
  const mark = hit == null ? '' : hit ? ' <span class="up" title="the predicted winner won">✓</span>' : ' <span class="down" title="the predicted winner did not win">✗</span>';
  const s = r.score;
  const lines = [
    ['Predicted winner', f ? `${esc(code(f.winner))}${mark}` : '<span class="hint">no forecast frozen</span>'],
    ['Winner', r.result ? esc(code(r.result.winner)) : '<span class="hint">no result yet</span>'],
    ['Podium', r.result ? r.result.top3.map((d) => esc(code(d))).join(' · ') : '–'],
    ['Position MAE', s ? `${num(s.positionMae)} <span class="hint">(grid ${num(s.gridBaseline.positionMae)})</span>` : '<span class="hint">not scored</span>'],
    ...(s ? [['Brier (win)', num(s.brierWin, 3)]] : []),
    ...(r.preWeekend
      ? [['Before the weekend', `${esc(code(r.preWeekend.winner))}${r.preWeekend.score ? `, MAE ${num(r.preWeekend.score.positionMae)}` : ''}`]]
      : []),
  ];
  return `<article class="glance-card" data-race-id="${r.raceId}"><h4><a href="?season=${r.season}&race=${r.raceId}" data-open-race="${r.raceId}" data-season="${r.season}">${r.season} R${r.round} ${esc(r.name)}</a></h4>` +
    `<p class="hint">${esc(when(r.startsAt, { weekday: false }))}</p><dl class="glance-figures">${lines.map(([k, v]) => `<div><dt>${esc(k)}</dt><dd>${v}</dd></div>`).join('')}</dl></article>`;
}

function nextCard(r, h) {
  const { esc, pct, when } = h;
  const p = r.preWeekend;
  const head = `<h4><a href="?season=${r.season}&race=${r.raceId}" data-open-race="${r.raceId}" data-season="${r.season}">${r.season} R${r.round} ${esc(r.name)}</a></h4><p class="hint">${esc(when(r.startsAt))}</p>`;
  if (!p) return `<article class="glance-card" data-race-id="${r.raceId}">${head}<p class="hint">${esc(r.reason ?? 'no pre-weekend forecast')}</p></article>`;
  const badge = p.provisional
    ? `<span class="badge waiting provisional" title="computed as of ${esc(when(p.asOf))} for this view, never stored; frozen at ${esc(when(p.freezesAt))}">provisional</span>`
    : '<span class="badge frozen">frozen</span>';
  const rows = p.top.map((d) => ({ label: code(d), value: d.pWin, more: [d.pPodium, d.pPoints], title: `${d.driver} (${d.team}): P(win) ${pct(d.pWin)}, P(podium) ${pct(d.pPodium)}, P(points) ${pct(d.pPoints)}` }));
  const sentence = p.provisional ? `Provisional, as of ${when(p.asOf, { weekday: false })}; frozen ${when(p.freezesAt, { weekday: false })}.` : `Frozen ${when(p.asOf, { weekday: false })}.`;
  return `<article class="glance-card" data-race-id="${r.raceId}" data-provisional="${p.provisional}">${head}<p class="glance-kind">Before the weekend ${badge}</p>${bars(rows, h, ['', 'P(win)', '', 'Podium', 'Points'])}` +
    `<p class="hint small">${esc(sentence)}</p></article>`;
}

function titleBlock(body, h) {
  const { esc, pct } = h;
  if (!body.title) return `<p class="hint">${esc(body.titleReason ?? 'no title odds')}</p>`;
  const t = body.title;
  const drivers = t.drivers.map((d) => ({ label: code(d), value: d.pTitle, more: [d.pTop3], title: `${d.driver}: ${d.currentPoints} points, P(title) ${pct(d.pTitle)}, P(top 3) ${pct(d.pTop3)}` }));
  const teams = t.constructors.map((c) => ({ label: c.team, value: c.pTitle, more: [c.pTop3], title: `${c.team}: ${c.currentPoints} points, P(title) ${pct(c.pTitle)}, P(top 3) ${pct(c.pTop3)}` }));
  return `<div class="grid"><div class="glance-card"><h4>Drivers' title</h4>${bars(drivers, h, ['', 'P(title)', '', 'Top 3'])}</div><div class="glance-card"><h4>Constructors' title</h4>${bars(teams, h, ['', 'P(title)', '', 'Top 3'])}</div></div>` +
    `<p class="hint small">After round ${t.round}, from ${t.samples.toLocaleString('en')} simulated seasons (${esc(t.model)}). <a href="/championship/${t.season}/${t.round}">JSON</a></p>`;
}

async function loadGlance(h) {
  const generation = ++glance.generation;
  const q = glance.season ? `?season=${glance.season}${glance.round ? `&round=${glance.round}` : ''}` : '';
  const status = $('#glance-status');
  status.textContent = 'Loading…';
  let body;
  try {
    body = await h.api(`/overview${q}`);
  } catch (err) {
    if (generation === glance.generation) status.textContent = `Could not load the overview: ${err.message}`;
    return;
  }
  if (generation !== glance.generation) return;
  const section = $('#glance-section');
  if (!body) {
    status.textContent = 'Nothing to show yet: load the data with npx pitwall ingest.';
    return;
  }
  status.textContent = '';
  glance.season = body.season;
  glance.round = body.round;
  $('#glance-title').textContent = body.present ? `At a glance — ${body.season} after round ${body.round}` : `At a glance — ${body.season} as it stood after round ${body.round}`;
  $('#glance-note').textContent = body.note ? `${body.note[0].toUpperCase()}${body.note.slice(1)}.` : '';
  const roundSel = $('#glance-round');
  roundSel.innerHTML = body.rounds
    .filter((r) => r.finished)
    .map((r) => `<option value="${r.round}">R${r.round} ${h.esc(r.name)}</option>`)
    .join('');
  roundSel.value = String(body.round);
  $('#glance-season').value = String(body.season);
  $('#glance-last').innerHTML = body.last.map((r) => lastCard(r, h)).join('') || '<p class="hint">No race before this one.</p>';
  $('#glance-next').innerHTML = body.next.map((r) => nextCard(r, h)).join('') || '<p class="hint">No race after this one in the calendar.</p>';
  $('#glance-odds').innerHTML = titleBlock(body, h);
  section.dataset.round = String(body.round);
  section.dataset.rendered = 'true';
}

/** The landing view's overview: shown above the race views, with its own season and round picker. */
export async function startGlance(h) {
  const section = $('#glance-section');
  section.hidden = false;
  const params = new URLSearchParams(location.search);
  const [season, round] = [params.get('season'), params.get('round')];
  if (season && /^\d{4}$/.test(season) && round && /^\d{1,2}$/.test(round)) Object.assign(glance, { season: Number(season), round: Number(round) });
  const seasons = (await h.api('/seasons'))?.seasons ?? [];
  $('#glance-season').innerHTML = seasons.map((s) => `<option value="${s}">${s}</option>`).join('');
  $('#glance-season').addEventListener('change', (e) => {
    Object.assign(glance, { season: Number(e.target.value), round: null });
    loadGlance(h);
  });
  $('#glance-round').addEventListener('change', (e) => {
    glance.round = Number(e.target.value);
    loadGlance(h);
  });
  // A card's race opens in the race view below, without leaving the page.
  section.addEventListener('click', (e) => {
    const a = e.target.closest('a[data-open-race]');
    if (!a || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    h.openRace(Number(a.dataset.season), Number(a.dataset.openRace));
  });
  await loadGlance(h);
}

/**
 * The race view's pre-weekend forecast, beside the post-qualifying one: a "before the weekend"
 * column in the forecast table (its predicted place and P(win)), a sentence when it is the only
 * forecast, and its score under the evaluation. `current()` is false once another race is chosen.
 */
export async function renderPreWeekend(raceId, p, current, h = {}) {
  const { api, esc, pct, num, when } = h;
  const table = $('#forecast-table');
  const clear = () => {
    table.querySelectorAll('.pre-weekend').forEach((el) => el.remove());
    delete table.dataset.preWeekend;
    $('#pre-weekend-lead').innerHTML = '';
    $('#pre-weekend-metrics').innerHTML = '';
  };
  clear();
  if (raceId == null) return;
  const [early, metrics] = await Promise.all([api(`/predictions/${raceId}?policy=pre_weekend`), api(`/metrics/${raceId}?policy=pre_weekend`)]);
  if (!current()) return;
  clear();
  if (!early) return;
  const byDriver = new Map(early.entries.map((e) => [e.driverId, e]));
  const winner = early.entries.find((e) => e.predictedPosition === 1);
  $('#pre-weekend-lead').innerHTML = `<span class="badge frozen">Before the weekend</span> Frozen ${esc(when(early.snapshotAt))}, before first practice, by ${esc(early.modelVersion)}: ` +
    `${esc(winner?.code ?? winner?.driver ?? '–')} the likeliest winner (${pct(winner?.pWin)}).${p ? ' Its place and P(win) are in the table’s “Before wknd” column.' : ''}`;
  if (p) {
    // Beside the post-qualifying P(win); a phone shows its P(win) only, wider screens the place too.
    table.querySelector('thead th.prob').insertAdjacentHTML('afterend', '<th scope="col" class="prob pre-weekend"><abbr title="The pre-weekend forecast (frozen before first practice): predicted place · P(win)">Before wknd</abbr></th>');
    for (const row of table.querySelectorAll('tbody tr[data-driver-id]')) {
      const e = byDriver.get(Number(row.dataset.driverId));
      const cell = e ? `<span class="wide">${e.predictedPosition} · </span>${pct(e.pWin)}` : '<span class="hint" title="not in the pre-weekend entry list">–</span>';
      row.querySelector('td.prob').insertAdjacentHTML('afterend', `<td class="prob pre-weekend" title="${e ? `before the weekend: ${e.predictedPosition} · P(win) ${pct(e.pWin)}` : ''}">${cell}</td>`);
    }
  }
  table.dataset.preWeekend = String(raceId);
  $('#pre-weekend-metrics').innerHTML = metrics
    ? `<div><dt>Before the weekend: position MAE</dt><dd>${num(metrics.positionMae)} (grid ${num(metrics.baseline.positionMae)})</dd></div>` +
      `<div><dt>Before the weekend: winner correct</dt><dd>${metrics.winnerCorrect ? 'yes' : 'no'}</dd></div>` +
      `<div><dt>Before the weekend: Brier win</dt><dd>${num(metrics.brier.win, 3)}</dd></div>`
    : '';
}
