// The "Check gradients" panel: for every input, backprop's gradient beside a central
// difference, from GET /api/graphs/<id>/check. Every number is the server's *_text
// string; the browser only lays them out. While open, the check runs again after an edit.
import { el } from './dom.js';
import { onLanguageChange, t } from './i18n.js';
import { refusalText } from './refusal.js';

const MARKS = { pass: '✓', fail: '✗', 'not differentiable': '⚠', 'not checkable': '?' };
const COLUMNS = ['input', 'value', 'backprop', 'numeric', 'rel_error', 'result'];
const WATCH_MS = 400;   // how often an open panel looks for a new graph version

export class CheckPanel {
  constructor(panel, { button, model, graphId }) {
    Object.assign(this, { panel, button, model, graphId });
    this.rows = null;       // the last answer
    this.error = null;      // or the reason there is none
    this.running = false;
    this.checkedVersion = null;
    this.request = 0;
    this.watch = null;
    this.build();
    button.addEventListener('click', () => this.run());
    panel.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') { e.stopPropagation(); this.close(); button.focus(); }
    });
    onLanguageChange(() => this.render());
  }

  build() {
    const head = el('header', { class: 'check-head' });
    this.heading = el('h2', { id: 'check-heading' });
    this.rerun = el('button', { class: 'check-rerun', type: 'button', testid: 'check-rerun' });
    this.rerun.addEventListener('click', () => this.run());
    this.closeBtn = el('button', { class: 'check-close', type: 'button', testid: 'check-close' }, '×');
    this.closeBtn.addEventListener('click', () => { this.close(); this.button.focus(); });
    head.append(this.heading, this.rerun, this.closeBtn);
    this.intro = el('p', { class: 'check-intro' });
    this.summary = el('p', { class: 'check-summary', testid: 'check-summary', 'aria-live': 'polite' });
    this.table = el('table', { class: 'check-table' });
    this.thead = el('thead');
    this.tbody = el('tbody');
    this.table.append(this.thead, this.tbody);
    this.panel.append(head, this.intro, this.summary, this.table);
  }

  get isOpen() { return !this.panel.hidden; }

  open() {
    this.panel.hidden = false;
    this.button.setAttribute('aria-expanded', 'true');
    clearInterval(this.watch);
    this.watch = setInterval(() => {
      if (!this.running && this.checkedVersion !== null && this.model.version !== this.checkedVersion) this.run();
    }, WATCH_MS);
  }

  close() {
    this.panel.hidden = true;
    this.button.setAttribute('aria-expanded', 'false');
    clearInterval(this.watch);
    this.watch = null;
  }

  /** Open the panel and (re)run the check; a newer request wins over an older one. */
  async run() {
    this.open();
    const mine = ++this.request;
    const version = this.model.version;
    this.running = true;
    this.render();
    let rows = null, error = null;
    try {
      const res = await fetch(`/api/graphs/${encodeURIComponent(this.graphId())}/check`, { headers: { Accept: 'application/json' } });
      const reply = await res.json().catch(() => null);
      if (res.ok && Array.isArray(reply)) rows = reply;
      else error = refusalText(reply, t('server.answered', { status: `${res.status} ${res.statusText}`.trim() }));
    } catch (err) {
      error = err.message || String(err);
    }
    if (mine !== this.request) return;
    Object.assign(this, { rows, error, running: false, checkedVersion: version });
    this.render();
  }

  render() {
    this.heading.textContent = t('check.heading');
    this.rerun.textContent = t('check.rerun');
    this.rerun.title = t('check.rerun.title');
    this.rerun.disabled = this.running;
    this.closeBtn.setAttribute('aria-label', t('check.close'));
    this.closeBtn.title = t('check.close');
    this.intro.textContent = t('check.intro');
    const tr = el('tr');
    tr.append(...COLUMNS.map((c) => el('th', { class: `col-${c}` }, t(`check.${c}`))));
    this.thead.replaceChildren(tr);

    this.panel.setAttribute('aria-busy', String(this.running));
    this.summary.className = 'check-summary';
    if (this.running && !this.rows) {
      this.summary.textContent = t('check.running');
    } else if (this.error) {
      this.summary.textContent = t('check.failed', { error: this.error });
      this.summary.classList.add('error');
    } else if (this.rows && !this.rows.length) {
      this.summary.textContent = t('check.none');
    } else if (this.rows) {
      const pass = this.rows.filter((r) => r.status === 'pass').length;
      this.summary.textContent = t('check.summary', { pass, total: this.rows.length });
      this.summary.classList.add(pass === this.rows.length ? 'all-pass' : 'some-fail');
    }
    this.table.hidden = !(this.rows && this.rows.length) || Boolean(this.error);
    this.tbody.replaceChildren(...(this.error ? [] : this.rows || []).map((r) => this.row(r)));
  }

  row(r) {
    const tr = el('tr');
    tr.dataset.testid = 'check-row';
    tr.dataset.node = r.node;
    tr.dataset.status = r.status;
    const node = this.model.nodes.get(r.node);
    const name = el('td', { class: 'col-input' }, (node && node.label) || r.node);
    const cells = [r.value_text, r.backprop_text, r.numeric_text, r.rel_error_text].map((text, i) => {
      const td = el('td', { class: `num col-${COLUMNS[i + 1]}` }, text);
      return td;
    });
    const result = el('td', { class: `col-result status-${r.status.replace(/\s+/g, '-')}` });
    result.append(el('span', { class: 'mark' }, MARKS[r.status] || '?'), ' ', el('span', { class: 'status-text' }, t(`check.status.${r.status}`)));
    if (r.note) result.append(el('span', { class: 'note' }, r.note));
    tr.append(name, ...cells, result);
    return tr;
  }
}
