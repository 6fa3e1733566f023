// The agent console's live part: opens the `/ws` socket (docs/websocket.md), shows each
// `call.ringing` as a card in #popups, follows answered/ended calls and the agent's own
// state, opens the wrap-up form when a call ends, and pauses/unpauses the agent.
//
// Everything that comes from the socket (caller-ID names and numbers come from the outside
// world) is written with textContent, never as HTML; links are only followed when they are
// paths on this site. The UI's words come from the server's message catalogue, handed over
// as JSON in #console's data-i18n attribute.

const root = document.getElementById('console');

if (root) {
  start(root);
}

function start(root) {
  const messages = JSON.parse(root.dataset.i18n || '{}');
  const lang = document.documentElement.lang || 'en';
  const myExtension = root.dataset.extension || '';
  const myUser = Number(root.dataset.user);
  const callbackList = document.getElementById('callbacks');
  const noCallbacks = document.getElementById('callbacks-none');
  const csrfMeta = document.querySelector('meta[name="csrf-token"]');
  const csrf = csrfMeta ? csrfMeta.content : '';
  const popups = document.getElementById('popups');
  const gapNotice = document.getElementById('popups-gap');
  const connection = document.getElementById('connection');
  const stateLabel = document.getElementById('agent-state');
  const pauseButton = document.getElementById('pause');
  const pauseError = document.getElementById('pause-error');
  const wrapupForm = document.getElementById('wrapup');
  const wrapupHeading = document.getElementById('wrapup-heading');
  const wrapupHint = document.getElementById('wrapup-hint');
  const wrapupContact = document.getElementById('wrapup-contact');
  // Calls from a number several contacts share: call id → those contacts, and the pick.
  const candidates = new Map();
  const picked = new Map();
  const SEQ_KEY = 'tamas.console.lastSeq';
  const MAX_CARDS = 6;
  const cards = new Map();
  const dateFormat = new Intl.DateTimeFormat(lang === 'fa' ? 'fa-IR-u-ca-persian' : 'en-GB', {
    dateStyle: 'medium',
    timeStyle: 'short',
  });
  let agentState = 'unknown';
  let retries = 0;

  function t(id) {
    return Object.prototype.hasOwnProperty.call(messages, id) ? messages[id] : id;
  }

  // The name of a stored value (`disposition-no_answer`), or the value itself.
  function tv(prefix, value) {
    const id = prefix + value;
    return Object.prototype.hasOwnProperty.call(messages, id) ? messages[id] : String(value);
  }

  function digits(text) {
    if (lang !== 'fa') return String(text);
    return String(text).replace(/[0-9]/g, (d) => '۰۱۲۳۴۵۶۷۸۹'[Number(d)]);
  }

  function duration(ms) {
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) return '—';
    const seconds = Math.floor(ms / 1000);
    const text = Math.floor(seconds / 60) + ':' + String(seconds % 60).padStart(2, '0');
    return digits(text);
  }

  function when(ms) {
    return typeof ms === 'number' ? dateFormat.format(new Date(ms)) : '';
  }

  // A path on this site, or null: a socket message must never send the agent elsewhere.
  function localPath(url) {
    return typeof url === 'string' && url.startsWith('/') && !url.startsWith('//') &&
      !url.startsWith('/\\') ? url : null;
  }

  function text(value) {
    return value === null || value === undefined ? '' : String(value);
  }

  function el(tag, className, content) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (content !== undefined && content !== null && content !== '') node.textContent = String(content);
    return node;
  }

  function link(url, label) {
    const path = localPath(url);
    if (!path) return el('span', '', label);
    const a = el('a', '', label);
    a.href = path;
    return a;
  }

  function lastSeq() {
    const stored = sessionStorage.getItem(SEQ_KEY);
    const value = stored === null ? NaN : Number(stored);
    return Number.isInteger(value) && value >= 0 ? value : null;
  }

  function setLastSeq(seq) {
    sessionStorage.setItem(SEQ_KEY, String(seq));
  }

  function setConnection(online) {
    connection.textContent = online ? t('connection-online') : t('connection-offline');
    connection.classList.toggle('online', online);
    connection.classList.toggle('offline', !online);
  }

  function setAgentState(state) {
    agentState = state;
    stateLabel.dataset.state = state;
    stateLabel.textContent = tv('state-', state);
    const pausable = state === 'available' || state === 'paused';
    pauseButton.hidden = !pausable;
    pauseButton.textContent = state === 'paused' ? t('console-unpause') : t('console-pause');
  }

  function clearEmptyNote() {
    const note = popups.querySelector('p.muted');
    if (note) note.remove();
  }

  function owner(value) {
    if (value === null || value === undefined) return '';
    if (typeof value === 'object') return text(value.display_name || value.name || value.username);
    return text(value);
  }

  function contactBlock(contact) {
    const block = el('section', 'match');
    const title = el('h3');
    title.append(link(contact.url || ('/contacts/' + Number(contact.id)), contact.name));
    block.append(title);
    const facts = [];
    if (contact.organisation) facts.push(text(contact.organisation));
    if (contact.stage) facts.push(tv('stage-', contact.stage));
    if (Array.isArray(contact.tags) && contact.tags.length) facts.push(contact.tags.map(text).join(', '));
    const who = owner(contact.owner);
    if (who) facts.push(t('popup-owner') + ': ' + who);
    if (facts.length) block.append(el('p', 'muted', facts.join(' · ')));

    block.append(el('h4', '', t('popup-last-calls')));
    const calls = Array.isArray(contact.last_calls) ? contact.last_calls : [];
    if (calls.length === 0) {
      block.append(el('p', 'muted', t('popup-no-history')));
    } else {
      const list = el('ul', 'history');
      for (const call of calls.slice(0, 5)) {
        const parts = [when(call.started_at_ms), tv('direction-', text(call.direction)),
          tv('disposition-', text(call.disposition)), duration(call.talk_ms)];
        if (call.agent_extension) parts.push(digits(text(call.agent_extension)));
        if (call.wrapup_outcome) parts.push(text(call.wrapup_outcome));
        list.append(el('li', '', parts.filter(Boolean).join(' · ')));
      }
      block.append(list);
    }

    const tasks = Array.isArray(contact.open_tasks) ? contact.open_tasks : [];
    if (tasks.length) {
      block.append(el('h4', '', t('popup-open-tasks')));
      const list = el('ul', 'tasks');
      for (const task of tasks) {
        const due = typeof task.due_at_ms === 'number' ? ' · ' + when(task.due_at_ms) : '';
        list.append(el('li', '', text(task.title) + due));
      }
      block.append(list);
    }
    return block;
  }

  function ringingCard(msg) {
    const card = el('article', 'popup ringing');
    card.dataset.call = text(msg.call_id);
    const head = el('header');
    const badge = el('span', 'badge', msg.direction === 'outbound' ? t('popup-outbound') : t('popup-ringing'));
    const number = msg.withheld
      ? el('span', 'number withheld', t('popup-withheld'))
      : el('bdi', 'number', msg.number || msg.number_e164 || t('popup-unknown'));
    number.dir = 'ltr';
    head.append(badge, ' ', number);
    if (msg.number_e164 && msg.number_e164 !== msg.number) {
      const e164 = el('bdi', 'muted', msg.number_e164);
      e164.dir = 'ltr';
      head.append(' ', e164);
    }
    if (msg.caller_name) head.append(' ', el('bdi', 'caller-name', msg.caller_name));
    card.append(head);

    const facts = [];
    if (msg.queue) facts.push(t('popup-queue') + ': ' + text(msg.queue));
    if (typeof msg.waited_ms === 'number') facts.push(t('popup-waited') + ': ' + duration(msg.waited_ms));
    if (facts.length) card.append(el('p', 'muted', facts.join(' · ')));

    // The CRM did not answer in time (the database may be down): the call rings all the
    // same, without its contact card.
    if (msg.lookup_failed) card.append(el('p', 'lookup-failed', t('popup-lookup-unavailable')));
    const contacts = Array.isArray(msg.contacts) ? msg.contacts : [];
    if (contacts.length === 0) {
      // Internal calls have no customer to create.
      if (localPath(msg.create_contact_url)) {
        const create = link(msg.create_contact_url, t('popup-create'));
        create.classList.add('button');
        card.append(create);
      }
    } else {
      if (contacts.length > 1) {
        card.append(el('p', '', t('popup-pick')));
        candidates.set(text(msg.call_id), contacts);
      }
      for (const contact of contacts) {
        const block = contactBlock(contact);
        if (contacts.length > 1) block.append(pickButton(text(msg.call_id), contact, block));
        card.append(block);
      }
    }
    return card;
  }

  // Several contacts have the number: the call is linked to none until the agent says
  // whose it was (during the call the pick is kept and applied when the call is logged).
  // The wrap-up form offers the same choice.
  function pickButton(callId, contact, block) {
    const button = el('button', 'pick', t('popup-pick-this'));
    button.type = 'button';
    const status = el('span', 'muted');
    button.addEventListener('click', async () => {
      button.disabled = true;
      try {
        const response = await fetch('/api/calls/contact', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
          body: JSON.stringify({ call: callId, contact: Number(contact.id) }),
        });
        if (!response.ok) throw new Error(String(response.status));
        status.textContent = ' ' + t('popup-picked');
        picked.set(callId, Number(contact.id));
        block.classList.add('picked');
      } catch (err) {
        status.textContent = ' ' + t('popup-pick-failed');
        button.disabled = false;
      }
    });
    const wrap = el('p', 'pick-line');
    wrap.append(button, status);
    return wrap;
  }

  function placeCard(callId, card) {
    clearEmptyNote();
    const existing = cards.get(callId);
    if (existing) {
      existing.replaceWith(card);
    } else {
      popups.prepend(card);
    }
    cards.set(callId, card);
    while (cards.size > MAX_CARDS) {
      const oldest = cards.keys().next().value;
      cards.get(oldest).remove();
      cards.delete(oldest);
    }
  }

  function markCard(callId, state, label) {
    const card = cards.get(callId);
    if (!card) return;
    card.classList.remove('ringing', 'answered', 'ended');
    card.classList.add(state);
    const badge = card.querySelector('.badge');
    if (badge) badge.textContent = label;
  }

  function openWrapup(callId) {
    if (!wrapupForm) return;
    wrapupForm.elements.call.value = callId;
    const card = cards.get(callId);
    const number = card ? card.querySelector('.number') : null;
    wrapupHeading.textContent = t('wrapup-title') + (number ? ': ' + number.textContent : '');
    fillContactPicker(callId);
    wrapupForm.hidden = false;
    if (wrapupHint) wrapupHint.hidden = true;
    wrapupForm.elements.outcome.focus();
  }

  // The wrap-up form asks whose call it was when several contacts have its number.
  function fillContactPicker(callId) {
    if (!wrapupContact) return;
    const select = wrapupContact.querySelector('select');
    const contacts = candidates.get(callId) || [];
    while (select.options.length > 1) select.remove(1);
    select.selectedIndex = 0;
    for (const contact of contacts) {
      const option = document.createElement('option');
      option.value = String(Number(contact.id));
      option.textContent = text(contact.name);
      option.selected = picked.get(callId) === Number(contact.id);
      select.append(option);
    }
    wrapupContact.hidden = contacts.length < 2;
  }

  function failedCard(msg) {
    const card = el('article', 'popup failed');
    const reason = tv('reason-', text(msg.reason));
    card.append(el('p', 'error', t('popup-call-failed') + ': ' + reason));
    return card;
  }

  // A callback assigned to this agent (an `alert` of kind abandoned_callback naming them)
  // joins the list; one resolved or given to somebody else leaves it.
  function showCallback(msg) {
    if (!callbackList || msg.kind !== 'abandoned_callback' || typeof msg.task_id !== 'number') return;
    const existing = callbackList.querySelector('li[data-task="' + msg.task_id + '"]');
    const mine = msg.state !== 'resolved' && msg.assignee_id === myUser;
    if (!mine) {
      if (existing) existing.remove();
    } else if (!existing) {
      const item = document.createElement('li');
      item.dataset.task = String(msg.task_id);
      const subject = document.createElement('bdi');
      subject.textContent = text(msg.subject);
      if (typeof msg.contact_id === 'number') {
        const link = document.createElement('a');
        link.href = '/contacts/' + msg.contact_id;
        link.appendChild(subject);
        item.appendChild(link);
      } else {
        item.appendChild(subject);
      }
      const queue = document.createElement('span');
      queue.className = 'muted';
      queue.textContent = ' ' + t('callbacks-queue') + ' ' + text(msg.queue) + ' ';
      const form = document.createElement('form');
      form.method = 'post';
      form.action = '/tasks/' + msg.task_id + '/done';
      form.className = 'inline';
      const token = document.createElement('input');
      token.type = 'hidden';
      token.name = 'csrf';
      token.value = csrf;
      const done = document.createElement('button');
      done.type = 'submit';
      done.className = 'link';
      done.textContent = t('callbacks-done');
      form.append(token, done);
      item.append(queue, form);
      callbackList.appendChild(item);
    }
    if (noCallbacks) noCallbacks.hidden = callbackList.children.length > 0;
  }

  function handle(msg) {
    switch (msg.type) {
      case 'call.ringing':
        placeCard(text(msg.call_id), ringingCard(msg));
        break;
      case 'call.answered':
        markCard(text(msg.call_id), 'answered', t('popup-answered'));
        break;
      case 'call.ended':
        markCard(text(msg.call_id), 'ended', t('popup-ended'));
        if (msg.wrapup === true) openWrapup(text(msg.call_id));
        break;
      case 'call.failed':
        placeCard('failed:' + text(msg.click_id), failedCard(msg));
        break;
      case 'agent.state':
        if (text(msg.extension) === myExtension) setAgentState(text(msg.state));
        break;
      case 'alert':
        showCallback(msg);
        break;
      default:
        break;
    }
  }

  function onMessage(socket, event) {
    let msg;
    try {
      msg = JSON.parse(event.data);
    } catch {
      return;
    }
    if (!msg || typeof msg.type !== 'string') return;
    if (msg.type === 'hello') {
      const seen = lastSeq();
      const current = typeof msg.seq === 'number' ? msg.seq : 0;
      if (seen !== null && seen < current) {
        socket.send(JSON.stringify({ type: 'resume', last_seq: seen }));
      } else {
        // First connection of this tab, or the server forgot (restart): start from now.
        setLastSeq(current);
      }
      return;
    }
    if (msg.type === 'resumed') {
      if (msg.complete === false) gapNotice.hidden = false;
      return;
    }
    if (msg.type === 'error' || msg.type === 'pong') return;
    if (typeof msg.seq === 'number') {
      const seen = lastSeq();
      if (seen !== null && msg.seq <= seen) return;
      setLastSeq(msg.seq);
    }
    handle(msg);
  }

  function connect() {
    const scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
    const socket = new WebSocket(scheme + location.host + '/ws');
    socket.addEventListener('open', () => {
      retries = 0;
      setConnection(true);
    });
    socket.addEventListener('message', (event) => onMessage(socket, event));
    socket.addEventListener('close', () => {
      setConnection(false);
      // Capped exponential backoff with jitter, so a restarted server is not stormed.
      const delay = Math.min(30000, 1000 * 2 ** Math.min(retries, 5)) * (0.5 + Math.random() / 2);
      retries += 1;
      setTimeout(connect, delay);
    });
  }

  pauseButton.addEventListener('click', async () => {
    pauseError.hidden = true;
    pauseButton.disabled = true;
    try {
      const response = await fetch('/api/agent/pause', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
        body: JSON.stringify({ paused: agentState !== 'paused' }),
      });
      if (!response.ok) pauseError.hidden = false;
    } catch {
      pauseError.hidden = false;
    } finally {
      pauseButton.disabled = false;
    }
  });

  setAgentState(stateLabel.dataset.state || 'unknown');
  connect();
}
