// The supervisors' wallboard: opens `/ws` (docs/websocket.md), subscribes to the queues
// and draws every `queue.snapshot`: a card per queue (waiting callers with their waits
// ticking, today's figures against the target) and a tile per agent (state and time in
// it, pause/unpause). Caller-ID names and numbers come from the outside world: written
// with textContent only, never as HTML.

const root = document.getElementById('wallboard');

if (root) {
  start(root);
}

function start(root) {
  const messages = JSON.parse(root.dataset.i18n || '{}');
  const lang = document.documentElement.lang || 'en';
  const csrfMeta = document.querySelector('meta[name="csrf-token"]');
  const csrf = csrfMeta ? csrfMeta.content : '';
  const queuesBox = document.getElementById('queues');
  const agentsBox = document.getElementById('agents');
  const connection = document.getElementById('connection');
  const clock = document.getElementById('clock');
  const pauseError = document.getElementById('pause-error');
  // Server clock minus ours: waits tick from the server's time, not the wall screen's.
  let skew = 0;
  let snapshot = null;
  let retries = 0;

  function t(id) {
    return Object.prototype.hasOwnProperty.call(messages, id) ? messages[id] : id;
  }

  function digits(text) {
    if (lang !== 'fa') return String(text);
    return String(text).replace(/[0-9]/g, (d) => '۰۱۲۳۴۵۶۷۸۹'[Number(d)]);
  }

  function duration(ms) {
    if (typeof ms !== 'number' || !Number.isFinite(ms)) return '—';
    const seconds = Math.max(0, Math.floor(ms / 1000));
    const h = Math.floor(seconds / 3600);
    const m = Math.floor((seconds % 3600) / 60);
    const s = String(seconds % 60).padStart(2, '0');
    return digits(h > 0 ? h + ':' + String(m).padStart(2, '0') + ':' + s : m + ':' + s);
  }

  function percent(ratio) {
    if (typeof ratio !== 'number') return '—';
    return digits(Math.round(ratio * 100)) + (lang === 'fa' ? '٪' : '%');
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function now() {
    return Date.now() + skew;
  }

  function figure(list, label, value, className) {
    list.append(el('dt', '', label));
    list.append(el('dd', className || '', value));
  }

  function queueCard(queue, target) {
    const card = el('article', 'queue-card');
    card.dataset.queue = queue.name;
    if (queue.under_target) card.classList.add('under-target');
    const title = el('h2');
    title.append(el('span', '', queue.name));
    const longest = el('span', 'big longest');
    longest.dataset.since = queue.longest_waiting_since_ms ?? '';
    longest.title = t('wallboard-longest');
    title.append(longest);
    const count = el('span', 'waiting-count', digits(queue.waiting.length));
    count.title = t('wallboard-waiting');
    title.append(count);
    card.append(title);
    const today = queue.today;
    const period = el('p', 'muted period', t('wallboard-longest') + ' · ' + (snapshot.rolling_hours > 0
      ? t('wallboard-last-hours').replace('{hours}', digits(snapshot.rolling_hours))
      : t('wallboard-today')));
    card.append(period);
    const list = el('dl');
    figure(list, t('wallboard-offered'), digits(today.offered), 'offered');
    figure(list, t('wallboard-answered'), digits(today.answered), 'answered');
    figure(
      list,
      t('wallboard-abandoned'),
      digits(today.abandoned) + ' (' + digits(today.short_abandoned) + ' ' + t('wallboard-short') + ')',
      'abandoned',
    );
    figure(
      list,
      t('wallboard-service-level') + ' (' + digits(today.service_level_threshold_s) + 's, ' + t('wallboard-target') + ' ' + digits(target) + (lang === 'fa' ? '٪' : '%') + ')',
      percent(today.service_level),
      'sl' + (queue.under_target ? ' bad' : ''),
    );
    figure(list, t('wallboard-asa'), duration(today.asa_ms), 'asa');
    figure(list, t('wallboard-abandon-rate'), percent(today.abandon_rate), 'abandon-rate');
    const agents = queue.agents;
    figure(list, t('wallboard-agents'), digits(agents.available) + ' ' + t('wallboard-agents-free') + ' / ' + digits(agents.available + agents.busy + agents.wrap_up + agents.paused + agents.unavailable), 'agents');
    card.append(list);
    const waiting = el('ol', 'waiting');
    waiting.setAttribute('aria-label', t('wallboard-waiting'));
    if (queue.waiting.length === 0) {
      waiting.append(el('li', 'muted', t('wallboard-nobody-waiting')));
    }
    for (const caller of queue.waiting) {
      const item = el('li', 'caller');
      // A shared number names none of its contacts until somebody picks one.
      const shared = typeof caller.shared_by === 'number'
        ? t('wallboard-one-of').replace('{count}', digits(caller.shared_by))
        : '';
      const who = caller.contact_name || shared || caller.caller_name || '';
      item.append(el('span', 'position', digits(caller.position) + '.'));
      item.append(caller.withheld
        ? el('span', 'number withheld', t('wallboard-withheld'))
        : el('span', 'number', digits(caller.number || '—')));
      item.append(el('span', 'who', who));
      const wait = el('span', 'wait');
      wait.dataset.since = caller.joined_at_ms;
      item.append(wait);
      waiting.append(item);
    }
    card.append(waiting);
    return card;
  }

  function agentTile(agent) {
    const tile = el('li', 'agent-tile ' + agent.state);
    tile.dataset.extension = agent.extension;
    tile.dataset.state = agent.state;
    const name = el('span', 'name', agent.name);
    name.title = agent.queues.join(', ') + (agent.registered_from ? ' · ' + t('wallboard-registered-from') + ' ' + agent.registered_from : '');
    tile.append(name);
    tile.append(el('span', 'extension', digits(agent.extension)));
    const state = t('state-' + agent.state) + (agent.reason ? ' · ' + agent.reason : '');
    tile.append(el('span', 'state', state));
    // Paused with a wrap-up pending: the wrap-up beside the pause.
    if (agent.state !== 'wrap_up' && agent.wrap_up_since_ms) {
      tile.append(el('span', 'wrap-up', t('state-wrap_up')));
    }
    const time = el('span', 'time');
    time.dataset.since = agent.since_ms ?? '';
    tile.append(time);
    if (agent.pausable && agent.state !== 'unavailable') {
      const paused = agent.state === 'paused';
      const button = el('button', 'pause', t(paused ? 'wallboard-unpause' : 'wallboard-pause'));
      button.type = 'button';
      button.addEventListener('click', () => pause(agent.extension, !paused, button));
      tile.append(button);
    }
    return tile;
  }

  async function pause(extension, paused, button) {
    button.disabled = true;
    pauseError.hidden = true;
    try {
      const response = await fetch('/api/agents/' + encodeURIComponent(extension) + '/pause', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
        body: JSON.stringify({ paused }),
      });
      if (!response.ok) throw new Error('status ' + response.status);
    } catch (err) {
      pauseError.hidden = false;
      button.disabled = false;
    }
  }

  function draw() {
    if (!snapshot) return;
    document.getElementById('pbx-stale').hidden = snapshot.pbx_synced;
    const cards = snapshot.queues.map((q) => queueCard(q, snapshot.service_level_target_percent));
    if (cards.length === 0) cards.push(el('p', 'muted', t('wallboard-no-queues')));
    queuesBox.replaceChildren(...cards);
    agentsBox.replaceChildren(...snapshot.agents.map(agentTile));
    tick();
  }

  // Every second: the waits and times in state move on without a message.
  function tick() {
    const at = now();
    for (const node of root.querySelectorAll('[data-since]')) {
      const since = Number(node.dataset.since);
      node.textContent = node.dataset.since === '' ? '—' : duration(at - since);
      if (node.classList.contains('longest') && snapshot) {
        node.classList.toggle('alarm', node.dataset.since !== '' && at - since > snapshot.service_level_threshold_s * 1000);
      }
    }
    const date = new Date(at);
    clock.textContent = digits(
      String(date.getHours()).padStart(2, '0') + ':' + String(date.getMinutes()).padStart(2, '0') + ':' + String(date.getSeconds()).padStart(2, '0'),
    );
  }

  function online(on) {
    connection.classList.toggle('online', on);
    connection.classList.toggle('offline', !on);
    connection.textContent = t(on ? 'connection-online' : 'connection-offline');
  }

  function connect() {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const socket = new WebSocket(scheme + '//' + location.host + '/ws');
    socket.addEventListener('open', () => {
      retries = 0;
      socket.send(JSON.stringify({ type: 'subscribe', queues: true }));
    });
    socket.addEventListener('message', (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch (err) {
        return;
      }
      if (message.type === 'subscribed') {
        online(Boolean(message.queues));
      } else if (message.type === 'queue.snapshot') {
        skew = message.now_ms - Date.now();
        snapshot = message;
        draw();
      }
    });
    socket.addEventListener('close', () => {
      online(false);
      retries += 1;
      setTimeout(connect, Math.min(30000, 500 * 2 ** Math.min(retries, 6)));
    });
  }

  setInterval(tick, 1000);
  connect();
}
