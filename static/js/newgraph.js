// A new graph made by the server, then opened: the formula box, the examples and
// "New empty graph" all end this way.
import { t } from './i18n.js';
import { refusalText } from './refusal.js';

/**
 * POST to `url` (with JSON `body` if given). On 201 {id}, go to /g/<id> (with `query`,
 * e.g. {labels: 'symbols'}, for the page to read once); otherwise throw an Error whose
 * message is the server's {"error"}, kept as the server wrote it.
 */
export async function createAndOpen(url, body, query = {}) {
  const init = { method: 'POST', headers: { Accept: 'application/json' } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(url, init);
  const reply = await res.json().catch(() => null);
  if (res.status === 201 && reply && reply.id) {
    const search = new URLSearchParams(query).toString();
    window.location.assign(`/g/${encodeURIComponent(reply.id)}${search ? `?${search}` : ''}`);
    return reply.id;
  }
  const err = new Error(refusalText(reply, t('server.answered', { status: `${res.status} ${res.statusText}`.trim() })));
  err.reply = reply;  // its reason and params (a formula's line and column)
  throw err;
}
