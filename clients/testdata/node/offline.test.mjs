// The official openai SDK against ragline answering offline (extracted
// sentences, no chat model).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { offlineURL as base, client, checkAnnotations } from './helpers.mjs';

const openai = client(base);
const question = 'Is parking free for employees?';
const ask = (extra = {}) =>
  openai.chat.completions.create({ model: 'default', messages: [{ role: 'user', content: question }], ...extra });

test('models lists the default collection', async () => {
  const ids = [];
  for await (const m of openai.models.list()) ids.push(m.id);
  assert.deepEqual(ids, ['default']);
  assert.equal((await openai.models.retrieve('default')).owned_by, 'ragline');
});

test('chat answers with citations as url_citation annotations', async () => {
  const c = await ask();
  const msg = c.choices[0].message;
  assert.match(msg.content, /Parking is free for employees/);
  assert.equal(c.choices[0].finish_reason, 'stop');
  await checkAnnotations(base, msg.content, msg.annotations, c.citations);
});

test('streaming: content pieces, annotations in the final chunk, usage when asked', async () => {
  const whole = (await ask()).choices[0].message.content;
  const stream = await ask({ stream: true, stream_options: { include_usage: true } });
  let content = '';
  let final;
  let usage;
  for await (const chunk of stream) {
    const ch = chunk.choices[0];
    if (ch?.delta?.content) content += ch.delta.content;
    if (ch?.finish_reason) final = chunk;
    if (chunk.usage) usage = chunk.usage;
  }
  assert.equal(content, whole);
  assert.equal(final.choices[0].finish_reason, 'stop');
  await checkAnnotations(base, content, final.choices[0].delta.annotations, final.citations);
  assert.ok(usage.completion_tokens > 0 && usage.total_tokens === usage.prompt_tokens + usage.completion_tokens);
});

test('max_tokens cuts at a token boundary with finish_reason length', async () => {
  const whole = (await ask()).choices[0].message.content;
  for (const extra of [{ max_tokens: 5 }, { max_completion_tokens: 5 }]) {
    const c = await ask(extra);
    const { content } = c.choices[0].message;
    assert.equal(c.choices[0].finish_reason, 'length');
    assert.ok(content.length > 0 && whole.startsWith(content), `${JSON.stringify(content)} is not a prefix of ${JSON.stringify(whole)}`);
    assert.ok(c.usage.completion_tokens <= 5, `completion_tokens ${c.usage.completion_tokens}`);
    assert.deepEqual(c.citations, []); // the marker was cut off
  }
  // Streamed, the pieces stop at the same place.
  let streamed = '';
  let finish;
  for await (const chunk of await ask({ max_tokens: 5, stream: true })) {
    streamed += chunk.choices[0]?.delta?.content ?? '';
    finish = chunk.choices[0]?.finish_reason ?? finish;
  }
  assert.equal(streamed, (await ask({ max_tokens: 5 })).choices[0].message.content);
  assert.equal(finish, 'length');
});

test('stop ends the answer before the stop string', async () => {
  const c = await ask({ stop: ['garage'] });
  assert.equal(c.choices[0].message.content, 'Parking is free for employees on level two of the');
  assert.equal(c.choices[0].finish_reason, 'stop');
});

test('n > 1 is rejected clearly', async () => {
  await assert.rejects(ask({ n: 2 }), (e) => {
    assert.ok(e instanceof OpenAI.BadRequestError);
    assert.equal(e.param, 'n');
    assert.match(e.message, /n must be 1/);
    return true;
  });
});

test('tools and response_format need a chat model: 400 naming the field', async () => {
  const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: {} } } }];
  for (const [extra, field] of [
    [{ tools }, 'tools'],
    [{ response_format: { type: 'json_object' } }, 'response_format'],
  ]) {
    await assert.rejects(ask(extra), (e) => {
      assert.ok(e instanceof OpenAI.BadRequestError);
      assert.equal(e.param, field);
      assert.equal(e.type, 'invalid_request');
      assert.match(e.message, /needs a chat model/);
      return true;
    });
  }
});

test('embeddings without an embedding model: JSON 404', async () => {
  await assert.rejects(openai.embeddings.create({ model: 'any', input: 'parking' }), (e) => {
    assert.ok(e instanceof OpenAI.NotFoundError);
    assert.match(e.message, /no embedding model is configured/);
    return true;
  });
});

test('unknown /v1 routes answer JSON errors', async () => {
  for (const [method, path, status] of [
    ['GET', '/v1/embeddings', 405],
    ['GET', '/v1/nothing-here', 404],
    ['POST', '/v1/assistants', 404],
  ]) {
    const res = await fetch(base + path, { method });
    assert.equal(res.status, status, `${method} ${path}`);
    assert.match(res.headers.get('content-type'), /^application\/json/);
    const body = await res.json();
    assert.ok(body.error.message && body.error.type, JSON.stringify(body));
  }
});

test('Responses API: text input, output_text with url_citation annotations', async () => {
  const r = await openai.responses.create({ model: 'default', input: question, instructions: 'Be brief.' });
  assert.equal(r.status, 'completed');
  assert.equal(r.instructions, 'Be brief.');
  assert.match(r.output_text, /Parking is free for employees/);
  const part = r.output[0].content[0];
  assert.equal(part.type, 'output_text');
  await checkAnnotations(base, part.text, part.annotations, r.citations);
  assert.ok(r.usage.output_tokens > 0);
});

test('Responses API: previous_response_id continues the conversation as a session', async () => {
  const first = await openai.responses.create({ model: 'default', input: [{ role: 'user', content: question }] });
  const second = await openai.responses.create({ model: 'default', input: 'What do visitors pay?', previous_response_id: first.id });
  assert.equal(second.previous_response_id, first.id);
  assert.match(second.output_text, /five dollars/);
  const session = first.id.replace(/^resp_/, '').replace(/_\d+$/, '');
  const s = await (await fetch(`${base}/v1/sessions/${session}`)).json();
  assert.deepEqual(s.turns.map((t) => t.question), [question, 'What do visitors pay?']);
  await assert.rejects(
    openai.responses.create({ model: 'default', input: 'again', previous_response_id: 'resp_nosuchsession_0' }),
    (e) => e instanceof OpenAI.NotFoundError && e.param === 'previous_response_id',
  );
});

test('Responses API: streamed events', async () => {
  const stream = await openai.responses.create({ model: 'default', input: question, stream: true });
  const types = [];
  let text = '';
  let done;
  const annotations = [];
  for await (const ev of stream) {
    types.push(ev.type);
    if (ev.type === 'response.output_text.delta') text += ev.delta;
    if (ev.type === 'response.output_text.annotation.added') annotations.push(ev.annotation);
    if (ev.type === 'response.completed') done = ev.response;
  }
  assert.deepEqual(types.slice(0, 4), ['response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added']);
  assert.deepEqual(types.slice(-4), ['response.output_text.done', 'response.content_part.done', 'response.output_item.done', 'response.completed']);
  assert.ok(types.includes('response.output_text.delta'));
  assert.equal(text, done.output[0].content[0].text);
  assert.deepEqual(annotations, done.output[0].content[0].annotations);
  await checkAnnotations(base, text, annotations, done.citations);

  // The SDK's stream helper assembles the same response.
  const helper = openai.responses.stream({ model: 'default', input: question });
  const final = await helper.finalResponse();
  assert.equal(final.output_text, text);
});

test('Responses API: max_output_tokens makes the response incomplete', async () => {
  const r = await openai.responses.create({ model: 'default', input: question, max_output_tokens: 5 });
  assert.equal(r.status, 'incomplete');
  assert.equal(r.incomplete_details.reason, 'max_output_tokens');
});
