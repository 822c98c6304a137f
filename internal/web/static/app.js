// The ragline web interface: chat with streamed, cited answers, the
// sources panel, conversations, documents and feedback.

import { t, lang, setLang, translatePage } from './i18n.js';
import { renderMarkdown } from './markdown.js';
import * as api from './api.js';

const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  e.append(...children.filter((c) => c !== null && c !== undefined));
  return e;
}

const NEW_COLLECTION = '\u0000new';

const state = {
  extraCollections: [],
  config: { default_collection: 'default', key_required: false },
  collection: '',
  sessionId: '',
  answers: new Map(), // answer element id -> { citations, sessionId, turn }
  docs: new Map(), // document id -> Promise of the document view
};

// ---------- API key ----------

let keyPrompt = null;
function askKey(message) {
  if (keyPrompt) return keyPrompt;
  const dlg = $('key-dialog');
  const err = $('key-error');
  err.hidden = !message;
  err.textContent = message || '';
  $('key-input').value = '';
  keyPrompt = new Promise((resolve) => {
    const onClose = () => {
      dlg.removeEventListener('close', onClose);
      keyPrompt = null;
      const k = $('key-input').value.trim();
      if (k) api.setApiKey(k);
      resolve(Boolean(k));
    };
    dlg.addEventListener('close', onClose);
  });
  if (!dlg.open) dlg.showModal();
  $('key-input').focus();
  return keyPrompt;
}
api.setUnauthorizedHandler(() => askKey(api.apiKey() ? t('keyRejected') : ''));

// ---------- status line ----------

function showError(where, err) {
  const p = el('p', { class: 'error', role: 'alert', text: t('error', { error: err.message || String(err) }) });
  where.append(p);
  return p;
}

// ---------- collections ----------

async function loadCollections() {
  const sel = $('collection');
  const keep = state.collection;
  let names = [];
  try {
    const res = await api.call('GET', '/v1/collections');
    names = res.collections.map((c) => c.name);
  } catch (e) { /* shown by the views that need it */ }
  const def = state.config.default_collection;
  if (def && !names.includes(def)) names.unshift(def);
  // A collection made here exists only once a document is uploaded to it.
  for (const n of state.extraCollections) if (!names.includes(n)) names.push(n);
  // The default collection is marked, unless its name already says so.
  const label = (n) => (n === def && n !== t('defaultCollection') && n !== 'default' ? `${n} (${t('defaultCollection')})` : n);
  sel.replaceChildren(...names.map((n) => el('option', { value: n, text: label(n) })),
    el('option', { value: NEW_COLLECTION, text: t('newCollectionOption') }));
  state.collection = names.includes(keep) ? keep : (def || names[0] || '');
  sel.value = state.collection;
}

// ---------- sessions ----------

const SESSION_PAGE = 30;
const sessionPages = { next: '', loading: null };

function sessionRow(s) {
  return el('li', { class: 'session-row' },
    el('button', {
      type: 'button', class: 'session' + (s.id === state.sessionId ? ' current' : ''), 'aria-current': s.id === state.sessionId ? 'true' : null,
      dataset: { session: s.id }, onclick: () => openSession(s.id),
    }, el('span', { class: 'session-title', text: s.title || t('untitled') }),
    el('span', { class: 'muted small', text: `${t(s.turns === 1 ? 'session1' : 'session', { n: s.turns })} · ${new Date(s.updated).toLocaleString(lang() === 'zh' ? 'zh-CN' : 'en')}` })),
    el('button', {
      type: 'button', class: 'icon-btn session-delete', 'aria-label': t('deleteSession'), title: t('deleteSession'),
      onclick: () => removeSession(s),
    }, '×'));
}

/** Loads the first page of conversations; more come as the list scrolls. */
async function loadSessions() {
  const ul = $('sessions');
  let page = { sessions: [] };
  try { page = await api.call('GET', `/v1/sessions?limit=${SESSION_PAGE}`); } catch { /* an empty list */ }
  sessionPages.next = page.next_cursor || '';
  ul.replaceChildren(...page.sessions.map(sessionRow));
  $('sessions-empty').hidden = page.sessions.length > 0;
  ul.dataset.more = String(Boolean(sessionPages.next));
  moreSessionsIfShort();
}

/** Appends the next page of conversations, once at a time. */
function moreSessions() {
  if (!sessionPages.next || sessionPages.loading) return sessionPages.loading;
  const cursor = sessionPages.next;
  sessionPages.loading = (async () => {
    try {
      const page = await api.call('GET', `/v1/sessions?limit=${SESSION_PAGE}&cursor=${encodeURIComponent(cursor)}`);
      if (sessionPages.next !== cursor) return; // the list was reloaded meanwhile
      sessionPages.next = page.next_cursor || '';
      const shown = new Set([...document.querySelectorAll('#sessions .session')].map((b) => b.dataset.session));
      $('sessions').append(...page.sessions.filter((x) => !shown.has(x.id)).map(sessionRow));
      $('sessions').dataset.more = String(Boolean(sessionPages.next));
    } catch { /* tried again on the next scroll */ } finally {
      sessionPages.loading = null;
    }
    moreSessionsIfShort();
  })();
  return sessionPages.loading;
}

/** Loads more while the list does not fill the sidebar or is scrolled to its end. */
function moreSessionsIfShort() {
  const side = $('sidebar');
  if (sessionPages.next && side.clientHeight > 0 && side.scrollHeight - side.scrollTop - side.clientHeight < 80) moreSessions();
}

function newChat() {
  state.sessionId = '';
  state.answers.clear();
  $('messages').replaceChildren(el('p', { id: 'welcome', class: 'welcome', dataset: { i18n: 'welcome' }, text: t('welcome') }));
  clearSources();
  loadSessions();
  showView('chat');
  $('composer-input').focus();
}

async function openSession(id) {
  showView('chat');
  closeMenu();
  try {
    const s = await api.call('GET', `/v1/sessions/${encodeURIComponent(id)}`);
    state.sessionId = id;
    state.answers.clear();
    $('messages').replaceChildren();
    clearSources();
    s.turns.forEach((turn, i) => {
      addUser(turn.question);
      const a = addAnswer();
      finishAnswer(a, { answer: turn.answer, citations: turn.citations || [], trace: turn.trace || [], no_answer: turn.no_answer, session_id: id, turn: i });
    });
    loadSessions();
  } catch (e) {
    showError($('messages'), e);
  }
}

// ---------- chat ----------

function addUser(text) {
  $('welcome')?.remove();
  const m = el('article', { class: 'msg user' }, el('h3', { class: 'who', text: t('you') }), el('p', { class: 'body', text: text }));
  $('messages').append(m);
  return m;
}

let answerSeq = 0;
function addAnswer() {
  const id = 'answer-' + (++answerSeq);
  const body = el('div', { class: 'body streaming', 'aria-busy': 'true' }, el('p', { class: 'muted', text: t('thinking') }));
  const m = el('article', { class: 'msg assistant', id }, el('h3', { class: 'who', text: t('assistant') }), body);
  $('messages').append(m);
  m.scrollIntoView({ block: 'end' });
  return m;
}

function citeButton(answerEl, n, tok) {
  const info = state.answers.get(answerEl.id);
  const c = info?.citations.find((x) => x.index === n);
  if (!c) return document.createTextNode(tok);
  return el('button', {
    type: 'button', class: 'cite', dataset: { cite: String(n) }, 'aria-label': t('openSource', { n }), title: c.source,
    onclick: () => showSources(answerEl.id, n),
  }, String(n));
}

function finishAnswer(m, resp) {
  state.answers.set(m.id, { citations: resp.citations || [], sessionId: resp.session_id, turn: resp.turn });
  m.dataset.session = resp.session_id || '';
  m.dataset.turn = String(resp.turn ?? '');
  const body = m.querySelector('.body');
  body.classList.remove('streaming');
  body.removeAttribute('aria-busy');
  if (resp.no_answer && !resp.answer) body.replaceChildren(el('p', { class: 'muted', text: t('noAnswer') }));
  else body.replaceChildren(renderMarkdown(resp.answer, (n, tok) => citeButton(m, n, tok)));
  m.querySelector('.trace')?.remove();
  m.querySelector('.feedback')?.remove();
  if (resp.trace?.length) m.append(traceView(resp.trace, resp.usage));
  if (resp.session_id && resp.turn !== undefined) m.append(feedbackView(resp.session_id, resp.turn));
}

function traceSummary(n, ms, usage) {
  const s = t('trace', { n, ms: ms.toFixed(1) });
  return usage?.total_tokens ? `${s} · ${t('tokens', { n: usage.total_tokens })}` : s;
}

// detailText renders a step's detail as short "name: value" lines, never
// as raw JSON: lists are joined (the first few), objects flattened a level.
function detailText(detail) {
  const short = (v) => {
    const s = String(v);
    return s.length > 120 ? s.slice(0, 119) + '…' : s;
  };
  const value = (v) => {
    if (v === null || v === undefined) return '';
    if (Array.isArray(v)) {
      if (!v.length) return '—';
      if (v.every((x) => typeof x !== 'object' || x === null)) return short(v.slice(0, 5).join(', ') + (v.length > 5 ? `, … (${v.length})` : ''));
      return t('items', { n: v.length });
    }
    if (typeof v === 'object') return Object.entries(v).map(([k, x]) => `${k} ${typeof x === 'object' && x !== null ? '…' : short(x)}`).join(', ');
    if (typeof v === 'number' && !Number.isInteger(v)) return v.toFixed(3);
    return short(v);
  };
  return Object.entries(detail || {}).map(([k, v]) => [k.replaceAll('_', ' '), value(v)]).filter(([, v]) => v !== '');
}

function traceView(trace, usage) {
  const total = trace.reduce((s, x) => s + (x.duration_ms || 0), 0);
  const longest = Math.max(...trace.map((x) => x.duration_ms || 0), 0.001);
  return el('details', { class: 'trace', dataset: { tokens: String(usage?.total_tokens || 0), ms: String(total), steps: String(trace.length) } },
    el('summary', { text: traceSummary(trace.length, total, usage) }),
    el('ol', { class: 'trace-steps' }, ...trace.map((s) => {
      const bar = el('span', { class: 'step-bar', 'aria-hidden': 'true' });
      bar.style.width = `${Math.max(1, Math.round(100 * (s.duration_ms || 0) / longest))}%`;
      const lines = detailText(s.detail);
      return el('li', { class: 'trace-step', dataset: { step: s.step } },
        el('div', { class: 'step-head' },
          el('span', { class: 'step-name', text: s.step }),
          el('span', { class: 'step-time num', text: `${(s.duration_ms || 0).toFixed(2)} ms` })),
        bar,
        lines.length ? el('dl', { class: 'step-detail' }, ...lines.flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: v })])) : null);
    })));
}

// thumbIcon draws a thumb (down when flipped) without relying on an
// emoji font being installed.
function thumbIcon(down) {
  const NS = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('width', '18');
  svg.setAttribute('height', '18');
  svg.setAttribute('aria-hidden', 'true');
  const path = document.createElementNS(NS, 'path');
  path.setAttribute('d', 'M2 21h4V9H2v12zm20-11a2 2 0 0 0-2-2h-6.3l1-4.6v-.3c0-.4-.2-.8-.4-1.1L13.2 1 6.6 7.6C6.2 8 6 8.5 6 9v10a2 2 0 0 0 2 2h9c.8 0 1.5-.5 1.8-1.2l3-7.1c.1-.2.2-.5.2-.7v-2z');
  path.setAttribute('fill', 'currentColor');
  if (down) svg.setAttribute('transform', 'scale(1,-1)');
  svg.append(path);
  return svg;
}

function feedbackView(sessionId, turn) {
  const box = el('div', { class: 'feedback' });
  const comment = el('textarea', { rows: '2', class: 'fb-comment', placeholder: t('commentPlaceholder'), 'aria-label': t('commentPlaceholder'), hidden: true });
  const status = el('p', { class: 'muted small fb-status', role: 'status' });
  let rating = '';
  const send = el('button', {
    type: 'button', class: 'btn small fb-send', hidden: true, text: t('sendFeedback'),
    onclick: async () => {
      send.disabled = true;
      try {
        await api.call('POST', '/v1/feedback', { session_id: sessionId, turn, rating, comment: comment.value.trim() || undefined });
        status.textContent = t('feedbackThanks');
        box.dataset.sent = rating;
        comment.hidden = true; send.hidden = true;
        for (const b of box.querySelectorAll('.thumb')) b.disabled = true;
      } catch (e) {
        status.textContent = t('feedbackFailed', { error: e.message });
        send.disabled = false;
      }
    },
  });
  const thumb = (r, label, glyph) => el('button', {
    type: 'button', class: 'thumb', dataset: { rating: r }, 'aria-label': label, title: label, 'aria-pressed': 'false',
    onclick: (ev) => {
      rating = r;
      for (const b of box.querySelectorAll('.thumb')) b.setAttribute('aria-pressed', String(b === ev.currentTarget));
      comment.hidden = false; send.hidden = false;
      comment.focus();
    },
  }, glyph);
  box.append(thumb('up', t('helpful'), thumbIcon(false)), thumb('down', t('notHelpful'), thumbIcon(true)), comment, send, status);
  return box;
}

// stopAnswer cancels the answer being streamed, if any.
let stopAnswer = null;

async function ask(question) {
  addUser(question);
  const m = addAnswer();
  const body = m.querySelector('.body');
  let text = '';
  const $send = $('send');
  const $stop = $('stop');
  const abort = new AbortController();
  stopAnswer = () => abort.abort();
  $send.disabled = true;
  $send.hidden = true;
  $stop.hidden = false;
  try {
    const resp = await api.chatStream({ message: question, session_id: state.sessionId || undefined, collection: state.collection || undefined }, {
      // Until the answer starts, the line under the question names the
      // step the pipeline has reached.
      step: (s) => {
        if (!text && s?.step) body.replaceChildren(el('p', { class: 'muted', text: `${t('thinking')} ${s.step}` }));
      },
      delta: (d) => {
        text += d.text || '';
        m.dataset.deltas = String(Number(m.dataset.deltas || 0) + 1);
        body.replaceChildren(renderMarkdown(text));
        m.scrollIntoView({ block: 'end' });
      },
    }, abort.signal);
    state.sessionId = resp.session_id || state.sessionId;
    finishAnswer(m, resp);
    if (resp.citations?.length) showSources(m.id, resp.citations[0].index, false);
    loadSessions(); // the list is ordered by last update
  } catch (e) {
    body.classList.remove('streaming');
    body.removeAttribute('aria-busy');
    if (abort.signal.aborted) {
      // What arrived stays; the server drops the unfinished turn.
      m.dataset.stopped = 'true';
      body.append(el('p', { class: 'muted stopped', role: 'status', text: t('stopped') }));
    } else {
      body.replaceChildren();
      showError(body, e);
    }
  } finally {
    stopAnswer = null;
    $stop.hidden = true;
    $send.hidden = false;
    $send.disabled = false;
  }
}

// ---------- sources ----------

function clearSources() {
  $('source-list').replaceChildren();
  $('sources-empty').hidden = false;
}

function documentView(id) {
  if (!state.docs.has(id)) {
    const p = api.call('GET', `/v1/documents/${encodeURIComponent(id)}`);
    p.catch(() => state.docs.delete(id));
    state.docs.set(id, p);
  }
  return state.docs.get(id);
}

const CONTEXT = 320; // characters shown on each side of a passage

function passageInContext(doc, c) {
  const chars = Array.from(doc.text); // offsets count code points
  const from = Math.max(0, c.start - CONTEXT);
  const to = Math.min(chars.length, c.end + CONTEXT);
  return el('blockquote', { class: 'context' },
    from > 0 ? t('contextBefore') : null,
    chars.slice(from, c.start).join(''),
    el('mark', { class: 'cited', dataset: { start: String(c.start), end: String(c.end) } }, chars.slice(c.start, c.end).join('')),
    chars.slice(c.end, to).join(''),
    to < chars.length ? t('contextAfter') : null);
}

async function pageImage(c, doc) {
  const q = new URLSearchParams({ start: String(c.start), end: String(c.end) });
  const { blob, headers } = await api.blob(`/v1/documents/${encodeURIComponent(c.document_id)}/pages/${c.page}.png?${q}`);
  const img = el('img', {
    class: 'page-image', src: URL.createObjectURL(blob), alt: t('pageImage', { n: c.page, doc: doc.title || doc.source }),
    dataset: { page: String(c.page), marked: headers.get('X-Ragline-Marked') || '0' },
  });
  img.addEventListener('load', () => URL.revokeObjectURL(img.src), { once: true });
  return img;
}

let sourcesFor = '';
async function showSources(answerId, focus, scroll = true) {
  const info = state.answers.get(answerId);
  if (!info) return;
  $('sources-empty').hidden = true;
  const list = $('source-list');
  if (sourcesFor !== answerId || !list.children.length) {
    sourcesFor = answerId;
    list.replaceChildren(...info.citations.map((c) => {
      const card = el('section', { class: 'source', id: `${answerId}-src-${c.index}`, dataset: { index: String(c.index) }, tabindex: '-1' },
        el('h3', {}, el('span', { class: 'badge', text: String(c.index) }), ' ', c.title || c.source),
        el('p', { class: 'muted small', text: [c.source, c.page ? t('page', { n: c.page }) : '', c.section].filter(Boolean).join(' · ') }),
        el('div', { class: 'passage' }, el('p', { class: 'muted', text: t('loading') })));
      fillSource(card, c);
      return card;
    }));
  }
  for (const card of list.children) card.classList.toggle('focused', card.dataset.index === String(focus));
  const card = $(`${answerId}-src-${focus}`);
  if (card && scroll) {
    card.scrollIntoView({ block: 'nearest' });
    card.focus({ preventScroll: true });
  }
}

async function fillSource(card, c) {
  const slot = card.querySelector('.passage');
  try {
    const doc = await documentView(c.document_id);
    const ctx = passageInContext(doc, c);
    slot.replaceChildren(ctx);
    const mark = ctx.querySelector('mark');
    ctx.scrollTop = Math.max(0, mark.offsetTop - 48); // the box is the mark's offset parent
    if (doc.type === 'pdf' && c.page > 0) {
      try {
        const img = await pageImage(c, doc);
        // The page is shown at the panel's width; the button enlarges it.
        const zoom = el('button', {
          type: 'button', class: 'page-zoom', 'aria-pressed': 'false', 'aria-label': t('enlargePage'), title: t('enlargePage'),
          onclick: () => {
            const on = zoom.getAttribute('aria-pressed') !== 'true';
            zoom.setAttribute('aria-pressed', String(on));
            box.classList.toggle('zoomed', on);
          },
        }, img);
        const box = el('div', { class: 'page-box' }, zoom);
        slot.append(box);
      } catch { /* the text context is enough */ }
    }
  } catch (e) {
    slot.replaceChildren(el('blockquote', { class: 'context' }, el('mark', { class: 'cited' }, c.text)));
  }
}

// ---------- documents ----------

function fmtSize(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1 << 20) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / (1 << 20)).toFixed(1)} MB`;
}

async function loadDocuments() {
  const rows = $('doc-rows');
  try {
    const res = await api.call('GET', `/v1/collections/${encodeURIComponent(state.collection)}/documents`);
    rows.replaceChildren(...res.documents.map((d) => el('tr', { dataset: { doc: d.id } },
      el('td', { class: 'doc-name', text: d.title ? `${d.source} — ${d.title}` : d.source }),
      el('td', { text: d.type }),
      el('td', { class: 'doc-status', text: t(d.chunks === 1 ? 'indexed1' : 'indexed', { n: d.chunks }) }),
      el('td', { class: 'num', text: fmtSize(d.size) }),
      el('td', {}, el('button', { type: 'button', class: 'btn small danger', text: t('delete'), 'aria-label': `${t('delete')} ${d.source}`, onclick: () => removeDocument(d) })))));
    $('docs-empty').hidden = res.documents.length > 0;
  } catch (e) {
    rows.replaceChildren();
    showError($('uploads'), e);
  }
}

function confirmDialog(text) {
  const dlg = $('confirm-dialog');
  $('confirm-text').textContent = text;
  dlg.returnValue = '';
  return new Promise((resolve) => {
    dlg.addEventListener('close', () => resolve(dlg.returnValue === 'ok'), { once: true });
    dlg.showModal();
    dlg.querySelector('button[value="cancel"]').focus();
  });
}

function newCollectionDialog() {
  const dlg = $('collection-dialog');
  const input = $('collection-input');
  input.value = '';
  dlg.returnValue = '';
  return new Promise((resolve) => {
    dlg.addEventListener('close', () => {
      const v = input.value.trim();
      resolve(dlg.returnValue === 'ok' && /^[A-Za-z0-9_.-]{1,64}$/.test(v) ? v : '');
    }, { once: true });
    dlg.showModal();
    input.focus();
  });
}

async function removeSession(s) {
  if (!await confirmDialog(t('confirmDeleteSession', { title: s.title || t('untitled') }))) return;
  try {
    await api.call('DELETE', `/v1/sessions/${encodeURIComponent(s.id)}`);
    if (s.id === state.sessionId) newChat();
  } catch (e) {
    showError($('sessions'), e);
  }
  loadSessions();
}

async function removeDocument(d) {
  if (!await confirmDialog(t('confirmDelete', { name: d.source }))) return;
  try {
    await api.call('DELETE', `/v1/documents/${encodeURIComponent(d.id)}`);
    state.docs.delete(d.id);
    $('uploads').prepend(el('li', { class: 'upload', role: 'status', text: t('deleted', { name: d.source }) }));
  } catch (e) {
    showError($('uploads'), e);
  }
  loadDocuments();
  loadCollections();
}

async function uploadFiles(files) {
  const list = [...files];
  if (!list.length) return;
  const jobs = list.map((f) => {
    const bar = el('progress', { max: '100', value: '0' });
    const status = el('span', { class: 'up-status', text: t('uploading', { pct: 0 }) });
    const item = el('li', { class: 'upload', dataset: { file: f.name } }, el('span', { class: 'up-name', text: f.name }), bar, status);
    $('uploads').prepend(item);
    return { f, bar, status, item };
  });
  // Two at a time: each file gets its own request, so its progress and
  // its error are its own.
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const j = jobs[next++];
      try {
        const r = await api.upload(state.collection, j.f, (pct) => {
          j.bar.value = pct;
          j.status.textContent = pct >= 100 ? t('processing') : t('uploading', { pct });
        });
        j.bar.value = 100;
        j.item.dataset.status = r.status;
        j.status.textContent = r.error ? `${t(r.status)}: ${r.error}` : `${t(r.status)} · ${t(r.chunks === 1 ? 'indexed1' : 'indexed', { n: r.chunks })}`;
        if (r.error) j.item.classList.add('failed');
      } catch (e) {
        j.bar.value = 100;
        j.item.dataset.status = 'failed';
        j.item.classList.add('failed');
        j.status.textContent = `${t('failed')}: ${e.message}`;
      }
      j.status.setAttribute('role', j.item.classList.contains('failed') ? 'alert' : 'status');
    }
  };
  await Promise.all([worker(), worker()]);
  state.docs.clear();
  await loadCollections();
  loadDocuments();
}

// ---------- views, menu, language ----------

function showView(v) {
  const chat = v === 'chat';
  $('view-chat').hidden = !chat;
  $('sources').hidden = !chat;
  $('view-docs').hidden = chat;
  $('tab-chat').setAttribute('aria-pressed', String(chat));
  $('tab-docs').setAttribute('aria-pressed', String(!chat));
  document.body.dataset.view = v;
  if (!chat) loadDocuments();
}

function closeMenu() {
  document.body.classList.remove('menu-open');
  $('menu-toggle').setAttribute('aria-expanded', 'false');
}

function applyLanguage() {
  translatePage();
  // Dynamic parts are rebuilt in the new language.
  loadCollections();
  loadSessions();
  if (!$('view-docs').hidden) loadDocuments();
  for (const m of document.querySelectorAll('.msg')) {
    m.querySelector('.who').textContent = t(m.classList.contains('user') ? 'you' : 'assistant');
  }
  for (const b of document.querySelectorAll('.cite')) b.setAttribute('aria-label', t('openSource', { n: b.dataset.cite }));
  for (const b of document.querySelectorAll('.thumb')) {
    const label = t(b.dataset.rating === 'up' ? 'helpful' : 'notHelpful');
    b.setAttribute('aria-label', label); b.title = label;
  }
  for (const c of document.querySelectorAll('.fb-comment')) { c.placeholder = t('commentPlaceholder'); c.setAttribute('aria-label', t('commentPlaceholder')); }
  for (const b of document.querySelectorAll('.fb-send')) b.textContent = t('sendFeedback');
  for (const b of document.querySelectorAll('.page-zoom')) { b.setAttribute('aria-label', t('enlargePage')); b.title = t('enlargePage'); }
  for (const s of document.querySelectorAll('.trace summary')) {
    const d = s.parentElement.dataset;
    const tokens = Number(d.tokens);
    s.textContent = traceSummary(Number(d.steps), Number(d.ms), tokens ? { total_tokens: tokens } : null);
  }
  $('stop').textContent = t('stop');
}

async function init() {
  translatePage();
  try {
    const res = await fetch('/ui/config.json');
    if (res.ok) state.config = await res.json();
  } catch { /* defaults */ }
  $('key-button').hidden = !state.config.key_required;
  if (state.config.key_required && !api.apiKey()) await askKey('');

  $('composer').addEventListener('submit', (e) => {
    e.preventDefault();
    const q = $('composer-input').value.trim();
    if (!q) return;
    $('composer-input').value = '';
    ask(q);
  });
  $('composer-input').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      $('composer').requestSubmit();
    }
  });
  $('stop').addEventListener('click', () => stopAnswer?.());
  $('sidebar').addEventListener('scroll', moreSessionsIfShort, { passive: true });
  $('new-chat').addEventListener('click', () => { closeMenu(); newChat(); });
  $('tab-chat').addEventListener('click', () => showView('chat'));
  $('tab-docs').addEventListener('click', () => showView('docs'));
  $('collection').addEventListener('change', async (e) => {
    if (e.target.value === NEW_COLLECTION) {
      const name = await newCollectionDialog();
      if (name) {
        if (!state.extraCollections.includes(name)) state.extraCollections.push(name);
        state.collection = name;
        await loadCollections();
      }
      e.target.value = state.collection;
    }
    state.collection = e.target.value;
    if (!$('view-docs').hidden) loadDocuments();
  });
  $('lang-toggle').addEventListener('click', () => { setLang(lang() === 'zh' ? 'en' : 'zh'); applyLanguage(); });
  $('key-button').addEventListener('click', () => askKey(''));
  $('menu-toggle').addEventListener('click', () => {
    const open = document.body.classList.toggle('menu-open');
    $('menu-toggle').setAttribute('aria-expanded', String(open));
  });
  $('key-form').addEventListener('submit', () => { /* method=dialog closes it */ });

  const dz = $('dropzone');
  $('file-input').addEventListener('change', (e) => { uploadFiles(e.target.files); e.target.value = ''; });
  dz.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); $('file-input').click(); } });
  dz.addEventListener('dragover', (e) => { e.preventDefault(); dz.classList.add('over'); });
  dz.addEventListener('dragleave', () => dz.classList.remove('over'));
  dz.addEventListener('drop', (e) => { e.preventDefault(); dz.classList.remove('over'); uploadFiles(e.dataTransfer.files); });

  await loadCollections();
  await loadSessions();
  showView('chat');
  document.body.dataset.ready = 'true';
}

init();
