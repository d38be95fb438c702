/**
 * When a freshly built set of views has drawn: the live trace view builds a new revision's
 * views under the ones on screen and swaps them only then, so the panes never go blank.
 */

/** How often the new views are looked at, and how long at most until they are shown. */
const LOOK_MS = 50;
export const DRAW_TIMEOUT_MS = 5000;

/**
 * Whether the views under `node` have drawn: the Gantt painted (it counts its redraws in
 * `data-redraws`) and every Vega chart shows a canvas or its message.
 */
export function hasDrawn(node: HTMLElement): boolean {
  const gantt = node.querySelector('.jl-TraceView-gantt');
  if (gantt && !gantt.hasAttribute('data-redraws')) {
    return false;
  }
  const charts = Array.from(node.querySelectorAll('.jl-TraceView-chart'));
  return charts.every(chart => chart.querySelector('canvas, .jl-TraceView-message') !== null);
}

/** Resolves once `hasDrawn(node)`, or after `timeoutMs` (a view that failed shows then). */
export function whenDrawn(node: HTMLElement, timeoutMs = DRAW_TIMEOUT_MS): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  return new Promise(resolve => {
    const look = (): void => {
      if (hasDrawn(node) || performance.now() >= deadline || !node.isConnected) {
        resolve();
      } else {
        window.setTimeout(look, LOOK_MS);
      }
    };
    look();
  });
}
