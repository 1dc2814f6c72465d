// What the bundle (api.js) and boot.js share: where the console keeps its token, how a read of
// the API is sent, and the request boot.js starts before the bundle runs.

export const TOKEN_KEY = 'odmd.token';

// The window property under which boot.js leaves its request: {path, token, response}.
export const EARLY = 'odmdEarlyRequest';

// The token in a URL fragment ("#token=<token>"): null when the fragment has no token.
export function tokenOfHash(hash) {
  return new URLSearchParams(String(hash || '').replace(/^#/, '')).get('token');
}

// The token kept in the tab's sessionStorage ('' when none or storage is disabled).
export function storedToken() {
  try {
    return window.sessionStorage.getItem(TOKEN_KEY) || '';
  } catch {
    return '';
  }
}

// A read of the API as the console sends every one: `token` as bearer, never from the cache;
// `init` adds other fetch() options (a signal). Resolves with the fetch() Response (rejects as
// fetch() does).
export function fetchApi(path, token, headers = {}, init = {}) {
  const h = { ...headers };
  if (token) h.Authorization = 'Bearer ' + token;
  return fetch(path, { ...init, headers: h, cache: 'no-store' });
}
