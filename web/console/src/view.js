// Putting a graph on screen in as few passes over its elements as cytoscape allows: the view
// fitted from the envers' places (fast mode), a resize only when the size changed, and no
// invalidation work on an element's first style. Each pass costs ~0.1-0.3 s at 5,000 envers
// in headless Chromium on 2 cores (docs/console.md, "Large orgs").
import { NODE_H, NODE_MIN_W } from './labels.js';

export const MIN_ZOOM = 0.02;
export const MAX_ZOOM = 4;
export const FIT_PADDING = 20;
// Half the widest border (status and tag borders are 4 px): how far a node's box reaches past
// its width and height.
const BORDER_OUT = 2;

// Fast mode: adds the envers, placed already, and fits the view to them from their places
// and widths. Given to cytoscape's constructor they would go through its layout, which sets
// every place again (an event and a bounding-box reset per enver) and fits on the envers'
// bounding boxes, computing every style before the first frame: ~0.3 s more at 5,000 envers.
export function addPlaced(cy, nodes) {
  cy.add(nodes);
  const view = fitViewport(nodes, cy.width(), cy.height());
  if (view) cy.viewport(view);
}

// The {zoom, pan} that shows every node description ({position, data.w}, NODE_H high) in a
// width x height view with FIT_PADDING around it, as cy.fit() would; null when there is
// nothing to show or no room (headless).
export function fitViewport(nodes, width, height) {
  let x1 = Infinity;
  let y1 = Infinity;
  let x2 = -Infinity;
  let y2 = -Infinity;
  for (const n of nodes) {
    const { x, y } = n.position;
    const hw = (n.data.w || NODE_MIN_W) / 2 + BORDER_OUT;
    const hh = NODE_H / 2 + BORDER_OUT;
    if (x - hw < x1) x1 = x - hw;
    if (x + hw > x2) x2 = x + hw;
    if (y - hh < y1) y1 = y - hh;
    if (y + hh > y2) y2 = y + hh;
  }
  if (!(x2 > x1) || !(width > 2 * FIT_PADDING) || !(height > 2 * FIT_PADDING)) return null;
  const fit = Math.min((width - 2 * FIT_PADDING) / (x2 - x1),
    (height - 2 * FIT_PADDING) / (y2 - y1));
  const zoom = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, fit));
  return { zoom, pan: { x: (width - zoom * (x1 + x2)) / 2, y: (height - zoom * (y1 + y2)) / 2 } };
}

// The drawing area changes when the enver panel opens or closes, or the window resizes:
// cytoscape must learn its new size, or part of the graph stays cut off. Only a change of
// size: the observer also reports the size once when it starts, and cy.resize() redraws
// every element (~0.1 s at 5,000 envers). Returns the observer (null without one).
export function followResize(cy, container) {
  if (typeof ResizeObserver === 'undefined' || !container) return null;
  let width = container.clientWidth;
  let height = container.clientHeight;
  const observer = new ResizeObserver(() => {
    if (container.clientWidth === width && container.clientHeight === height) return;
    width = container.clientWidth;
    height = container.clientHeight;
    cy.resize();
  });
  observer.observe(container);
  return observer;
}

// cytoscape checks, for every property of an element's style it sets, whether the change
// invalidates cached bounds, z-order or the connected edges' bounds, and for each one
// allocates the connected edges and sends a 'bounds' event: at 5,000 envers x 16 properties,
// about 45% of computing the first styles (~0.3 s). When an element gets its first style
// there is nothing to invalidate: it was just added (the add itself has the renderer
// recompute it and re-sort the z-order) and nothing is cached from a style it never had
// (cytoscape computes the style before any bounds; clearing a style sheet resets the bounds
// itself). So those checks are skipped then, and only then: later changes (a class, a data
// field) still invalidate what they must. Relies on cytoscape 3.34's Style#checkTriggers and
// element._private.appliedInitStyle (set once the first style is applied); tests/graph.test.mjs
// checks both the skip and that later changes still move the bounds.
export function skipFirstStyleTriggers(cy) {
  const style = cy.style && cy.style();
  if (!style || typeof style.checkTriggers !== 'function') return;
  const check = style.checkTriggers;
  style.checkTriggers = function checkTriggersAfterFirstStyle(ele, ...rest) {
    if (!ele._private.appliedInitStyle) return;
    check.call(this, ele, ...rest);
  };
}
