// Why a forecast says what it says, who beats whom, and what if the grid were different
// (issue 17): each forecast row's reasons, each team's head-to-head, and a what-if form that
// asks POST /what-if (never stored). app.js hands in its helpers (esc, pct).

const $ = (sel) => document.querySelector(sel);

/**
 * The row's "Why" cell. A pooled forecast's reasons start with the whole departure from the
 * grid ("overall"): it is the summary and the first line, because the reasons under it do not
 * add up and can point the other way. Older snapshots and other models list reasons only.
 */
export function reasonsCell(e, { esc }) {
  if (e.reasons == null) return '<span class="hint" title="frozen before reasons were stored, or by a baseline without a model">–</span>';
  const overall = e.reasons[0]?.feature === 'overall' ? e.reasons[0] : null;
  const rest = overall ? e.reasons.slice(1) : e.reasons;
  const flat = (r) => Math.abs(r.effect) < 0.05;
  if (rest.length === 0 && (!overall || flat(overall))) return '<span class="hint">as the grid says</span>';
  const top = overall ?? rest[0];
  const short = flat(top) ? '= as the grid says' : `${top.effect < 0 ? '▲' : '▼'} ${esc(top.effectText.replace(/^≈ /, ''))}`;
  const sign = (r) => (flat(r) ? 'flat' : r.effect < 0 ? 'up' : 'down');
  const head = overall ? `<p class="overall ${sign(overall)}" title="${esc(overall.label)}">${esc(overall.text)}</p>` : '';
  const items = rest.map((r) => `<li class="${sign(r)}">${esc(r.text)}</li>`).join('');
  return `<details class="reasons"><summary title="${esc(top.label)}">${short}</summary>${head}${items ? `<ul>${items}</ul>` : ''}</details>`;
}

/** Each team's pair: P(one finishes ahead of the other), from the snapshot's sampled orders. */
export function renderTeammates(p, { esc, pct }) {
  const el = $('#teammates');
  if (!el) return;
  const body = el.querySelector('tbody');
  el.hidden = !p || p.teammates == null;
  if (!p || p.teammates == null) {
    body.innerHTML = '';
    return;
  }
  body.innerHTML = p.teammates
    .map((t) => {
      const [fav, other, q] = t.pAhead >= 0.5 ? [t.a, t.b, t.pAhead] : [t.b, t.a, 1 - t.pAhead];
      return `<tr><td>${esc(t.team)}</td><td>${esc(fav.code ?? fav.driver)}</td><td class="prob">${pct(q)}</td><td>${esc(other.code ?? other.driver)}</td>` +
        `<td class="h2h-bar" aria-hidden="true"><span style="width:${(q * 100).toFixed(1)}%"></span></td></tr>`;
    })
    .join('');
}

/** The what-if form under the forecast: a penalty, a pit-lane start or a slot for one driver. */
export function setupWhatIf(p, { esc, pct }) {
  const form = $('#what-if');
  if (!form) return;
  const out = $('#what-if-result');
  form.hidden = !p;
  out.innerHTML = '';
  if (!p) return;
  const select = form.querySelector('select[name=driver]');
  select.innerHTML = p.entries.map((e) => `<option value="${e.driverId}">${esc(e.code ?? e.driver)}</option>`).join('');
  form.onsubmit = async (ev) => {
    ev.preventDefault();
    const kind = form.querySelector('select[name=kind]').value;
    const n = Number(form.querySelector('input[name=n]').value);
    const change = { driver: Number(select.value), ...(kind === 'pitLane' ? { pitLane: true } : { [kind]: n }) };
    out.textContent = 'Computing…';
    try {
      const res = await fetch('/what-if', { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify({ year: p.race.season, race: p.race.round, changes: [change] }) });
      const body = await res.json();
      if (!res.ok) throw new Error(body?.error?.message ?? `HTTP ${res.status}`);
      const moved = body.entries.filter((e) => Math.abs(e.change.pWin) >= 0.001 || e.change.medianPosition !== 0 || e.grid !== e.gridBefore);
      out.innerHTML = `<p class="hint">${esc(body.changes.join('; '))} — by ${esc(body.modelVersion)}, not stored.</p>` +
        `<table class="what-if-table"><thead><tr><th scope="col">Driver</th><th scope="col">Grid</th><th scope="col">Median pos.</th><th scope="col" class="prob">Win</th><th scope="col" class="prob">Δ win</th></tr></thead><tbody>` +
        moved
          .map((e) => `<tr><td>${esc(e.code ?? e.driver)}</td><td>P${e.gridBefore ?? '–'} → P${e.grid}</td><td>${e.medianPosition} (${e.change.medianPosition > 0 ? '+' : ''}${e.change.medianPosition})</td>` +
            `<td class="prob">${pct(e.pWin)}</td><td class="prob ${e.change.pWin < 0 ? 'down' : 'up'}">${e.change.pWin > 0 ? '+' : ''}${(e.change.pWin * 100).toFixed(1)} pt</td></tr>`)
          .join('') +
        '</tbody></table>';
    } catch (err) {
      out.textContent = `No what-if: ${err.message}`;
    }
  };
}
