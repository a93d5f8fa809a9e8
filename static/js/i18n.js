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
    'explain.heading': 'Explanation',
    'explain.empty': 'Drag nodes from the palette, then wire an output port (right) to an input port (left).',
    'explain.idle': 'Press “Forward step” to compute the graph one node at a time.',
    'explain.forward': 'Forward',
    'explain.backward': 'Backward',
    'explain.head.output': 'the output: backward starts here',
    'explain.head.sum': 'the sum of the {n} gradients arriving at {name}',
    'explain.head.arriving': 'arriving from {name}',
    'explain.copy_latex': 'Copy LaTeX',
    'explain.copy_latex.title': 'Copy this line as LaTeX',
    'explain.copied': 'Copied',
    'explain.copy_failed': 'Copy failed',
    'explain.row.node': 'node',
    'explain.row.op': 'op',
    'explain.row.rule': 'rule',
    'explain.row.value': 'value',
    'explain.row.grad': 'grad',
    'explain.affected': 'downstream of a numerical fault',
    // (op notes come from the server in English; other languages have note.<op>)
    'learn.heading': 'Learning step',
    'learn.trainable': 'Trainable parameter',
    'learn.trainable.title': 'Let gradient descent change this input: p ← p − learning rate × ∂L/∂p',
    'learn.hint': 'Select an input node and mark it as a trainable parameter to learn its value by gradient descent.',
    'learn.hint_selected': 'Tick “Trainable parameter” to let gradient descent learn this input.',
    'learn.summary': 'Gradient descent',
    'learn.rule': 'Each update sets p ← p − learning rate × ∂L/∂p for every parameter p; the output is the loss L.',
    'learn.none': 'No trainable parameters yet.',
    'learn.grad': 'grad',
    'learn.rate': 'Learning rate',
    'learn.rate.title': 'The step size of each update (leave empty for the default, 0.1)',
    'learn.update': 'Update',
    'learn.update.title': 'One gradient-descent update of every trainable parameter',
    'learn.update20.title': 'Twenty updates at once (one edit)',
    'learn.loss': 'Loss',
    'learn.chart.label': 'The loss after each update',
    'learn.chart.x': 'updates',
    'learn.chart.y': 'loss',
    'learn.chart.y_log': 'loss (log)',
    'learn.chart.empty': 'Press Update to plot the loss',
    'canvas.label': 'Computational graph: drag to pan, wheel to zoom, double-click to add a node',
  },
  ko: {
    // -- header, toolbar, files, palette, editors, formula, gallery, check (chrome) --

    // -- explanation, learning panel, canvas (learn) --
    'explain.heading': '설명',
    'explain.empty': '팔레트에서 노드를 끌어다 놓고, 출력 포트(오른쪽)를 입력 포트(왼쪽)에 이어 보세요.',
    'explain.idle': '“순전파 한 단계”를 누르면 그래프를 노드 하나씩 계산합니다.',
    'explain.forward': '순전파',
    'explain.backward': '역전파',
    'explain.head.output': '출력: 역전파는 여기서 시작합니다',
    'explain.head.sum': '{name}에 들어온 기울기 {n}개의 합',
    'explain.head.arriving': '{name}에서 전달됨',
    'explain.copy_latex': 'LaTeX 복사',
    'explain.copy_latex.title': '이 줄을 LaTeX로 복사합니다',
    'explain.copied': '복사됨',
    'explain.copy_failed': '복사 실패',
    'explain.row.node': '노드',
    'explain.row.op': '연산',
    'explain.row.rule': '규칙',
    'explain.row.value': '값',
    'explain.row.grad': '기울기',
    'explain.affected': '수치 오류가 난 노드의 영향을 받습니다',
    'note.input': '입력 노드는 값을 가지며, 그 기울기는 ∂L/∂입력입니다',
    'note.add': 'dout이 그대로 전달됩니다',
    'note.mul': '두 입력이 서로 바뀝니다: 각 입력은 dout에 다른 쪽 입력을 곱한 값을 받습니다',
    'note.sub': 'x는 dout을, y는 −dout을 받습니다',
    'note.div': 'd(x/y)/dx = 1/y, d(x/y)/dy = −x/y²',
    'note.neg': '기울기의 부호가 바뀝니다',
    'note.pow': '지수 p는 노드의 상수 매개변수입니다',
    'note.exp': 'exp는 미분해도 자기 자신이므로, 역전파에서 순전파의 출력을 다시 씁니다',
    'note.log': 'd(log x)/dx = 1/x',
    'note.sigmoid': '역전파에는 순전파의 출력만 있으면 됩니다',
    'note.relu': 'x > 0이면 dout이 그대로 지나가고, 아니면 막힙니다. x = 0에서는 0을 보냅니다',
    'note.tanh': '역전파에는 순전파의 출력만 있으면 됩니다',
    'learn.heading': '학습 단계',
    'learn.trainable': '학습할 매개변수',
    'learn.trainable.title': '경사 하강법이 이 입력의 값을 바꾸게 합니다: p ← p − 학습률 × ∂L/∂p',
    'learn.hint': '입력 노드를 선택해 학습할 매개변수로 지정하면, 경사 하강법으로 그 값을 학습합니다.',
    'learn.hint_selected': '“학습할 매개변수”에 체크하면 경사 하강법이 이 입력을 학습합니다.',
    'learn.summary': '경사 하강법',
    'learn.rule': '업데이트할 때마다 모든 매개변수 p를 p ← p − 학습률 × ∂L/∂p로 바꿉니다. 출력이 손실 L입니다.',
    'learn.none': '아직 학습할 매개변수가 없습니다.',
    'learn.grad': '기울기',
    'learn.rate': '학습률',
    'learn.rate.title': '업데이트 한 번의 보폭 (비워 두면 기본값 0.1)',
    'learn.update': '업데이트',
    'learn.update.title': '학습할 매개변수를 모두 경사 하강법으로 한 번 업데이트합니다',
    'learn.update20.title': '업데이트 20번을 한꺼번에 (편집 한 번)',
    'learn.loss': '손실',
    'learn.chart.label': '업데이트마다의 손실',
    'learn.chart.x': '업데이트 횟수',
    'learn.chart.y': '손실',
    'learn.chart.y_log': '손실 (로그)',
    'learn.chart.empty': '업데이트를 누르면 손실이 그려집니다',
    'canvas.label': '계산 그래프: 드래그로 이동, 휠로 확대·축소, 더블클릭으로 노드 추가',
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
