// Every UI string, in English and Korean (ko), and the current language.
// The default is the browser's language; the header switch changes it and
// remembers the choice. Math (values, gradients, rules) is the server's and
// is the same in every language.

const STORAGE_KEY = 'gradcanvas.lang';
export const LANGUAGES = { en: 'English', ko: '한국어' };

// Keys are grouped by the module that uses them. `{name}` is filled in by t().
const CATALOGUE = {
  en: {
    // -- header, toolbar, files, palette, editors, formula, gallery, check (chrome) --

    // -- explanation, learning panel, canvas (learn) --
  },
  ko: {
    // -- header, toolbar, files, palette, editors, formula, gallery, check (chrome) --

    // -- explanation, learning panel, canvas (learn) --
  },
};

function initial() {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved in CATALOGUE) return saved;
  } catch { /* storage may be disabled */ }
  return (navigator.language || 'en').toLowerCase().startsWith('ko') ? 'ko' : 'en';
}

let current = initial();
const listeners = new Set();

export function language() { return current; }

/** The string for `key` in the current language (English if missing), with {vars} filled in. */
export function t(key, vars) {
  let text = CATALOGUE[current][key] ?? CATALOGUE.en[key];
  if (text == null) { console.warn(`i18n: no string for '${key}'`); text = key; }
  if (vars) text = text.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
  return text;
}

/** Fill [data-i18n] (text), [data-i18n-title] and [data-i18n-placeholder] under `root`. */
export function translate(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle);
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of root.querySelectorAll('[data-i18n-label]')) el.setAttribute('aria-label', t(el.dataset.i18nLabel));
}

export function setLanguage(lang) {
  if (!(lang in CATALOGUE) || lang === current) return;
  current = lang;
  try { localStorage.setItem(STORAGE_KEY, lang); } catch { /* not remembered */ }
  document.documentElement.lang = lang;
  translate();
  for (const fn of listeners) fn(lang);
}

/** Call `fn(lang)` after every language change (to redraw canvas text, rebuild panels). */
export function onLanguageChange(fn) { listeners.add(fn); return () => listeners.delete(fn); }
