// A tiny DOM builder and the app's icon set. User content only ever goes in
// as text (textContent); HTML from results goes through sanitize() (html.ts).

type Child = Node | string | number | null | undefined | false | Child[];

export type Attrs = {
  [key: string]: unknown;
  class?: string | undefined;
  style?: string | Partial<CSSStyleDeclaration> | undefined;
};

/** h creates an element: h('button', {class: 'btn', onclick: fn}, 'Run'). */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') el.className = String(v);
      else if (k === 'style') {
        if (typeof v === 'string') el.style.cssText = v;
        else Object.assign(el.style, v);
      } else if (k.startsWith('on') && typeof v === 'function') {
        el.addEventListener(k.slice(2), v as EventListener);
      } else if (k === 'dataset') {
        Object.assign(el.dataset, v);
      } else if (v === true) el.setAttribute(k, '');
      else if (k in el && typeof v !== 'string') (el as unknown as Record<string, unknown>)[k] = v;
      else el.setAttribute(k, String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

/** clear removes every child of el. */
export function clear(el: Node): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

/** setText sets text content only when it differs (cheap for frequent updates). */
export function setText(el: Node, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

export function toggleClass(el: Element, cls: string, on: boolean): void {
  if (el.classList.contains(cls) !== on) el.classList.toggle(cls, on);
}

// Icons: 16px strokes, trusted constants (never user content).
const paths: Record<string, string> = {
  play: '<path d="M5 3.5v9l7.5-4.5z" fill="currentColor" stroke="none"/>',
  stop: '<rect x="4" y="4" width="8" height="8" rx="1" fill="currentColor" stroke="none"/>',
  plus: '<path d="M8 3v10M3 8h10"/>',
  trash: '<path d="M3 4.5h10M6.5 4.5V3h3v1.5M4.5 4.5l.6 8.5h5.8l.6-8.5"/>',
  up: '<path d="M8 12.5V3.5M4 7.5l4-4 4 4"/>',
  down: '<path d="M8 3.5v9M4 8.5l4 4 4-4"/>',
  more: '<circle cx="3.5" cy="8" r="1.1" fill="currentColor"/><circle cx="8" cy="8" r="1.1" fill="currentColor"/><circle cx="12.5" cy="8" r="1.1" fill="currentColor"/>',
  chevronRight: '<path d="M6 3.5l4.5 4.5L6 12.5"/>',
  chevronDown: '<path d="M3.5 6l4.5 4.5L12.5 6"/>',
  folder: '<path d="M2 4.5a1 1 0 0 1 1-1h3.2l1.3 1.5H13a1 1 0 0 1 1 1v6.5a1 1 0 0 1-1 1H3a1 1 0 0 1-1-1z"/>',
  note: '<path d="M4 2h5.5L12.5 5v9H4z"/><path d="M9.5 2v3h3M6 8h4.5M6 10.5h4.5"/>',
  download: '<path d="M8 2.5v8M4.5 7l3.5 3.5L11.5 7M3 13.5h10"/>',
  upload: '<path d="M8 10.5v-8M4.5 6L8 2.5 11.5 6M3 13.5h10"/>',
  edit: '<path d="M10.5 2.5l3 3-7.5 7.5H3v-3z"/>',
  eye: '<path d="M1.5 8S4 3.5 8 3.5 14.5 8 14.5 8 12 12.5 8 12.5 1.5 8 1.5 8z"/><circle cx="8" cy="8" r="2"/>',
  code: '<path d="M5.5 4.5L2 8l3.5 3.5M10.5 4.5L14 8l-3.5 3.5"/>',
  table: '<rect x="2" y="3" width="12" height="10" rx="1"/><path d="M2 6.5h12M2 10h12M6 6.5V13"/>',
  bar: '<path d="M3 13.5h10.5"/><rect x="3.5" y="8" width="2" height="5" fill="currentColor"/><rect x="7" y="4" width="2" height="9" fill="currentColor"/><rect x="10.5" y="6.5" width="2" height="6.5" fill="currentColor"/>',
  line: '<path d="M2 13.5h12"/><path d="M2.5 11l3.5-4 3 2.5L13.5 4"/>',
  area: '<path d="M2 13.5h12"/><path d="M2.5 12.5V10l3.5-4 3 2.5 4.5-4.5v8.5z" fill="currentColor" fill-opacity=".35"/>',
  pie: '<circle cx="8" cy="8" r="5.5"/><path d="M8 2.5V8h5.5"/>',
  scatter: '<path d="M2 13.5h12M2.5 2v11.5"/><circle cx="5.5" cy="10" r="1" fill="currentColor"/><circle cx="8" cy="6.5" r="1" fill="currentColor"/><circle cx="11" cy="8" r="1" fill="currentColor"/><circle cx="12" cy="4" r="1" fill="currentColor"/>',
  gear: '<circle cx="8" cy="8" r="2"/><path d="M8 1.5v2M8 12.5v2M1.5 8h2M12.5 8h2M3.4 3.4l1.4 1.4M11.2 11.2l1.4 1.4M3.4 12.6l1.4-1.4M11.2 4.8l1.4-1.4"/>',
  link: '<path d="M9 2.5h4.5V7M13.5 2.5L7.5 8.5M11.5 9.5v3.5a.5.5 0 0 1-.5.5H3a.5.5 0 0 1-.5-.5V5a.5.5 0 0 1 .5-.5h3.5"/>',
  check: '<path d="M3 8.5l3 3 7-7"/>',
  x: '<path d="M4 4l8 8M12 4l-8 8"/>',
  alert: '<path d="M8 2.5l6 10.5H2z"/><path d="M8 6.5v3M8 11.2v.3"/>',
  refresh: '<path d="M13 3.5v3h-3M3 12.5v-3h3"/><path d="M12.6 6.5A5 5 0 0 0 3.8 5M3.4 9.5a5 5 0 0 0 8.8 1.5"/>',
  restore: '<path d="M3 3.5v3h3"/><path d="M3.4 6.5A5 5 0 1 1 3 9"/>',
  copy: '<rect x="5" y="5" width="8.5" height="8.5" rx="1"/><path d="M3 11V3.5a1 1 0 0 1 1-1h7"/>',
  move: '<path d="M2 4.5a1 1 0 0 1 1-1h3.2l1.3 1.5H13a1 1 0 0 1 1 1v6.5a1 1 0 0 1-1 1H3a1 1 0 0 1-1-1z"/><path d="M6 9.5h4.5M9 8l1.5 1.5L9 11"/>',
  power: '<path d="M8 2v5.5"/><path d="M4.5 4.5a5 5 0 1 0 7 0"/>',
  database: '<ellipse cx="8" cy="4" rx="5" ry="1.8"/><path d="M3 4v8c0 1 2.2 1.8 5 1.8s5-.8 5-1.8V4M3 8c0 1 2.2 1.8 5 1.8s5-.8 5-1.8"/>',
  search: '<circle cx="7" cy="7" r="4.2"/><path d="M10.2 10.2l3.3 3.3"/>',
  title: '<path d="M3 4h10M8 4v9"/>',
  list: '<path d="M5.5 4h8M5.5 8h8M5.5 12h8"/><circle cx="2.8" cy="4" r=".8" fill="currentColor"/><circle cx="2.8" cy="8" r=".8" fill="currentColor"/><circle cx="2.8" cy="12" r=".8" fill="currentColor"/>',
  logo: '<path d="M2.5 9.5c1.5-3 3.5-4.5 6-4.5s3.8 1.6 3.8 3.3c0 1.6-1.2 2.7-2.8 2.7-1.4 0-2.3-.9-2.3-2 0-1 .8-1.6 1.6-1.6" stroke-width="1.6"/>',
};

/** icon returns a 16px inline SVG icon. */
export function icon(name: keyof typeof paths | string, cls = ''): HTMLElement {
  const span = document.createElement('span');
  span.className = 'icon' + (cls ? ' ' + cls : '');
  span.setAttribute('aria-hidden', 'true');
  span.innerHTML = `<svg viewBox="0 0 16 16" width="16" height="16" fill="none" stroke="currentColor" stroke-width="1.4" stroke-linecap="round" stroke-linejoin="round">${paths[name] ?? ''}</svg>`;
  return span;
}

/** button builds an icon/text button. */
export function button(opts: { label?: string; icon?: string; title?: string; cls?: string; onClick?: (e: MouseEvent) => void; testid?: string; disabled?: boolean }): HTMLButtonElement {
  const b = h('button', {
    type: 'button',
    class: 'btn' + (opts.cls ? ' ' + opts.cls : '') + (opts.label ? '' : ' icon-only'),
    title: opts.title ?? opts.label,
    'aria-label': opts.title ?? opts.label,
    'data-testid': opts.testid,
    disabled: opts.disabled,
  });
  if (opts.icon) b.appendChild(icon(opts.icon));
  if (opts.label) b.appendChild(h('span', { class: 'btn-label' }, opts.label));
  if (opts.onClick) {
    const cb = opts.onClick;
    b.addEventListener('click', (e) => {
      e.stopPropagation();
      cb(e);
    });
  }
  return b;
}
