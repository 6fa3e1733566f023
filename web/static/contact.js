// Click-to-call on the contact page: each number's "call" button asks Tamas to call it
// from the signed-in agent's own phone (POST /api/calls; the agent's phone rings first).
// The page follows the request on /ws (docs/websocket.md) by its click id and writes the
// progress as text next to the button: ringing, answered, ended, or failed with the reason.

const section = document.getElementById('numbers');
const csrfMeta = document.querySelector('meta[name="csrf-token"]');
const csrf = csrfMeta ? csrfMeta.content : '';

// Status elements by click id, and by call id once the call has started.
const byClick = new Map();
const byCall = new Map();

if (section && section.querySelector('button.call')) {
  for (const button of section.querySelectorAll('button.call')) {
    button.addEventListener('click', () => call(button));
  }
  follow();
}

function label(name) {
  return section.dataset[name] || '';
}

function reason(code) {
  const known = ['agent_no_answer', 'busy', 'pbx_unreachable', 'failed'];
  const key = known.includes(code) ? code : 'failed';
  // data-reason-agent_no_answer → dataset['reasonAgent_no_answer']
  return section.dataset['reason' + key.charAt(0).toUpperCase() + key.slice(1)] || key;
}

function onMessage(event) {
  let msg;
  try {
    msg = JSON.parse(event.data);
  } catch {
    return;
  }
  if (!msg || typeof msg !== 'object') return;
  const click = typeof msg.click_id === 'string' ? msg.click_id : null;
  const callId = typeof msg.call_id === 'string' ? msg.call_id : null;
  switch (msg.type) {
    case 'call.ringing': {
      const status = click ? byClick.get(click) : null;
      if (status && callId) {
        byCall.set(callId, status);
        status.textContent = label('ringing');
      }
      break;
    }
    case 'call.answered': {
      const status = callId ? byCall.get(callId) : null;
      if (status) status.textContent = label('answered');
      break;
    }
    case 'call.ended': {
      const status = callId ? byCall.get(callId) : null;
      if (status) status.textContent = label('ended');
      break;
    }
    case 'call.failed': {
      const status = click ? byClick.get(click) : null;
      if (status) status.textContent = label('failed') + ': ' + reason(msg.reason);
      break;
    }
    default:
      break;
  }
}

function follow() {
  let retries = 0;
  const connect = () => {
    const scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
    const socket = new WebSocket(scheme + location.host + '/ws');
    socket.addEventListener('open', () => { retries = 0; });
    socket.addEventListener('message', onMessage);
    socket.addEventListener('close', () => {
      const delay = Math.min(30000, 1000 * 2 ** Math.min(retries, 5)) * (0.5 + Math.random() / 2);
      retries += 1;
      setTimeout(connect, delay);
    });
  };
  connect();
}

async function call(button) {
  const status = button.parentElement.querySelector('.call-status');
  const phoneId = Number(button.dataset.phone);
  const contactId = Number(section.dataset.contact);
  if (!Number.isInteger(phoneId) || !Number.isInteger(contactId)) return;
  button.disabled = true;
  status.textContent = label('calling');
  try {
    const response = await fetch('/api/calls', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
      body: JSON.stringify({ contact_id: contactId, phone_id: phoneId }),
    });
    if (response.ok) {
      const body = await response.json();
      if (body && typeof body.click_id === 'string') byClick.set(body.click_id, status);
    } else {
      let why = String(response.status);
      try {
        const body = await response.json();
        if (body && typeof body.message === 'string') why = body.message;
      } catch {
        // Not JSON: the status code says enough.
      }
      status.textContent = label('failed') + ': ' + why;
    }
  } catch {
    status.textContent = label('failed');
  } finally {
    button.disabled = false;
  }
}
