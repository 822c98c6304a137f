// Shared set-up of the client tests: the servers the Go test started.
import assert from 'node:assert/strict';
import OpenAI from 'openai';

export const offlineURL = must('RAGLINE_OFFLINE_URL');
export const llmURL = must('RAGLINE_LLM_URL');
export const requestsURL = must('MODEL_REQUESTS_URL');

function must(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run these tests with go test ./clients/`);
  return v;
}

export function client(base) {
  return new OpenAI({ baseURL: `${base}/v1`, apiKey: 'unused', maxRetries: 0 });
}

// modelRequests returns the chat requests the scripted model received.
export async function modelRequests() {
  const res = await fetch(requestsURL);
  return res.json();
}

// checkAnnotations asserts that every url_citation annotation points at
// an [n] marker of content and at the cited passage on the server: the
// URL serves the document, whose text at the URL's offsets is the
// citation's text.
export async function checkAnnotations(base, content, annotations, citations) {
  assert.ok(annotations.length > 0, 'no annotations');
  const chars = [...content];
  for (const a of annotations) {
    const c = a.url_citation ?? a; // Chat Completions nests, Responses does not
    assert.equal(a.type, 'url_citation');
    const marker = chars.slice(c.start_index, c.end_index).join('');
    assert.match(marker, /^\[\d+\]$/, `annotation ${c.start_index}..${c.end_index} is ${JSON.stringify(marker)}`);
    const cited = citations.find((x) => `[${x.index}]` === marker);
    assert.ok(cited, `no citation for ${marker}`);
    assert.equal(c.title, cited.title || cited.source);
    const url = new URL(c.url);
    assert.equal(url.origin, base);
    assert.equal(url.pathname, `/v1/documents/${cited.document_id}`);
    const [start, end] = [Number(url.searchParams.get('start')), Number(url.searchParams.get('end'))];
    const doc = await (await fetch(url)).json();
    assert.equal([...doc.text].slice(start, end).join(''), cited.text);
  }
}
