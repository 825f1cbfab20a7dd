// The fleet without sockets: what each upstream serves from its model list (filters, aliases, a
// list that failed), its health, the order calls try the upstreams in, and the merged catalog.
import { describe, expect, it } from 'vitest';
import type { CircuitState } from '../../src/nim/breaker.ts';
import { Fleet, FleetMember } from '../../src/nim/fleet.ts';
import type { NimTransport } from '../../src/nim/transport.ts';
import type { ModelCard } from '../../src/nim/wire.ts';

const card = (id: string): ModelCard => ({
  id,
  object: 'model',
  created: 1,
  owned_by: 'system',
  root: id,
  parent: null,
  max_model_len: 4096,
});

/** A transport whose breaker is `state` and whose model list is `cards` (or fails with `error`). */
function transport(
  cards: ModelCard[],
  state: { circuit: CircuitState; error?: Error } = { circuit: 'closed' },
): NimTransport {
  return {
    circuit: () => ({ state: state.circuit, consecutiveFailures: 0, probeAt: null }),
    json: async () => {
      if (state.error) throw state.error;
      return { object: 'list', data: cards };
    },
  } as unknown as NimTransport;
}

const ANY = { include: null, aliases: {} };

describe('an upstream of the fleet', () => {
  it('serves only its aliases before its list was read, and is not healthy yet', () => {
    const member = new FleetMember('east', transport([]), 1, {
      include: null,
      aliases: { lorem: 'sim/lorem' },
    });
    expect(member.serves('lorem')).toBe(true);
    expect(member.serves('sim/lorem')).toBe(false);
    expect(member.upstreamId('lorem')).toBe('sim/lorem');
    expect(member.upstreamId('other')).toBe('other');
    expect(member.health()).toEqual({
      name: 'east',
      circuit: 'closed',
      healthy: false,
      listError: 'its model list was not read yet',
      unlistedAliases: [],
    });
  });

  it('serves what its patterns let in, aliased models under their public ids only', async () => {
    const original = card('sim/lorem-8b');
    const loud = card('SIM/LOUD');
    const member = new FleetMember(
      'east',
      transport([original, card('sim/lorem-70b'), card('acme/x'), loud]),
      1,
      // `sim/lorem-70b` is both an alias's public id and its own: the alias, first, wins.
      {
        include: ['sim/*'],
        aliases: { lorem: 'sim/lorem-8b', 'sim/lorem-70b': 'acme/x', gone: 'nope' },
      },
    );
    const listing = await member.list({});
    expect(listing.cards.map((c) => c.id)).toEqual(['lorem', 'sim/lorem-70b', 'SIM/LOUD']);
    expect(listing.cards[1]).toMatchObject({ id: 'sim/lorem-70b', root: 'acme/x' });
    // The upstream's own card is left as it was; an unaliased card is the same object.
    expect(original.id).toBe('sim/lorem-8b');
    expect(listing.cards[2]).toBe(loud);
    expect([...listing.served]).toEqual([
      ['lorem', 'sim/lorem-8b'],
      ['sim/lorem-70b', 'acme/x'],
      ['SIM/LOUD', 'SIM/LOUD'],
    ]);
    expect(member.serves('sim/lorem-8b')).toBe(false);
    expect(member.serves('acme/x')).toBe(false);
    expect(member.serves('gone')).toBe(false);
    expect(member.upstreamId('sim/lorem-70b')).toBe('acme/x');
    expect(member.health()).toMatchObject({
      healthy: true,
      listError: null,
      unlistedAliases: ['gone'],
    });
  });

  it('keeps its last list when a new one fails, and says why it is not healthy', async () => {
    const state: { circuit: CircuitState; error?: Error } = { circuit: 'closed' };
    const member = new FleetMember('east', transport([card('a')], state), 1, ANY);
    await member.list({});
    state.error = new Error('upstream unreachable (ECONNREFUSED)');
    await expect(member.list({})).rejects.toBe(state.error);
    expect(member.serves('a')).toBe(true);
    expect(member.listing?.cards.map((c) => c.id)).toEqual(['a']);
    expect(member.health()).toMatchObject({
      healthy: false,
      listError: 'upstream unreachable (ECONNREFUSED)',
    });
    delete state.error;
    await member.list({});
    expect(member.health()).toMatchObject({ healthy: true, listError: null });
    // A listed upstream whose circuit is open is not healthy either.
    state.circuit = 'open';
    expect(member.health()).toMatchObject({ circuit: 'open', healthy: false });
    state.circuit = 'half-open';
    expect(member.health()).toMatchObject({ circuit: 'half-open', healthy: true });
  });
});

describe('the fleet', () => {
  it('tries one upstream alone whatever it lists', () => {
    const only = new FleetMember('only', transport([]), 1, ANY);
    expect(new Fleet([only]).route('anything')).toEqual([only]);
  });

  it('routes to the upstreams serving the model, or to all when none is known to', async () => {
    const a = new FleetMember('a', transport([card('x'), card('y')]), 1, ANY);
    const b = new FleetMember('b', transport([card('y')]), 1, ANY);
    const fleet = new Fleet([a, b], () => 0.5);
    await fleet.listModels();
    expect(fleet.route('x')).toEqual([a]);
    expect(fleet.route('y').sort((p, q) => p.name.localeCompare(q.name))).toEqual([a, b]);
    expect(fleet.route('z')).toHaveLength(2);
    expect(fleet.route(null)).toHaveLength(2);
    expect(fleet.upstreamsOf('y').map((u) => u.name)).toEqual(['a', 'b']);
    expect(fleet.upstreamsOf('x').map((u) => u.name)).toEqual(['a']);
  });

  it('draws by weight, and puts upstreams whose circuit is open last', () => {
    const states: Record<string, { circuit: CircuitState }> = {
      heavy: { circuit: 'closed' },
      light: { circuit: 'closed' },
    };
    const heavy = new FleetMember('heavy', transport([], states.heavy), 9, ANY);
    const light = new FleetMember('light', transport([], states.light), 1, ANY);
    // The same draw for both: the larger weight has the smaller key, so it goes first.
    expect(new Fleet([light, heavy], () => 0.5).route(null)).toEqual([heavy, light]);
    // -ln(1 - u) / weight: u = 0.99 for heavy (0.51) against u = 0.01 for light (0.01).
    const draws = [0.01, 0.99];
    expect(new Fleet([light, heavy], () => draws.shift()!).route(null)).toEqual([light, heavy]);
    states.heavy!.circuit = 'open';
    expect(new Fleet([light, heavy], () => 0.5).route(null)).toEqual([light, heavy]);
    states.light!.circuit = 'open';
    expect(new Fleet([light, heavy], () => 0.5).route(null)).toEqual([heavy, light]);
    states.heavy!.circuit = 'half-open';
    expect(new Fleet([light, heavy], () => 0.5).route(null)).toEqual([heavy, light]);
  });

  it('merges the lists, the first upstream keeping a model both list, a failed one its last list', async () => {
    const first = { ...card('shared'), max_model_len: 1 };
    const second = { ...card('shared'), max_model_len: 2 };
    const state: { circuit: CircuitState; error?: Error } = { circuit: 'closed' };
    const a = new FleetMember('a', transport([first, card('a-only')], state), 1, ANY);
    const b = new FleetMember('b', transport([second, card('b-only')]), 1, ANY);
    const fleet = new Fleet([a, b]);
    const merged = await fleet.listModels();
    expect(merged.map((c) => [c.id, c.max_model_len])).toEqual([
      ['shared', 1],
      ['a-only', 4096],
      ['b-only', 4096],
    ]);
    state.error = new Error('a is down');
    expect((await fleet.listModels()).map((c) => c.id)).toEqual(['shared', 'a-only', 'b-only']);
  });

  it('fails only when no upstream can list its models, with the first one’s error', async () => {
    const one = new Error('one is down');
    const a = new FleetMember('a', transport([], { circuit: 'closed', error: one }), 1, ANY);
    const b = new FleetMember(
      'b',
      transport([], { circuit: 'closed', error: new Error('two') }),
      1,
      ANY,
    );
    await expect(new Fleet([a, b]).listModels()).rejects.toBe(one);
    // One that never listed anything adds nothing.
    const c = new FleetMember('c', transport([card('c')]), 1, ANY);
    expect((await new Fleet([a, c]).listModels()).map((m) => m.id)).toEqual(['c']);
  });
});
