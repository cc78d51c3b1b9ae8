// Menus, dialogs and toasts: the few overlays the app needs.

import { button, h, icon } from './dom';

export interface MenuItem {
  label: string;
  icon?: string;
  danger?: boolean;
  disabled?: boolean;
  testid?: string;
  onSelect: () => void;
}

let openMenu: HTMLElement | null = null;

function closeMenu(): void {
  openMenu?.remove();
  openMenu = null;
  document.removeEventListener('mousedown', outside, true);
  document.removeEventListener('keydown', escape, true);
}

function outside(e: Event): void {
  if (openMenu && !openMenu.contains(e.target as Node)) closeMenu();
}

function escape(e: KeyboardEvent): void {
  if (e.key === 'Escape') closeMenu();
}

/** showMenu opens a dropdown under anchor. */
export function showMenu(anchor: HTMLElement, items: Array<MenuItem | 'sep'>): void {
  closeMenu();
  const menu = h(
    'div',
    { class: 'menu', role: 'menu' },
    items.map((it) =>
      it === 'sep'
        ? h('div', { class: 'menu-sep' })
        : h(
            'button',
            {
              type: 'button',
              role: 'menuitem',
              class: 'menu-item' + (it.danger ? ' danger' : ''),
              disabled: it.disabled,
              'data-testid': it.testid,
              onclick: () => {
                closeMenu();
                it.onSelect();
              },
            },
            it.icon ? icon(it.icon) : h('span', { class: 'icon' }),
            h('span', null, it.label),
          ),
    ),
  );
  document.body.appendChild(menu);
  const r = anchor.getBoundingClientRect();
  const w = menu.offsetWidth;
  const top = r.bottom + 4 + window.scrollY;
  const left = Math.max(8, Math.min(r.right - w, window.innerWidth - w - 8)) + window.scrollX;
  menu.style.top = top + 'px';
  menu.style.left = left + 'px';
  openMenu = menu;
  setTimeout(() => {
    document.addEventListener('mousedown', outside, true);
    document.addEventListener('keydown', escape, true);
  });
}

export interface Field {
  name: string;
  label: string;
  value?: string;
  placeholder?: string;
  hint?: string;
  options?: string[];
}

/** prompt shows a modal form; resolves with the values, or null when cancelled. */
export function prompt(opts: { title: string; fields: Field[]; ok?: string; danger?: boolean; message?: string }): Promise<Record<string, string> | null> {
  return new Promise((resolve) => {
    const inputs = new Map<string, HTMLInputElement>();
    const done = (v: Record<string, string> | null) => {
      backdrop.remove();
      resolve(v);
    };
    const form = h(
      'form',
      {
        class: 'dialog',
        onsubmit: (e: Event) => {
          e.preventDefault();
          const out: Record<string, string> = {};
          for (const [k, el] of inputs) out[k] = el.value;
          done(out);
        },
      },
      h('div', { class: 'dialog-title' }, opts.title),
      opts.message ? h('p', { class: 'dialog-msg' }, opts.message) : null,
      opts.fields.map((f) => {
        const list = f.options?.length ? 'dl-' + f.name : undefined;
        const input = h('input', { class: 'input', name: f.name, value: f.value ?? '', placeholder: f.placeholder ?? '', autocomplete: 'off', list, 'data-testid': 'dialog-' + f.name });
        inputs.set(f.name, input);
        return h(
          'label',
          { class: 'field' },
          h('span', { class: 'field-label' }, f.label),
          input,
          list ? h('datalist', { id: list }, (f.options ?? []).map((o) => h('option', { value: o }))) : null,
          f.hint ? h('span', { class: 'field-hint' }, f.hint) : null,
        );
      }),
      h(
        'div',
        { class: 'dialog-actions' },
        button({ label: 'Cancel', cls: 'ghost', onClick: () => done(null) }),
        h('button', { type: 'submit', class: 'btn ' + (opts.danger ? 'danger' : 'primary'), 'data-testid': 'dialog-ok' }, opts.ok ?? 'OK'),
      ),
    );
    const backdrop = h('div', { class: 'backdrop', onmousedown: (e: Event) => e.target === backdrop && done(null) }, form);
    backdrop.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') done(null);
    });
    document.body.appendChild(backdrop);
    const first = inputs.values().next().value;
    if (first) {
      first.focus();
      first.select();
    } else (form.querySelector('button[type=submit]') as HTMLButtonElement | null)?.focus();
  });
}

/** confirm asks a yes/no question. */
export async function confirm(title: string, message: string, ok = 'Delete'): Promise<boolean> {
  return (await prompt({ title, message, fields: [], ok, danger: true })) !== null;
}

let toastBox: HTMLElement | null = null;

/** toast shows a short message in the corner: text, or elements (e.g. with links). */
export function toast(message: string | Node, kind: 'info' | 'error' | 'ok' = 'info', ms = kind === 'error' ? 7000 : 3500): void {
  if (!toastBox) {
    toastBox = h('div', { class: 'toasts', 'aria-live': 'polite' });
    document.body.appendChild(toastBox);
  }
  const t = h('div', { class: 'toast ' + kind, role: kind === 'error' ? 'alert' : 'status' }, h('span', null, message), button({ icon: 'x', title: 'Dismiss', cls: 'ghost', onClick: () => t.remove() }));
  toastBox.appendChild(t);
  setTimeout(() => t.remove(), ms);
}
