/**
 * A small element builder for the panel's widgets (no framework): `el('button', {...}, 'text')`.
 */
export type Attrs = Record<string, string | number | boolean | null | undefined>;

/** Creates an element with attributes (false/null/undefined left out) and children. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Node | string | null | undefined)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) {
      continue;
    }
    if (name === 'className') {
      node.className = String(value);
    } else {
      node.setAttribute(name, value === true ? '' : String(value));
    }
  }
  for (const child of children) {
    if (child === null || child === undefined) {
      continue;
    }
    node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return node;
}

/** A toolbar button (a real <button>, so Tab, Enter and Space work). */
export function button(
  label: string,
  title: string,
  onClick: (event: MouseEvent) => void,
  className = ''
): HTMLButtonElement {
  const node = el(
    'button',
    { type: 'button', className: `jp-JetLag-button ${className}`.trim(), title },
    label
  );
  node.addEventListener('click', event => {
    event.stopPropagation();
    onClick(event);
  });
  return node;
}

/** Makes a list item act on Enter and Space like a button. */
export function activateOnKeys(node: HTMLElement, action: () => void): void {
  node.addEventListener('keydown', event => {
    if (event.target !== node) {
      return;
    }
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      action();
    }
  });
}

/**
 * Calls `callback` whenever JupyterLab switches theme (it sets `data-jp-theme-name` on
 * <body>); returns the function that stops listening. Canvas and Vega views read the
 * `--jp-*` colours when they draw, so they draw again.
 */
export function onThemeChange(callback: () => void): () => void {
  const observer = new MutationObserver(() => callback());
  observer.observe(document.body, {
    attributes: true,
    attributeFilter: ['data-jp-theme-name', 'data-jp-theme-light']
  });
  return () => observer.disconnect();
}

/** 'dark' or 'light': the current JupyterLab theme's kind. */
export function themeKind(): 'dark' | 'light' {
  return document.body.dataset.jpThemeLight === 'false' ? 'dark' : 'light';
}
