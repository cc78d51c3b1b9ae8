// Result HTML (rendered Markdown, %html output, single-mode templates) is
// user content: it is sanitised before it reaches the DOM, links open in a
// new tab without access to this window, and it stays inside its cell:
// fixed or sticky positioning is dropped here, and every container of such
// HTML contains its paint (styles.css, .user-html), so nothing it draws can
// cover the app or take its clicks.

import DOMPurify from 'dompurify';

let hooked = false;

function ensureHooks(): void {
  if (hooked) return;
  hooked = true;
  DOMPurify.addHook('afterSanitizeAttributes', (node) => {
    if (node instanceof HTMLElement || node instanceof SVGElement) {
      const pos = node.style?.position;
      if (pos === 'fixed' || pos === 'sticky') node.style.removeProperty('position');
    }
    if (node instanceof HTMLAnchorElement && node.getAttribute('href')) {
      const href = node.getAttribute('href') ?? '';
      if (!href.startsWith('#')) {
        node.setAttribute('target', '_blank');
        node.setAttribute('rel', 'noopener noreferrer');
      }
    }
  });
}

/** sanitize returns HTML safe to assign to innerHTML: no scripts, handlers, forms or frames. */
export function sanitize(html: string): string {
  ensureHooks();
  return DOMPurify.sanitize(html, {
    USE_PROFILES: { html: true, svg: true },
    FORBID_TAGS: ['style', 'form', 'input', 'button', 'textarea', 'select', 'iframe', 'object', 'embed'],
  });
}

/** setHTML puts sanitised HTML into el. */
export function setHTML(el: HTMLElement, html: string): void {
  el.innerHTML = sanitize(html);
}
