// The dashboard page: keeps the server-rendered sections live from one event stream (no polling).

(() => {
  const token = new URLSearchParams(location.search).get('token') || '';
  const $ = (sel) => document.querySelector(sel);
  const boot = JSON.parse($('#boot').textContent || '{}');
  const COLORS = ['#1f5fa8', '#b3261e', '#2e7d32', '#6a1b9a', '#8d5a00', '#00695c'];
  /** What the page shows of the open deployment, rebuilt from its events. */
  let shown = null;
  /** When each recorded event reached the page (read by the browser tests and the latency figure). */
  window.cutoverShown = [];

  const api = (path, init = {}) =>
    fetch(path, {
      ...init,
      headers: { ...(init.headers || {}), authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    }).then(async (res) => {
      const body = await res.json();
      if (!res.ok) throw new Error(body.error ? `${body.error.code}: ${body.error.message}` : `HTTP ${res.status}`);
      return body;
    });

  function reset(data) {
    shown = { id: data.id, state: data.state, weights: [], releases: [], measurements: [], metrics: [] };
    $('#measurements tbody').textContent = '';
    $('#verdicts').textContent = '';
    $('#current-weights').textContent = '–';
    for (const e of data.events) apply(e, false);
    draw();
  }

  function cell(row, text) {
    const td = document.createElement('td');
    td.textContent = text;
    row.append(td);
    return td;
  }

  const fmt = (v) =>
    v === null || v === undefined ? 'no data' : Math.abs(v) < 1 && v !== 0 ? v.toPrecision(3) : String(Math.round(v * 1000) / 1000);
  const when = (ms) => new Date(ms).toISOString().slice(11, 19);

  function threshold(t) {
    if (!t) return '';
    const parts = [];
    if (t.max !== undefined && t.max !== null) parts.push(`≤ ${fmt(t.max)}`);
    if (t.min !== undefined && t.min !== null) parts.push(`≥ ${fmt(t.min)}`);
    for (const [k, v] of Object.entries(t)) if (k !== 'max' && k !== 'min' && typeof v === 'number') parts.push(`${k} ${fmt(v)}`);
    return parts.join(', ');
  }

  function apply(e, live) {
    const d = e.data || {};
    if (e.type === 'weights:set') {
      const weights = d.weights || {};
      for (const r of Object.keys(weights)) if (!shown.releases.includes(r)) shown.releases.push(r);
      // null weights: traffic spreads over every healthy instance again (a gap in the chart, not 0 %).
      shown.weights.push({ t: e.at / 1000, w: d.weights });
      $('#current-weights').textContent = d.weights
        ? Object.entries(weights)
            .map(([r, p]) => `${r} ${p}%`)
            .join(' · ')
        : 'even over healthy instances';
    } else if (e.type === 'analysis:measurement') {
      if (!shown.metrics.includes(d.metric)) shown.metrics.push(d.metric);
      shown.measurements.push({ t: e.at / 1000, metric: d.metric, value: d.value, max: d.thresholds ? d.thresholds.max : undefined });
      const row = document.createElement('tr');
      row.className = `verdict-${d.verdict}`;
      cell(row, when(e.at));
      cell(row, d.metric);
      cell(row, fmt(d.value));
      cell(row, threshold(d.thresholds));
      cell(row, d.verdict).className = `badge badge-${d.verdict}`;
      $('#measurements tbody').prepend(row);
    } else if (e.type === 'analysis:verdict' || e.type === 'signal:received' || e.type === 'dashboard:action') {
      const li = document.createElement('li');
      li.dataset.event = e.type;
      if (e.type === 'analysis:verdict') {
        li.className = `verdict verdict-${d.verdict}`;
        li.dataset.verdict = d.verdict;
        li.textContent = `${when(e.at)} verdict ${d.verdict}: ${d.summary || ''}`;
      } else if (e.type === 'dashboard:action') li.textContent = `${when(e.at)} ${d.action} asked by ${d.actor}`;
      else li.textContent = `${when(e.at)} ${d.kind} received from ${d.actor}`;
      $('#verdicts').prepend(li);
    }
    if (live) {
      window.cutoverShown.push({ id: e.id, type: e.type, at: e.at, shownAt: Date.now() });
      if (e.type === 'weights:set' || e.type === 'analysis:measurement') draw();
    }
  }

  const charts = {};
  function chart(key, el, series, data) {
    if (charts[key]) charts[key].destroy();
    el.textContent = '';
    if (data[0].length === 0 || typeof uPlot === 'undefined') {
      el.textContent = 'nothing recorded yet';
      return;
    }
    charts[key] = new uPlot(
      { width: Math.max(320, el.clientWidth || 640), height: 200, series: [{}, ...series], scales: { x: { time: true } } },
      data,
      el,
    );
  }

  function draw() {
    if (!shown) return;
    const wt = shown.weights.map((p) => p.t);
    chart(
      'weights',
      $('#weights-chart'),
      shown.releases.map((r, i) => ({
        label: `${r} %`,
        stroke: COLORS[i % COLORS.length],
        width: 2,
        paths: uPlot.paths.stepped({ align: 1 }),
      })),
      [wt, ...shown.releases.map((r) => shown.weights.map((p) => (p.w === null ? null : p.w[r] === undefined ? 0 : p.w[r])))],
    );
    const mt = shown.measurements.map((m) => m.t);
    const series = [];
    const data = [mt];
    shown.metrics.forEach((name, i) => {
      series.push({ label: name, stroke: COLORS[i % COLORS.length], width: 2, spanGaps: true });
      data.push(shown.measurements.map((m) => (m.metric === name ? m.value : null)));
      series.push({ label: `${name} max`, stroke: COLORS[i % COLORS.length], dash: [6, 4], width: 1, spanGaps: true });
      data.push(shown.measurements.map((m) => (m.metric === name && m.max !== undefined ? m.max : null)));
    });
    chart('analysis', $('#analysis-chart'), series, data);
  }

  async function open(id) {
    const view = await api(`/api/deployments/${id}`);
    $('#deployment').innerHTML = view.html;
    reset(view.data);
  }

  function connect() {
    const source = new EventSource(`/api/events?token=${encodeURIComponent(token)}`);
    const status = $('#connection');
    source.onopen = () => (status.textContent = 'live');
    source.onerror = () => (status.textContent = 'reconnecting…');
    source.addEventListener('record', (m) => {
      const e = JSON.parse(m.data);
      if (shown && e.deploymentId === shown.id) apply(e, true);
    });
    source.addEventListener('deployment', (m) => {
      const d = JSON.parse(m.data);
      const el = $('#deployment');
      if (shown && d.deploymentId === shown.id) {
        el.innerHTML = d.html;
        shown.state = el.querySelector('[data-state]')?.dataset.state;
      } else if (shown?.state !== 'running') open(d.deploymentId).catch(report);
    });
    source.addEventListener('fragment', (m) => {
      const d = JSON.parse(m.data);
      const el = document.getElementById(d.target);
      if (el) el.innerHTML = d.html;
    });
  }

  function report(error) {
    $('#connection').textContent = String(error.message || error);
  }

  const dialog = $('#confirm');
  const actorInput = $('#confirm-actor');
  actorInput.value = localStorage.getItem('cutover-actor') || '';
  let pending = null;
  document.addEventListener('click', (ev) => {
    const target = ev.target.closest('[data-open],[data-action]');
    if (!target) return;
    if (target.dataset.open) {
      ev.preventDefault();
      open(Number(target.dataset.open))
        .then(() => $('#main').focus())
        .catch(report);
      return;
    }
    const holder = target.closest('[data-deployment]');
    pending = {
      action: target.dataset.action,
      deploymentId: Number(holder?.dataset.deployment),
      service: target.dataset.service || holder?.dataset.service,
    };
    $('#confirm-title').textContent = `Confirm ${pending.action}`;
    $('#confirm-text').textContent =
      pending.action === 'rollback'
        ? `Roll ${pending.service} back to its last good release?`
        : `${pending.action === 'abort' ? 'Abort' : 'Promote'} deployment ${pending.deploymentId}?`;
    dialog.showModal();
    actorInput.focus();
  });
  dialog.addEventListener('close', () => {
    if (dialog.returnValue !== 'ok' || !pending) return;
    const actor = actorInput.value.trim();
    localStorage.setItem('cutover-actor', actor);
    const body = { ...pending, actor };
    pending = null;
    $('#connection').textContent = `${body.action} sent…`;
    api('/api/actions', { method: 'POST', body: JSON.stringify(body) })
      .then(
        (r) =>
          ($('#connection').textContent =
            `${body.action}: ${r.signal ? `${r.signal.outcome || 'recorded'} ${r.signal.note || ''}` : `deployment ${r.deploymentId} started`}`),
      )
      .catch(report);
  });

  const select = $('#log-instance');
  const all = document.createElement('option');
  all.value = '';
  all.textContent = 'every instance';
  select.append(all);
  for (const i of boot.instances || []) {
    const o = document.createElement('option');
    o.value = i.id;
    o.textContent = `${i.service} · ${i.id}`;
    select.append(o);
  }
  const showLogs = () => {
    const q = new URLSearchParams({ instance: select.value, filter: $('#log-filter').value });
    return api(`/api/logs?${q}`)
      .then((r) => {
        const pre = $('#log-lines');
        const atEnd = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
        pre.textContent = r.lines.join('\n') || '(no line matches)';
        if (atEnd) pre.scrollTop = pre.scrollHeight;
      })
      .catch(report);
  };
  $('#logs-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    showLogs();
  });
  // Following the log is one small request every 2 s while the box is ticked (and the tab visible).
  let following = null;
  $('#log-follow').addEventListener('change', (ev) => {
    clearInterval(following);
    following = ev.target.checked ? setInterval(() => document.visibilityState === 'visible' && showLogs(), 2000) : null;
    if (following) showLogs();
  });

  if (boot.deployment) reset(boot.deployment);
  connect();
})();
