// The page for a refusal (templates/message.html), said in the reader's language: its title
// by key, its text by the refusal's reason and params (refusal.js), else left in English.
import { has, language, t } from './i18n.js';
import { refusalText } from './refusal.js';

document.documentElement.lang = language();
for (const el of document.querySelectorAll('[data-i18n]')) {
  if (has(el.dataset.i18n)) el.textContent = t(el.dataset.i18n);
}
const main = document.querySelector('[data-testid="message"]');
let refusal = null;
try { refusal = JSON.parse(main.dataset.refusal || 'null'); } catch { /* shown as the server wrote it */ }
if (refusal) document.querySelector('[data-testid="message-text"]').textContent = refusalText(refusal, refusal.error);
document.title = `${document.querySelector('h1').textContent} · gradcanvas`;
