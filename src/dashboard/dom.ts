/** Tiny DOM helpers: the console is plain DOM, no framework. */
type Child = Node | string | number | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number | boolean | ((e: Event) => void) | undefined> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v);
    else if (k === 'class') el.className = String(v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, ...children);
  return el;
}

export function append(el: Element, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces an element's children. */
export function fill(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, ...children);
}

/** A table from headers and rows of cells; a cell may be a node or text. */
export function table(
  headers: readonly (string | { text: string; title?: string; onClick?: () => void; class?: string })[],
  rows: readonly (readonly Child[])[],
  cls = '',
): HTMLTableElement {
  return h(
    'table',
    { class: cls },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ...headers.map((x) =>
          typeof x === 'string'
            ? h('th', {}, x)
            : h('th', { title: x.title, class: x.class, onclick: x.onClick }, x.text),
        ),
      ),
    ),
    h(
      'tbody',
      {},
      ...rows.map((r) =>
        h('tr', {}, ...r.map((c) => (c instanceof HTMLTableCellElement ? c : h('td', {}, c)))),
      ),
    ),
  );
}

/** A number cell (right-aligned), with the exact value in its title. */
export const numCell = (text: string, exact?: string, cls = '') =>
  h('td', { class: `n ${cls}`.trim(), title: exact }, text);

/** A labelled figure for the cards row. */
export const card = (label: string, value: Child, sub?: Child, testid?: string) =>
  h(
    'div',
    { class: 'card', 'data-testid': testid },
    h('div', { class: 'label' }, label),
    h('div', { class: 'value' }, value),
    sub ? h('div', { class: 'sub' }, sub) : null,
  );

/** Any JSON value as nested definition lists: every field of a breakdown, nothing hidden. */
export function tree(v: unknown, depth = 0): Node {
  if (v === null || v === undefined) return document.createTextNode('—');
  if (typeof v !== 'object') return document.createTextNode(String(v));
  if (Array.isArray(v)) {
    if (v.length === 0) return document.createTextNode('(none)');
    return h('ol', { class: 'tree' }, ...v.map((x) => h('li', {}, tree(x, depth + 1))));
  }
  const entries = Object.entries(v as Record<string, unknown>);
  return h(
    'dl',
    { class: `tree d${Math.min(depth, 3)}` },
    ...entries.flatMap(([k, x]) => [h('dt', {}, k), h('dd', {}, tree(x, depth + 1))]),
  );
}
