// The alerts page's live part: opens the `/ws` socket (docs/websocket.md) and puts each
// `alert` message in the table — a new alert on top, a changed one in place (a resolved
// one leaves the "open" list). Everything from the server is set with textContent, never
// parsed as HTML: subjects are caller names and numbers, i.e. anybody's text. The words
// come from the page (#alerts data-i18n); forms carry the session's CSRF token.

const root = document.getElementById('alerts');
if (root) {
  const messages = JSON.parse(root.dataset.i18n || '{}');
  const showAll = root.dataset.show === 'all';
  const body = document.getElementById('alerts-body');
  const empty = document.getElementById('alerts-empty');
  const live = document.getElementById('alerts-connection');
  const csrfMeta = document.querySelector('meta[name="csrf-token"]');
  const csrf = csrfMeta ? csrfMeta.content : '';
  let retries = 0;

  const word = (id) => messages[id] || id;

  function cell(text) {
    const td = document.createElement('td');
    const bdi = document.createElement('bdi');
    bdi.textContent = text == null ? '' : String(text);
    td.appendChild(bdi);
    return td;
  }

  function form(id, action, label) {
    const f = document.createElement('form');
    f.method = 'post';
    f.action = '/alerts/' + encodeURIComponent(String(id)) + '/' + action;
    f.className = 'inline';
    const token = document.createElement('input');
    token.type = 'hidden';
    token.name = 'csrf';
    token.value = csrf;
    const button = document.createElement('button');
    button.type = 'submit';
    button.textContent = label;
    f.append(token, button);
    return f;
  }

  function row(alert) {
    const tr = document.createElement('tr');
    tr.dataset.id = String(alert.id);
    tr.className = 'alert-' + String(alert.state) + ' alert-new';
    const subject = cell(alert.subject);
    if (typeof alert.contact_id === 'number') {
      const link = document.createElement('a');
      link.href = '/contacts/' + alert.contact_id;
      link.appendChild(subject.firstChild);
      subject.appendChild(link);
    }
    const state = cell(word('state.' + alert.state));
    state.className = 'state';
    const actions = document.createElement('td');
    actions.className = 'actions';
    if (alert.state === 'open') actions.appendChild(form(alert.id, 'acknowledge', word('alerts-acknowledge')));
    if (alert.state !== 'resolved') actions.appendChild(form(alert.id, 'resolve', word('alerts-resolve')));
    tr.append(
      cell(word('kind.' + alert.kind)),
      subject,
      cell(alert.queue),
      cell(''),
      state,
      cell(word('alerts-just-now')),
      cell(alert.assignee),
      actions,
    );
    return tr;
  }

  function show(alert) {
    if (!alert || typeof alert.id !== 'number') return;
    const existing = body.querySelector('tr[data-id="' + alert.id + '"]');
    if (alert.state === 'resolved' && !showAll) {
      if (existing) existing.remove();
    } else if (existing) {
      const updated = row(alert);
      // Keep the server's words for the facts and the age of a row it rendered.
      updated.children[3].replaceWith(existing.children[3].cloneNode(true));
      updated.children[5].replaceWith(existing.children[5].cloneNode(true));
      existing.replaceWith(updated);
    } else {
      body.insertBefore(row(alert), body.firstChild);
    }
    empty.hidden = body.children.length > 0;
  }

  function connect() {
    const scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
    const socket = new WebSocket(scheme + location.host + '/ws');
    socket.addEventListener('open', () => {
      retries = 0;
      live.hidden = false;
    });
    socket.addEventListener('message', (event) => {
      let msg;
      try {
        msg = JSON.parse(event.data);
      } catch {
        return;
      }
      if (msg.type === 'alert') show(msg);
    });
    socket.addEventListener('close', () => {
      live.hidden = true;
      const delay = Math.min(30000, 1000 * 2 ** Math.min(retries, 5)) * (0.5 + Math.random() / 2);
      retries += 1;
      setTimeout(connect, delay);
    });
  }

  connect();
}
