// GraphiQL's HTML page as a browser reads it, without a browser: its elements split as the HTML
// tokenizer splits them (a script element ends at the first `</script`), its attributes decoded, and
// its inline scripts run in a context that stands in for the window and GraphiQL's bundle, to see
// what GraphiQL is handed.
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { GraphiQLAssets } from '../../src/plugins/graphiql-assets.ts';
import { exampleTabs, graphiqlPage } from '../../src/plugins/graphiql-page.ts';

/** Paths with every character that HTML escapes: each must come back as it was. */
const ASSETS: GraphiQLAssets = {
  files: new Map(),
  script: '/g/graphiql.js?a=1&b="2"',
  style: "/g/graphiql.css?c='3'&d=<4>",
  icon: '/g/favicon.ico?e=&amp;',
  workers: {
    editorWorkerService: '/g/editor.worker.js?</script>',
    json: '/g/json.worker.js?<!--',
    graphql: '/g/graphql.worker.js?&x=1',
  },
};

const ENTITIES: Record<string, string> = {
  '&amp;': '&',
  '&lt;': '<',
  '&gt;': '>',
  '&quot;': '"',
  '&#39;': "'",
};
/** An attribute value or text as the browser decodes it (the five entities the page may use). */
const decode = (text: string) =>
  text.replace(/&(amp|lt|gt|quot|#39);/g, (entity) => ENTITIES[entity]!);

/** A raw `&` that starts no entity, or a raw `<`, `>`, `"` or `'` in text or in a quoted value. */
const UNESCAPED = /&(?!(amp|lt|gt|quot|#39);)|[<>"']/;

interface Element {
  tag: string;
  attributes: Record<string, string>;
  /** The raw text up to the closing tag (script and title only). */
  text: string;
}

/** The page's elements in order, split as the tokenizer does (for the markup this page uses). */
function elements(page: string): Element[] {
  const found: Element[] = [];
  const tag = /<([a-z]+)((?:\s+[a-z-]+(?:="[^"]*")?)*)\s*\/?>/g;
  for (let match = tag.exec(page); match !== null; match = tag.exec(page)) {
    const attributes: Record<string, string> = {};
    for (const [, name, value] of match[2]!.matchAll(/([a-z-]+)(?:="([^"]*)")?/g)) {
      expect(value ?? '', `the value of ${name}`).not.toMatch(UNESCAPED);
      attributes[name!] = decode(value ?? '');
    }
    let text = '';
    if (match[1] === 'script' || match[1] === 'title') {
      const end = page.indexOf(`</${match[1]}`, tag.lastIndex);
      text = page.slice(tag.lastIndex, end);
      tag.lastIndex = end;
    }
    found.push({ tag: match[1]!, attributes, text });
  }
  return found;
}

interface Rendered {
  root: unknown;
  options: unknown;
  monaco: { globalAPI: boolean; getWorkerUrl(moduleId: string, label: string): string };
}

/**
 * Runs the page's scripts in order as a browser would, GraphiQL's bundle standing in for the
 * external one: what renderYogaGraphiQL is called with, and Monaco's environment at that moment.
 */
function render(page: string, script: string): Rendered {
  const root = { id: 'root' };
  const rendered: Partial<Rendered>[] = [];
  const window: Record<string, unknown> = {
    document: { querySelector: (selector: string) => (selector === '#root' ? root : null) },
  };
  window.self = window;
  for (const element of elements(page).filter((e) => e.tag === 'script')) {
    if (element.attributes.src !== undefined) {
      expect(element.attributes.src).toBe(script);
      expect(element.text).toBe('');
      window.YogaGraphiQL = {
        renderYogaGraphiQL: (node: unknown, options: unknown) =>
          rendered.push({
            root: node,
            options,
            monaco: window.MonacoEnvironment as Rendered['monaco'],
          }),
      };
      continue;
    }
    runInNewContext(element.text, window);
  }
  expect(rendered).toHaveLength(1);
  expect(rendered[0]!.root, 'GraphiQL renders into #root').toBe(root);
  return rendered[0] as Rendered;
}

describe('the GraphiQL page', () => {
  const options = {
    title: `Tom's "<b>gateway</b>" & more`,
    defaultTabs: [
      {
        query: '# </script><script>alert(1)</script> <!-- & -->\n{ models { id } }',
        variables: '{"a": "</SCRIPT >"}',
      },
    ],
    additionalHeaders: { 'x-graphql-yoga-csrf': '1' },
    headers: '{"Authorization": "Bearer <your key>"}',
  };
  // Rendered in each test, not while the file loads: what a test checks must run inside it.
  const rendered = () => graphiqlPage(ASSETS, options);

  it('is an HTML document with its title escaped', () => {
    const page = rendered();
    expect(page.startsWith('<!doctype html>\n<html lang="en">')).toBe(true);
    const title = elements(page).find((e) => e.tag === 'title')!;
    expect(title.text).not.toMatch(UNESCAPED);
    expect(decode(title.text)).toBe(options.title);
    expect(elements(page).find((e) => e.tag === 'meta')!.attributes.charset).toBe('utf-8');
    const titled = (title?: string) =>
      decode(elements(graphiqlPage(ASSETS, { title })).find((e) => e.tag === 'title')!.text);
    expect(titled(undefined), 'without a title').toBe('GraphiQL');
    expect(titled(''), 'an empty title stays empty').toBe('');
  });

  it('links its icon and stylesheet, and loads GraphiQL from its script, by the paths given', () => {
    const page = rendered();
    const links = elements(page).filter((e) => e.tag === 'link');
    expect(links.map((link) => link.attributes)).toEqual([
      { rel: 'icon', href: ASSETS.icon },
      { rel: 'stylesheet', href: ASSETS.style },
    ]);
    const scripts = elements(page).filter((e) => e.tag === 'script');
    expect(scripts.map((script) => script.attributes.src)).toEqual([
      undefined,
      ASSETS.script,
      undefined,
    ]);
    expect(elements(page).find((e) => e.tag === 'div')!.attributes.id).toBe('root');
  });

  it('hands GraphiQL its options exactly, whatever markup their strings hold', () => {
    const page = rendered();
    const { options: handed } = render(page, ASSETS.script);
    expect(handed).toEqual(options);
    for (const script of elements(page).filter((e) => e.tag === 'script'))
      expect(script.text, 'no <, & or > (but the arrow of a function) inside a script').not.toMatch(
        /[<&]|[^=]>/,
      );
  });

  it("gives Monaco each worker's URL by its label, without Monaco's global API", () => {
    const { monaco } = render(rendered(), ASSETS.script);
    expect(monaco.globalAPI).toBe(false);
    expect(monaco.getWorkerUrl('any', 'editorWorkerService')).toBe(
      ASSETS.workers.editorWorkerService,
    );
    expect(monaco.getWorkerUrl('any', 'json')).toBe(ASSETS.workers.json);
    expect(monaco.getWorkerUrl('any', 'graphql')).toBe(ASSETS.workers.graphql);
  });
});

describe('the example tabs', () => {
  const models = { generation: 'g/m', embedding: 'e/m', ranking: 'r/m' };
  const named = (name: string) => {
    const tabs = exampleTabs(models)!;
    const tab = tabs.find((t) =>
      new RegExp(`^(query|mutation|subscription) ${name}\\b`, 'm').test(t.query!),
    );
    expect(tab, name).toBeDefined();
    return { query: tab!.query!, variables: JSON.parse(tab!.variables ?? '{}') };
  };

  it('declare in their operation every variable they set', () => {
    for (const tab of exampleTabs(models)!) {
      const variables = Object.keys(JSON.parse(tab.variables ?? '{}'));
      for (const name of variables) expect(tab.query, name).toContain(`$${name}:`);
    }
  });

  it('start the generating tabs on the generating model, with something to say', () => {
    expect(named('Models').variables).toEqual({});
    const complete = named('Complete').variables;
    expect(complete.model).toBe('g/m');
    expect(complete.prompt).toMatch(/\w/);
    expect(complete.maxTokens).toBeGreaterThan(0);
    for (const name of ['Chat', 'ChatStream', 'ChatTools']) {
      const { model, messages, maxTokens } = named(name).variables;
      expect(model, name).toBe('g/m');
      expect(messages, name).toEqual([{ role: 'USER', content: expect.stringMatching(/\w/) }]);
      expect(maxTokens, name).toBeGreaterThan(0);
    }
  });

  it('offer a tool with a description and a schema for the arguments it requires', () => {
    const { model, messages, tools, maxTokens } = named('ChatTools').variables;
    expect({ model, messages: messages.length, maxTokens }).toMatchObject({
      model: 'g/m',
      messages: 1,
    });
    expect(tools).toHaveLength(1);
    const [tool] = tools;
    expect(tool.name).toMatch(/^\w+$/);
    expect(tool.description).toMatch(/\w/);
    expect(tool.parameters.type).toBe('object');
    expect(tool.parameters.required.length).toBeGreaterThan(0);
    for (const name of tool.parameters.required)
      expect(tool.parameters.properties[name], name).toEqual({ type: 'string' });
  });

  it('start the search tab on the embedding and ranking models, with passages to rank', () => {
    const search = named('Search').variables;
    expect(search.model, 'no generating model here').toBeUndefined();
    expect(search.embeddingModel).toBe('e/m');
    expect(search.rankingModel).toBe('r/m');
    expect(search.query).toMatch(/\w/);
    expect(search.topN).toBeGreaterThan(0);
    expect(search.passages.length).toBeGreaterThan(search.topN);
    for (const passage of search.passages) expect(passage).toMatch(/\w/);
  });
});
