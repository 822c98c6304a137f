// The client of ragline's /v1 API: the key, JSON calls, uploads with
// progress and chat answers as Server-Sent Events.

const KEY = 'ragline.key';

/** ApiError carries the API's error shape and the HTTP status. */
export class ApiError extends Error {
  constructor(status, body) {
    // The API wraps errors in {"error": {...}}; an SSE error event may
    // carry the inner object alone.
    const e = body?.error ?? body;
    super(e?.message || `HTTP ${status}`);
    this.status = status;
    this.type = e?.type || '';
  }
}

/** The key kept for this tab, or "". */
export const apiKey = () => sessionStorage.getItem(KEY) || '';
/** Keeps the key in sessionStorage only: it ends with the tab. */
export const setApiKey = (k) => (k ? sessionStorage.setItem(KEY, k) : sessionStorage.removeItem(KEY));

let onUnauthorized = async () => false;
/** Sets what to do on 401: resolve true once a new key is stored. */
export const setUnauthorizedHandler = (fn) => { onUnauthorized = fn; };

function headers(extra = {}) {
  const h = { ...extra };
  const k = apiKey();
  if (k) h.Authorization = 'Bearer ' + k;
  return h;
}

async function parse(res) {
  const text = await res.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch { body = { error: { message: text } }; }
  if (!res.ok) throw new ApiError(res.status, body);
  return body;
}

/** Calls the API and returns the decoded JSON; asks for a key on 401. */
export async function call(method, path, body) {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(path, {
      method,
      headers: headers(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (res.status === 401 && attempt < 3 && await onUnauthorized()) continue;
    return parse(res);
  }
}

/** Fetches a binary resource (a page image) with the key: its blob and headers. */
export async function blob(path) {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(path, { headers: headers() });
    if (res.status === 401 && attempt < 3 && await onUnauthorized()) continue;
    if (!res.ok) await parse(res);
    return { blob: await res.blob(), headers: res.headers };
  }
}

/**
 * Uploads one file to a collection, reporting progress (0–100), and
 * resolves with that file's result from the API.
 */
export function upload(collection, file, onProgress) {
  return new Promise((resolve, reject) => {
    const send = (attempt) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', `/v1/collections/${encodeURIComponent(collection)}/documents`);
      const k = apiKey();
      if (k) xhr.setRequestHeader('Authorization', 'Bearer ' + k);
      xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(Math.round(100 * e.loaded / e.total)); };
      xhr.upload.onload = () => onProgress(100);
      xhr.onerror = () => reject(new ApiError(0, { error: { message: 'network error' } }));
      xhr.onload = async () => {
        if (xhr.status === 401 && attempt < 3 && await onUnauthorized()) { send(attempt + 1); return; }
        let body = null;
        try { body = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
        if (body?.files?.length) { resolve(body.files[0]); return; }
        reject(new ApiError(xhr.status, body));
      };
      const form = new FormData();
      form.append('file', file, file.name);
      xhr.send(form);
    };
    send(0);
  });
}

/**
 * Asks a question with streaming: handlers.step/delta/citation receive
 * events as they come; resolves with the `done` response. Aborting signal
 * closes the stream, which stops the answer on the server.
 */
export async function chatStream(req, handlers, signal) {
  let res;
  for (let attempt = 0; ; attempt++) {
    res = await fetch('/v1/chat', {
      method: 'POST',
      headers: headers({ 'Content-Type': 'application/json', Accept: 'text/event-stream' }),
      body: JSON.stringify({ ...req, stream: true }),
      signal,
    });
    if (res.status === 401 && attempt < 3 && await onUnauthorized()) continue;
    break;
  }
  if (!res.ok) await parse(res);
  if (!(res.headers.get('Content-Type') || '').startsWith('text/event-stream')) return parse(res);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  let done = null;
  for (;;) {
    const { value, done: end } = await reader.read();
    if (value) buf += value;
    let cut;
    while ((cut = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, cut);
      buf = buf.slice(cut + 2);
      let name = 'message';
      const data = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) name = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (!data.length) continue;
      let payload;
      try { payload = JSON.parse(data.join('\n')); } catch { continue; }
      if (name === 'error') throw new ApiError(500, payload);
      if (name === 'done') done = payload;
      else handlers[name]?.(payload);
    }
    if (end) break;
  }
  if (!done) throw new ApiError(0, { error: { message: 'the answer stream ended early' } });
  return done;
}
