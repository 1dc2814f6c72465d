// The platform's HTTP API as the console uses it: bearer token handling, JSON reads with
// the API's error shape, and the event stream over fetch() (EventSource cannot send an
// Authorization header).
import { EARLY, TOKEN_KEY, fetchApi, storedToken, tokenOfHash } from './request.js';

// An API failure: HTTP status plus the API's {"error": {code, message}} when there is one.
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
  get unauthorized() {
    return this.status === 401;
  }
}

// Moves "#token=..." from the address bar into sessionStorage (so it is neither kept in the
// history nor shown), keeping any other part of the fragment.
export function takeTokenFromLocation() {
  const hash = window.location.hash.replace(/^#/, '');
  if (!hash) return;
  const token = tokenOfHash(hash);
  if (token === null) return;
  if (token) setToken(token);
  const params = new URLSearchParams(hash);
  params.delete('token');
  const rest = params.toString();
  const url = window.location.pathname + window.location.search + (rest ? '#' + rest : '');
  window.history.replaceState(null, '', url);
}

export function getToken() {
  return storedToken();
}

export function setToken(token) {
  try {
    window.sessionStorage.setItem(TOKEN_KEY, token);
  } catch {
    /* storage disabled: the token lives only in this page */
  }
  memoryToken = token;
}

export function clearToken() {
  try {
    window.sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    /* ignore */
  }
  memoryToken = '';
}

let memoryToken = '';
function token() {
  return getToken() || memoryToken;
}

async function errorFrom(response, what) {
  let code = 'HTTP_' + response.status;
  let message = `${what}: HTTP ${response.status} ${response.statusText}`.trim();
  try {
    const body = await response.json();
    if (body && body.error) {
      code = body.error.code || code;
      message = `${what}: ${body.error.message || code}`;
    }
  } catch {
    /* not JSON: keep the HTTP status */
  }
  return new ApiError(response.status, code, message);
}

// The response of the request boot.js started for `path`, taken once, when it was sent with
// the token in use now; else null.
let earlyTaken = false;
function takeEarly(path) {
  const early = globalThis[EARLY];
  if (!early || early.path !== path) return null;
  globalThis[EARLY] = null;
  if (early.token !== token()) return null;
  earlyTaken = true;
  return early.response;
}

// Whether a read used the request boot.js started (window.odmd.state.earlyGraph).
export function usedEarlyRequest() {
  return earlyTaken;
}

async function send(path, accept) {
  let response;
  try {
    response = await (takeEarly(path) || fetchApi(path, token(), { Accept: accept }));
  } catch (e) {
    throw new ApiError(0, 'UNAVAILABLE', `GET ${path}: the server cannot be reached (${e.message})`);
  }
  if (!response.ok) throw await errorFrom(response, 'GET ' + path);
  return response;
}

// GET path -> parsed JSON; throws ApiError.
export async function getJson(path) {
  const response = await send(path, 'application/json');
  return response.json();
}

// GET path -> text (logs); throws ApiError.
export async function getText(path) {
  const response = await send(path, 'text/plain');
  return response.text();
}

// Splits "a/b..c" style ids into URL path segments, each encoded.
export function pathOf(...parts) {
  return parts
    .flatMap((p) => String(p).split('/'))
    .map(encodeURIComponent)
    .join('/');
}

// Parses server-sent-event frames out of a growing text buffer. Returns the unparsed rest.
export function parseSse(buffer, onFrame) {
  buffer = buffer.replace(/\r\n?/g, '\n');
  let end;
  while ((end = buffer.indexOf('\n\n')) >= 0) {
    const frame = buffer.slice(0, end);
    buffer = buffer.slice(end + 2);
    let id = null;
    const data = [];
    for (const line of frame.split('\n')) {
      if (!line || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'id') id = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length) onFrame({ id, data: data.join('\n') });
  }
  return buffer;
}

// Follows the event stream from seq `after`: GET /api/events with Accept:
// text/event-stream, read as a stream; reconnects with Last-Event-ID after a drop (backing
// off up to 10 s). onEvent(event) for each event; onState('live'|'reconnecting'|'stopped',
// error) on changes. Returns {stop()}.
export function followEvents({ after = 0, onEvent, onState }) {
  let lastId = after;
  let stopped = false;
  let controller = null;
  let delay = 500;

  async function connectOnce(path) {
    controller = new AbortController();
    const h = { Accept: 'text/event-stream' };
    if (lastId > 0) h['Last-Event-ID'] = String(lastId);
    const response = await fetchApi(path + '?after=' + lastId, token(), h,
      { signal: controller.signal });
    if (!response.ok) throw await errorFrom(response, 'GET ' + path);
    const type = response.headers.get('Content-Type') || '';
    if (!type.includes('text/event-stream')) return false; // an older server: JSON list
    onState('live');
    delay = 500;
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer = parseSse(buffer + decoder.decode(value, { stream: true }), (frame) => {
        let event;
        try {
          event = JSON.parse(frame.data);
        } catch {
          return;
        }
        const seq = Number(frame.id ?? event.seq);
        if (Number.isFinite(seq) && seq > lastId) lastId = seq;
        onEvent(event);
      });
    }
    return true;
  }

  async function run() {
    let path = '/api/events';
    while (!stopped) {
      try {
        const streamed = await connectOnce(path);
        if (!streamed && path === '/api/events') {
          path = '/api/events/stream';
          continue;
        }
        if (stopped) break;
        onState('reconnecting', null);
      } catch (e) {
        if (stopped) break;
        onState('reconnecting', e);
        if (e instanceof ApiError && e.unauthorized) {
          stopped = true;
          onState('stopped', e);
          break;
        }
      }
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 10000);
    }
  }
  run();
  return {
    stop() {
      stopped = true;
      if (controller) controller.abort();
    },
    get lastId() {
      return lastId;
    },
  };
}
