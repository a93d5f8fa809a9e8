// Names the server sends in English (op titles, example titles, parameter names), shown
// in the current language: the catalogue's translation when it has one, else the server's.
import { language, t } from './i18n.js';

export function localName(key, english) {
  if (language() === 'en') return english;
  const text = t(key);
  return text === key ? english : text;
}

/** An example's title from GET /api/examples ({title, title_ko, title_ja}): the server keeps them. */
export function exampleTitle(ex) {
  return ex[`title_${language()}`] || ex.title;
}
