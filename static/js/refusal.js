// A server refusal in the UI's language. The server sends {error, code, reason, params}
// (docs/protocol.md, "Refusal reasons"): `reason` names what was refused and `params` its
// particulars; `error` is the English text, shown in English (it is the fullest: a batch's
// "ops[2]: ", a spelling hint) and wherever this page has no words for the reason.
// A refusal caused by another carries it as params.because, said the same way.
import { has, language, t } from './i18n.js';

/** The text to show for a refused reply (an ack or an HTTP JSON error body), or `fallback`. */
export function refusalText(reply, fallback = '') {
  if (!reply) return fallback;
  const key = `refusal.${reply.reason}`;
  if (!reply.reason || !has(key) || (language() === 'en' && reply.error)) return reply.error || fallback;
  const params = { ...(reply.params || {}) };
  const number = new Intl.NumberFormat(language());
  for (const [k, v] of Object.entries(params)) {
    if (typeof v === 'number' && k !== 'line' && k !== 'column') params[k] = number.format(v);  // 5,000
    else if (v && typeof v === 'object') params[k] = refusalText(v);  // `because`: the refusal behind it
  }
  return t(key, params);
}

/** The refusal of a failed fetch: its JSON body said in the UI's language, else the status. */
export async function responseRefusal(res) {
  const body = await res.json().catch(() => null);
  return refusalText(body, t('server.answered', { status: `${res.status} ${res.statusText}`.trim() }));
}
