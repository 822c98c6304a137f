// The official openai SDK against ragline answering with a chat model
// (a scripted OpenAI-wire server the Go test runs): client tools,
// structured output, limits passed to the model, embeddings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { llmURL as base, client, checkAnnotations, modelRequests } from './helpers.mjs';

const openai = client(base);
const question = 'Is parking free for employees, and what is the weather?';
const tools = [{
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather of a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
}];

test('tools round trip: tool_calls out, the tool result continues the turn', async () => {
  const messages = [{ role: 'user', content: question }];
  const first = await openai.chat.completions.create({ model: 'default', messages, tools, tool_choice: 'auto', parallel_tool_calls: false });
  const choice = first.choices[0];
  assert.equal(choice.finish_reason, 'tool_calls');
  assert.equal(choice.message.content, null);
  const [call] = choice.message.tool_calls;
  assert.equal(call.type, 'function');
  assert.equal(call.function.name, 'get_weather');
  assert.deepEqual(JSON.parse(call.function.arguments), { city: 'Paris' });

  // The model saw the client's tools next to ragline's numbered sources.
  let sent = (await modelRequests()).at(-1);
  assert.equal(sent.tools[0].function.name, 'get_weather');
  assert.equal(sent.tool_choice, 'auto');
  assert.equal(sent.parallel_tool_calls, false);
  assert.match(sent.messages.at(-1).content, /\[1\] parking\.md/);

  messages.push(choice.message, { role: 'tool', tool_call_id: call.id, content: 'sunny' });
  const second = await openai.chat.completions.create({ model: 'default', messages, tools });
  const msg = second.choices[0].message;
  assert.equal(second.choices[0].finish_reason, 'stop');
  assert.match(msg.content, /The weather tool says sunny\. Parking is free for employees \[1\]\./);
  await checkAnnotations(base, msg.content, msg.annotations, second.citations);
  sent = (await modelRequests()).at(-1);
  assert.deepEqual(sent.messages.slice(-2).map((m) => m.role), ['assistant', 'tool']);
  assert.equal(sent.messages.at(-2).tool_calls[0].id, call.id);
});

test('tools streamed as tool_calls deltas', async () => {
  const stream = await openai.chat.completions.create({
    model: 'default', stream: true, tools, messages: [{ role: 'user', content: question }],
  });
  const calls = [];
  let finish;
  for await (const chunk of stream) {
    const ch = chunk.choices[0];
    for (const d of ch?.delta?.tool_calls ?? []) {
      calls[d.index] ??= { id: '', name: '', arguments: '' };
      calls[d.index].id += d.id ?? '';
      calls[d.index].name += d.function?.name ?? '';
      calls[d.index].arguments += d.function?.arguments ?? '';
    }
    finish = ch?.finish_reason ?? finish;
  }
  assert.equal(finish, 'tool_calls');
  assert.deepEqual(calls, [{ id: 'call_weather_1', name: 'get_weather', arguments: '{"city":"Paris"}' }]);

  // The SDK's stream helper assembles the same call.
  const helper = openai.chat.completions.stream({ model: 'default', tools, messages: [{ role: 'user', content: question }] });
  const done = await helper.finalChatCompletion();
  assert.equal(done.choices[0].message.tool_calls[0].function.arguments, '{"city":"Paris"}');
});

test('structured output: json_schema passed to the model, answer validated, citations kept', async () => {
  const schema = {
    type: 'object',
    properties: { answer: { type: 'string' }, free: { type: 'boolean' } },
    required: ['answer', 'free'],
    additionalProperties: false,
  };
  const c = await openai.chat.completions.create({
    model: 'default',
    messages: [{ role: 'user', content: 'Is parking free for employees?' }],
    response_format: { type: 'json_schema', json_schema: { name: 'parking', schema, strict: true } },
  });
  const msg = c.choices[0].message;
  assert.deepEqual(JSON.parse(msg.content), { answer: 'Parking is free for employees [1].', free: true });
  await checkAnnotations(base, msg.content, msg.annotations, c.citations);
  assert.equal((await modelRequests()).at(-1).response_format.json_schema.name, 'parking');

  // An answer that breaks the schema is a model error, not a success.
  await assert.rejects(
    openai.chat.completions.create({
      model: 'default',
      messages: [{ role: 'user', content: 'Is parking free for employees?' }],
      response_format: { type: 'json_schema', json_schema: { name: 'strict', schema: { type: 'object', required: ['missing'] } } },
    }),
    (e) => e.status === 502 && e.param === 'response_format' && /does not match response_format/.test(e.message),
  );
});

test('limits and sampling reach the model; user is recorded in the trace', async () => {
  const c = await openai.chat.completions.create({
    model: 'default',
    messages: [{ role: 'system', content: 'Answer in English.' }, { role: 'user', content: 'Is parking free for employees?' }],
    temperature: 0.3, top_p: 0.9, seed: 42, stop: ['Visitors'], user: 'alice', max_completion_tokens: 200,
  });
  const sent = (await modelRequests()).at(-1);
  assert.equal(sent.temperature, 0.3);
  assert.equal(sent.top_p, 0.9);
  assert.equal(sent.seed, 42);
  assert.deepEqual(sent.stop, ['Visitors']);
  assert.equal(sent.user, 'alice');
  assert.equal(sent.max_tokens, 200);
  assert.ok(sent.messages.some((m) => m.role === 'system' && m.content === 'Answer in English.'), 'instructions not passed');
  assert.ok(!c.choices[0].message.content.includes('Visitors'));
  assert.deepEqual(c.ragline.trace[0], { step: 'request', duration_ms: 0, detail: { api: 'chat.completions', user: 'alice' } });

  const cut = await openai.chat.completions.create({ model: 'default', messages: [{ role: 'user', content: 'Is parking free for employees?' }], max_tokens: 3 });
  assert.equal(cut.choices[0].finish_reason, 'length');
  assert.equal(cut.choices[0].message.content, 'Parking is free');
});

test('embeddings come from the configured embedding model', async () => {
  const e = await openai.embeddings.create({ model: 'scripted-embed', input: ['parking garage', 'lost badge'] });
  assert.equal(e.data.length, 2);
  assert.equal(e.data[0].embedding.length, 8);
  const floats = await openai.embeddings.create({ model: 'scripted-embed', input: 'parking garage', encoding_format: 'float' });
  assert.deepEqual(floats.data[0].embedding, e.data[0].embedding);
  assert.ok(e.usage.prompt_tokens > 0);
});

test('Responses API: text.format json_schema becomes the model\'s response_format', async () => {
  const schema = { type: 'object', properties: { answer: { type: 'string' }, free: { type: 'boolean' } }, required: ['answer', 'free'], additionalProperties: false };
  const r = await openai.responses.create({
    model: 'default', input: 'Is parking free for employees?',
    text: { format: { type: 'json_schema', name: 'parking', schema, strict: true } },
  });
  assert.deepEqual(JSON.parse(r.output_text), { answer: 'Parking is free for employees [1].', free: true });
  await checkAnnotations(base, r.output_text, r.output[0].content[0].annotations, r.citations);
  const sent = (await modelRequests()).at(-1);
  assert.equal(sent.response_format.type, 'json_schema');
  assert.equal(sent.response_format.json_schema.name, 'parking');
});

test('Responses API with a chat model: instructions reach it, streamed text matches', async () => {
  const r = await openai.responses.create({ model: 'default', input: 'Is parking free for employees?', instructions: 'Reply briefly.', user: 'bob' });
  assert.match(r.output_text, /Parking is free for employees/);
  await checkAnnotations(base, r.output_text, r.output[0].content[0].annotations, r.citations);
  const sent = (await modelRequests()).at(-1);
  assert.ok(sent.messages.some((m) => m.role === 'system' && m.content === 'Reply briefly.'));
  assert.equal(sent.user, 'bob');

  let text = '';
  for await (const ev of await openai.responses.create({ model: 'default', input: 'Is parking free for employees?', stream: true })) {
    if (ev.type === 'response.output_text.delta') text += ev.delta;
  }
  assert.equal(text, r.output_text);
});
