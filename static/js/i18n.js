// The current UI language and t(): strings live in lang/<code>.js, one module a language.
// The language is ?lang= when given (and then remembered), else the one chosen in the
// header before, else the browser's first language we have. Math (values, gradients,
// rules) is the server's and is the same in every language.
import en from './lang/en.js';
import ko from './lang/ko.js';
import ja from './lang/ja.js';
import { Store } from './store.js';

const STORAGE_KEY = 'gradcanvas.lang';
export const LANGUAGES = { en: 'English', ko: '한국어', ja: '日本語' };
const CATALOGUE = { en, ko, ja };

function initial() {
  const forced = new URLSearchParams(window.location.search).get('lang');
  if (forced in CATALOGUE) {
    try { localStorage.setItem(STORAGE_KEY, forced); } catch { /* not remembered */ }
    return forced;
  }
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved in CATALOGUE) return saved;
  } catch { /* storage may be disabled */ }
  for (const tag of navigator.languages || [navigator.language || 'en']) {
    const code = tag.toLowerCase().split('-')[0];
    if (code in CATALOGUE) return code;
  }
  return 'en';
}

let current = initial();
const changes = new Store();  // notifies ('language', lang)

export function language() { return current; }

/** The string for `key` in the current language (English if missing), with {vars} filled in. */
export function t(key, vars) {
  let text = CATALOGUE[current][key] ?? CATALOGUE.en[key];
  if (text == null) { console.warn(`i18n: no string for '${key}'`); text = key; }
  if (vars) text = text.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
  return text;
}

/** Whether `key` has a string (in this language or English): a server refusal's reason may be new to us. */
export function has(key) { return CATALOGUE[current][key] != null || CATALOGUE.en[key] != null; }

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
  changes.notify('language', lang);
}

/** Call `fn(lang)` after every language change (to redraw canvas text, rebuild panels). */
export function onLanguageChange(fn) { return changes.subscribe((kind, lang) => fn(lang)); }
