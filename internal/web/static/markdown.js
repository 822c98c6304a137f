// A small Markdown renderer that builds DOM nodes and never parses HTML:
// raw HTML in the text stays text, and links are kept only for http,
// https and mailto targets. Citation markers [n] become buttons.

const SAFE_URL = /^(https?:|mailto:)/i;

/** Reports whether href may become a link. */
export function safeHref(href) {
  const h = href.trim();
  if (!SAFE_URL.test(h)) return false;
  try { new URL(h); return true; } catch { return false; }
}

/**
 * Renders markdown into a DocumentFragment. onCite(n) builds the node for
 * a citation marker [n]; without it markers stay text.
 */
export function renderMarkdown(src, onCite) {
  const frag = document.createDocumentFragment();
  const lines = String(src ?? '').replace(/\r\n?/g, '\n').split('\n');
  let i = 0;
  let para = [];
  let list = null;
  const flushPara = () => {
    if (para.length) {
      const p = document.createElement('p');
      inline(p, para.join('\n'), onCite);
      frag.append(p);
      para = [];
    }
  };
  const flushList = () => { if (list) { frag.append(list); list = null; } };
  while (i < lines.length) {
    const line = lines[i];
    const fence = line.match(/^\s*(```|~~~)/);
    if (fence) {
      flushPara(); flushList();
      const code = [];
      i++;
      while (i < lines.length && !lines[i].trim().startsWith(fence[1])) code.push(lines[i++]);
      i++;
      const pre = document.createElement('pre');
      const c = document.createElement('code');
      c.textContent = code.join('\n');
      pre.append(c);
      frag.append(pre);
      continue;
    }
    const h = line.match(/^(#{1,6})\s+(.*)$/);
    if (h) {
      flushPara(); flushList();
      const el = document.createElement('h' + Math.min(6, h[1].length + 2));
      inline(el, h[2], onCite);
      frag.append(el);
      i++;
      continue;
    }
    const li = line.match(/^\s*([-*+]|\d+[.)])\s+(.*)$/);
    if (li) {
      flushPara();
      const ordered = /\d/.test(li[1]);
      const tag = ordered ? 'OL' : 'UL';
      if (!list || list.tagName !== tag) { flushList(); list = document.createElement(tag); }
      const item = document.createElement('li');
      inline(item, li[2], onCite);
      list.append(item);
      i++;
      continue;
    }
    if (line.trim() === '') { flushPara(); flushList(); i++; continue; }
    flushList();
    para.push(line);
    i++;
  }
  flushPara(); flushList();
  return frag;
}

// Inline syntax, tried in this order at each position.
const INLINE = /(`[^`\n]+`)|(\*\*[^*\n]+\*\*)|(\*[^*\s][^*\n]*\*)|(\[[^\]\n]*\]\([^)\s]*\))|(\[\d{1,3}\])/;

/** Appends the inline markdown of text to parent as safe nodes. */
export function inline(parent, text, onCite) {
  let rest = text;
  while (rest.length) {
    const m = rest.match(INLINE);
    if (!m) { appendText(parent, rest); return; }
    if (m.index > 0) appendText(parent, rest.slice(0, m.index));
    const tok = m[0];
    if (m[1]) {
      const c = document.createElement('code');
      c.textContent = tok.slice(1, -1);
      parent.append(c);
    } else if (m[2]) {
      const b = document.createElement('strong');
      inline(b, tok.slice(2, -2), onCite);
      parent.append(b);
    } else if (m[3]) {
      const e = document.createElement('em');
      inline(e, tok.slice(1, -1), onCite);
      parent.append(e);
    } else if (m[4]) {
      const lm = tok.match(/^\[([^\]]*)\]\(([^)\s]*)\)$/);
      if (lm && safeHref(lm[2])) {
        const a = document.createElement('a');
        a.href = lm[2];
        a.rel = 'noopener noreferrer nofollow';
        a.target = '_blank';
        a.textContent = lm[1] || lm[2];
        parent.append(a);
      } else {
        appendText(parent, tok); // unsafe target: shown as the text it is
      }
    } else if (m[5]) {
      const n = Number(tok.slice(1, -1));
      parent.append(onCite ? onCite(n, tok) : document.createTextNode(tok));
    }
    rest = rest.slice(m.index + tok.length);
  }
}

function appendText(parent, s) {
  const parts = s.split('\n');
  parts.forEach((p, k) => {
    if (k > 0) parent.append(document.createElement('br'));
    if (p) parent.append(document.createTextNode(p));
  });
}
