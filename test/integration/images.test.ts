// Images in chat messages: USER messages as parts (text and images by data: or https URL), sent as
// OpenAI's content parts; every limit (count, size, URL form, who may send parts) checked before
// any upstream call; the vision capability required; each image counted by the cost limit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect } from '../support/sse.ts';
import { MODEL, startStack, type Stack } from '../support/stack.ts';

const CHAT = /* GraphQL */ `
  mutation Ask($model: ID! = "${MODEL}", $messages: [ChatMessageInput!]!) {
    chat(model: $model, messages: $messages, maxTokens: 8) {
      __typename
      ... on ChatCompletion {
        reply {
          content
        }
        usage {
          promptTokens
        }
      }
      ... on GatewayError {
        code
        message
      }
      ... on InvalidInputError {
        argument
      }
      ... on UnsupportedByModelError {
        capability
      }
    }
  }
`;
const STREAM = /* GraphQL */ `
  subscription Ask($messages: [ChatMessageInput!]!) {
    chatStream(model: "${MODEL}", messages: $messages, maxTokens: 8) {
      __typename
      ... on ChatChunk {
        content
      }
    }
  }
`;

// A 1×1 PNG.
const PNG =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
const question = (...images: string[]) => [
  {
    role: 'USER',
    parts: [
      { type: 'TEXT', text: 'What is in this picture?' },
      ...images.map((imageUrl) => ({ type: 'IMAGE', imageUrl })),
    ],
  },
];

describe('images in chat messages', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack(
      {
        MAX_IMAGES: '2',
        MAX_IMAGE_BYTES: '100',
        MODEL_CAPABILITIES: 'sim/lorem-70b*=tools',
        MAX_OPERATION_COST: '3500',
      },
      { tokenDelayMs: 0 },
    );
  });
  afterAll(() => stack.close());
  const lastBody = () =>
    stack.sim.requests.filter((r) => r.path === '/v1/chat/completions').at(-1)!.body as {
      messages: unknown[];
    };

  it('asks about an image (data URL and https) as content parts, the images counted in the prompt', async () => {
    const { data } = await stack.gql(CHAT, {
      messages: [
        { role: 'SYSTEM', content: 'Be brief.' },
        ...question(PNG, 'https://images.example.com/cat.jpg'),
      ],
    });
    expect(data!.chat.__typename, data!.chat.message).toBe('ChatCompletion');
    expect(data!.chat.reply.content).not.toBe('');
    expect(lastBody().messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is in this picture?' },
          { type: 'image_url', image_url: { url: PNG } },
          { type: 'image_url', image_url: { url: 'https://images.example.com/cat.jpg' } },
        ],
      },
    ]);
    const { data: plain } = await stack.gql(CHAT, {
      messages: [{ role: 'USER', parts: [{ type: 'TEXT', text: 'What is in this picture?' }] }],
    });
    // Each image is prompt tokens the model reads.
    expect(data!.chat.usage.promptTokens - plain!.chat.usage.promptTokens).toBeGreaterThan(2 * 200);
  });

  it('streams an answer about an image', async () => {
    const events = await collect(stack.endpoint, STREAM, { messages: question(PNG) });
    expect(events.at(-1)!.__typename).toBe('ChatDone');
    expect(events.some((e) => e.__typename === 'ChatChunk')).toBe(true);
  });

  const refusals: [string, unknown[], string, string][] = [
    [
      'content and parts both',
      [{ role: 'USER', content: 'x', parts: [{ type: 'TEXT', text: 'x' }] }],
      'messages[0]',
      'give one of content and parts',
    ],
    [
      'neither content nor parts',
      [{ role: 'USER' }],
      'messages[0]',
      'give one of content and parts',
    ],
    [
      'parts on a SYSTEM message',
      [{ role: 'SYSTEM', parts: [{ type: 'TEXT', text: 'x' }] }],
      'messages[0].parts',
      'only USER messages take parts',
    ],
    ['no parts', [{ role: 'USER', parts: [] }], 'messages[0].parts', 'must hold at least one part'],
    [
      'an IMAGE without a URL',
      [{ role: 'USER', parts: [{ type: 'IMAGE' }] }],
      'messages[0].parts[0].imageUrl',
      'IMAGE needs an imageUrl',
    ],
    [
      'a TEXT with a URL',
      [{ role: 'USER', parts: [{ type: 'TEXT', text: 'x', imageUrl: PNG }] }],
      'messages[0].parts[0].imageUrl',
      'only IMAGE takes it',
    ],
    [
      'an IMAGE with text',
      [{ role: 'USER', parts: [{ type: 'IMAGE', imageUrl: PNG, text: 'x' }] }],
      'messages[0].parts[0].text',
      'only TEXT takes it',
    ],
    [
      'a TEXT without text',
      [{ role: 'USER', parts: [{ type: 'TEXT' }] }],
      'messages[0].parts[0].text',
      'TEXT needs a text',
    ],
    [
      'a plain http URL',
      question('http://images.example.com/cat.jpg'),
      'messages[0].parts[1].imageUrl',
      'must be a data: URL or an https URL',
    ],
    [
      'a file URL',
      question('file:///etc/passwd'),
      'messages[0].parts[1].imageUrl',
      'must be a data: URL or an https URL',
    ],
    [
      'a URL with credentials',
      question('https://u:p@images.example.com/a.png'),
      'messages[0].parts[1].imageUrl',
      'must not carry credentials in the URL',
    ],
    [
      'a data URL of no image',
      question('data:text/html;base64,PGI+aGk8L2I+'),
      'messages[0].parts[1].imageUrl',
      'a data URL must be data:image/png|jpeg|webp|gif;base64,<base64>',
    ],
    [
      'a data URL that is not base64',
      question('data:image/png;base64,@@@@'),
      'messages[0].parts[1].imageUrl',
      'a data URL must be data:image/png|jpeg|webp|gif;base64,<base64>',
    ],
    [
      'an image over MAX_IMAGE_BYTES',
      question(`data:image/png;base64,${'A'.repeat(136)}`),
      'messages[0].parts[1].imageUrl',
      'the image is 102 bytes, more than MAX_IMAGE_BYTES (100)',
    ],
    [
      'more than MAX_IMAGES images',
      question(PNG, PNG, PNG),
      'messages',
      'must hold at most 2 images, got 3',
    ],
  ];
  for (const [what, messages, argument, message] of refusals) {
    it(`refuses ${what} as InvalidInputError on ${argument}, sending nothing`, async () => {
      const before = stack.sim.requests.length;
      const { data } = await stack.gql(CHAT, { messages });
      expect(data!.chat).toMatchObject({
        __typename: 'InvalidInputError',
        code: 'BAD_USER_INPUT',
        argument,
      });
      expect(data!.chat.message).toBe(`${argument}: ${message}`);
      expect(stack.sim.requests.length).toBe(before);
    });
  }

  it('accepts exactly MAX_IMAGES images and an image of exactly MAX_IMAGE_BYTES', async () => {
    const hundred = `data:image/png;base64,${'A'.repeat(132)}ag==`;
    expect(hundred.length - 'data:image/png;base64,'.length).toBe(136);
    const { data } = await stack.gql(CHAT, { messages: question(PNG, hundred) });
    expect(data!.chat.__typename, data!.chat.message).toBe('ChatCompletion');
  });

  it('refuses images for a model without vision, typed, before any upstream call', async () => {
    const before = stack.sim.requests.length;
    const { data } = await stack.gql(CHAT, {
      model: 'sim/lorem-70b-instruct',
      messages: question(PNG),
    });
    expect(data!.chat).toMatchObject({
      __typename: 'UnsupportedByModelError',
      code: 'UNSUPPORTED_BY_MODEL',
      capability: 'VISION',
    });
    expect(stack.sim.requests.length).toBe(before);
    const text = await stack.gql(CHAT, {
      model: 'sim/lorem-70b-instruct',
      messages: [{ role: 'USER', parts: [{ type: 'TEXT', text: 'no image' }] }],
    });
    expect(text.data!.chat.__typename).toBe('ChatCompletion');
  });

  it('counts each image in the cost limit: two chats with an image each fit 3500, with two each they do not', async () => {
    const twice = /* GraphQL */ `
      mutation Two($a: [ChatMessageInput!]!, $b: [ChatMessageInput!]!) {
        a: chat(model: "${MODEL}", messages: $a, maxTokens: 8) { __typename }
        b: chat(model: "${MODEL}", messages: $b, maxTokens: 8) { __typename }
      }
    `;
    const fits = await stack.gql(twice, { a: question(PNG), b: question(PNG) });
    expect(fits.errors, JSON.stringify(fits.errors)).toBeUndefined();
    const before = stack.sim.requests.length;
    const over = await stack.gql(twice, { a: question(PNG, PNG), b: question(PNG, PNG) });
    expect(over.status).toBe(400);
    expect(over.errors![0]!.extensions).toMatchObject({
      code: 'COST_LIMIT_EXCEEDED',
      cost: 8 + 8 + 4 * 1024,
    });
    expect(stack.sim.requests.length).toBe(before);
  });
});
