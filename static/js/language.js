// The header's language switch (English / 한국어 / 日本語). It sets <html lang> and translates the
// page's static text; modules that set text from JS listen with onLanguageChange.
import { LANGUAGES, language, onLanguageChange, setLanguage, translate } from './i18n.js';

export function languageSwitch(select) {
  select.replaceChildren(...Object.entries(LANGUAGES).map(([code, name]) => {
    const option = new Option(name, code);
    option.lang = code;
    return option;
  }));
  select.value = language();
  select.addEventListener('change', () => setLanguage(select.value));
  onLanguageChange((lang) => { select.value = lang; });
  document.documentElement.lang = language();
  translate();
}
