// The small DOM helpers every panel uses.

/**
 * A new element: el('button', {class: 'x', testid: 'undo', i18n: 'collab.undo', type: 'button'}, ...children).
 * `class`, `testid`, `i18n`, `i18nTitle` and `dataset` ({...}) are shorthands; `hidden`,
 * `disabled`, `checked`, `value` and `readonly` set the property; null/undefined/false skip
 * an attribute; anything else is an attribute. Children are nodes or strings.
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'testid') node.dataset.testid = v;
    else if (k === 'i18n') node.dataset.i18n = v;
    else if (k === 'i18nTitle') node.dataset.i18nTitle = v;
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k === 'value' || k === 'checked' || k === 'hidden' || k === 'disabled') node[k] = v;
    else node.setAttribute(k, v === true ? '' : v);
  }
  node.append(...children.filter((c) => c != null && c !== false));
  return node;
}

/** The element with `data-testid="id"` under `root`. */
export const byTestId = (id, root = document) => root.querySelector(`[data-testid="${id}"]`);

/** True when keys typed go into `target` (a text field, a select, contenteditable). */
export const isTyping = (target) => !!target
  && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));
