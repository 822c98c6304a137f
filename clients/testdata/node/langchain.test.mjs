// @langchain/openai against ragline with a chat model: plain chat,
// bindTools, withStructuredOutput, streaming, citations kept (through
// the Responses API, whose annotations LangChain keeps), embeddings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChatOpenAI, OpenAIEmbeddings } from '@langchain/openai';
import { HumanMessage, ToolMessage } from '@langchain/core/messages';
import { z } from 'zod';
import { llmURL as base, offlineURL } from './helpers.mjs';

const chat = (url = base, extra = {}) =>
  new ChatOpenAI({ model: 'default', apiKey: 'unused', maxRetries: 0, configuration: { baseURL: `${url}/v1` }, ...extra });

test('invoke and stream', async () => {
  const m = await chat().invoke('Is parking free for employees?');
  assert.match(m.content, /Parking is free for employees/);
  let streamed = '';
  for await (const chunk of await chat().stream('Is parking free for employees?')) streamed += chunk.content;
  assert.equal(streamed, m.content);
  const offline = await chat(offlineURL).invoke('Is parking free for employees?');
  assert.match(offline.content, /Parking is free for employees/);
});

test('bindTools: tool call, then the tool result continues the turn', async () => {
  const weather = {
    type: 'function',
    function: { name: 'get_weather', description: 'Current weather of a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
  };
  const model = chat().bindTools([weather]);
  const question = new HumanMessage('Is parking free for employees, and what is the weather?');
  const ai = await model.invoke([question]);
  assert.equal(ai.tool_calls.length, 1);
  assert.equal(ai.tool_calls[0].name, 'get_weather');
  assert.deepEqual(ai.tool_calls[0].args, { city: 'Paris' });
  const answer = await model.invoke([question, ai, new ToolMessage({ tool_call_id: ai.tool_calls[0].id, content: 'sunny' })]);
  assert.match(answer.content, /sunny\. Parking is free for employees \[1\]/);
});

test('withStructuredOutput', async () => {
  const schema = z.object({ answer: z.string(), free: z.boolean() });
  const out = await chat().withStructuredOutput(schema, { name: 'parking', method: 'jsonSchema' }).invoke('Is parking free for employees?');
  assert.deepEqual(out, { answer: 'Parking is free for employees [1].', free: true });
});

test('citations kept as annotations (Responses API)', async () => {
  const m = await chat(base, { useResponsesApi: true }).invoke('Is parking free for employees?');
  const blocks = Array.isArray(m.content) ? m.content : [{ type: 'text', text: m.content, annotations: [] }];
  const text = blocks.find((b) => b.type === 'text');
  assert.match(text.text, /Parking is free for employees on level two of the garage \[1\]/);
  assert.ok(text.annotations.length > 0, JSON.stringify(m.content));
  // Each annotation resolves a marker to the cited passage on the server.
  for (const a of text.annotations) {
    const marker = [...text.text].slice(a.startIndex ?? a.start_index, a.endIndex ?? a.end_index).join('');
    assert.equal(marker, '[1]', JSON.stringify(a));
    assert.match(a.url, new RegExp(`^${base}/v1/documents/[0-9a-f]+\\?start=\\d+&end=\\d+$`));
    assert.equal(a.title, 'Parking');
  }
  // The conversation goes on with LangChain's own message history, which
  // sends the earlier answer back as an output_text item; streamed, the
  // text arrives in pieces.
  const model = chat(base, { useResponsesApi: true });
  const history = [new HumanMessage('Is parking free for employees?'), m, new HumanMessage('What do visitors pay?')];
  const next = await model.invoke(history);
  assert.match(JSON.stringify(next.content), /Parking is free/);
  let pieces = 0;
  for await (const chunk of await model.stream(history)) if (JSON.stringify(chunk.content).includes('Parking')) pieces++;
  assert.ok(pieces >= 1);
});

test('embeddings', async () => {
  const e = new OpenAIEmbeddings({ model: 'scripted-embed', apiKey: 'unused', maxRetries: 0, configuration: { baseURL: `${base}/v1` } });
  const v = await e.embedQuery('parking garage');
  assert.equal(v.length, 8);
  const vs = await e.embedDocuments(['parking garage', 'lost badge']);
  assert.deepEqual(vs[0], v);
});
