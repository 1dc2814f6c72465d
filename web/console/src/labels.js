// Node labels and sizes: an enver node shows its rev (or, in fast mode where there are no
// build groups, its full id) over "<account name> · <region>", and is wide enough for the
// whole text and for its build's name (the build group is as wide as its widest enver, so
// its label fits above it). Widths are measured once per distinct text with a canvas.

// The font cytoscape draws with (styles() sets it; the measurement must use the same).
export const FONT_FAMILY = 'Helvetica, Arial, sans-serif';
export const NODE_FONT_PX = 10;
export const BUILD_FONT_PX = 11;
export const NODE_MIN_W = 120;
// Wider names wrap (build group labels, anywhere) instead of making nodes wider still.
export const NODE_MAX_W = 360;
export const NODE_H = 36;
export const GROUP_PADDING = 8;
const TEXT_PAD = 16;
export const CLONE_POINT = 28;

let context = null;
const widths = new Map(); // font -> Map(text -> px)

// The width in px of `text` in `font` (a CSS font shorthand), cached.
export function textWidth(text, font) {
  let cache = widths.get(font);
  if (!cache) widths.set(font, (cache = new Map()));
  let w = cache.get(text);
  if (w !== undefined) return w;
  if (!context && typeof document !== 'undefined') {
    context = document.createElement('canvas').getContext('2d');
  }
  if (context) {
    context.font = font;
    w = context.measureText(text).width;
  } else {
    w = text.length * 0.62 * parseFloat(font.match(/(\d+)px/)[1]);
  }
  cache.set(text, w);
  return w;
}

const nodeFont = `${NODE_FONT_PX}px ${FONT_FAMILY}`;
const buildFont = `bold ${BUILD_FONT_PX}px ${FONT_FAMILY}`;

// "<account name> · <region>" (the account id when the graph has no name).
export function placeOf(e) {
  return `${e.account_name || e.account || '?'} · ${e.region || '?'}`;
}

// placeOf, one string per account and region (5,000 envers share a few).
const places = new Map();
function place(e) {
  const account = e.account_name || e.account || '?';
  let byRegion = places.get(account);
  if (!byRegion) places.set(account, (byRegion = new Map()));
  let p = byRegion.get(e.region);
  if (p === undefined) byRegion.set(e.region, (p = placeOf(e)));
  return p;
}

// {label, w} for an enver node. `fast`: the label names the build too (no groups there).
export function enverLabel(e, fast) {
  const out = { ...e };
  setEnverLabel(out, fast);
  return { label: out.label, w: out.w };
}

// Sets data.label and data.w of an enver node's data (a copy of the enver's JSON).
export function setEnverLabel(data, fast) {
  const first = fast ? data.id : data.rev;
  const where = place(data);
  // The id's width as its build's plus "/" plus its rev's (a few distinct texts to measure).
  let text = fast ? textWidth(data.build || '', nodeFont) + textWidth('/', nodeFont) +
    textWidth(data.rev || '', nodeFont) : textWidth(first, nodeFont);
  text = Math.max(text, textWidth(where, nodeFont));
  // Without groups there is no build label to make room for.
  const build = fast ? 0 : textWidth(data.build || '', buildFont) - 2 * GROUP_PADDING;
  // A clone's tag shape ends in a point: its text needs room before it.
  const pad = TEXT_PAD + (data.kind === 'clone' ? CLONE_POINT : 0);
  data.label = `${first}\n${where}`;
  data.w = Math.min(NODE_MAX_W,
    Math.max(NODE_MIN_W, Math.ceil(Math.max(text + pad, build + TEXT_PAD))));
}
