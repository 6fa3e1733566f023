// Click-to-call on the contact page: each number's "call" button asks Tamas to call it
// from the signed-in agent's own phone (POST /api/calls; the agent's phone rings first).
// The result is written as text next to the button; the call itself then shows on the
// agent console like any other.

const section = document.getElementById('numbers');
const csrfMeta = document.querySelector('meta[name="csrf-token"]');
const csrf = csrfMeta ? csrfMeta.content : '';

if (section) {
  for (const button of section.querySelectorAll('button.call')) {
    button.addEventListener('click', () => call(button));
  }
}

async function call(button) {
  const status = button.parentElement.querySelector('.call-status');
  const phoneId = Number(button.dataset.phone);
  const contactId = Number(section.dataset.contact);
  if (!Number.isInteger(phoneId) || !Number.isInteger(contactId)) return;
  button.disabled = true;
  status.textContent = section.dataset.calling;
  try {
    const response = await fetch('/api/calls', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
      body: JSON.stringify({ contact_id: contactId, phone_id: phoneId }),
    });
    if (!response.ok) {
      let reason = String(response.status);
      try {
        const body = await response.json();
        if (body && typeof body.message === 'string') reason = body.message;
      } catch {
        // Not JSON: the status code says enough.
      }
      status.textContent = section.dataset.failed + ': ' + reason;
    }
  } catch {
    status.textContent = section.dataset.failed;
  } finally {
    button.disabled = false;
  }
}
