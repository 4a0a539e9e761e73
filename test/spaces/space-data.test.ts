// The search spaces as data (services/spaces/space-data.ts and the SearchSpaces gRPC service): every choice label is
// checked against what decode actually builds (read back through the proto JSON names, not through the tables the
// labels come from), activity against decode (an inactive decision never changes the genome, an active one does),
// and the RPCs on a real server on 127.0.0.1:0 with their INVALID_ARGUMENT statuses.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createChannel, createClient, Status, type Channel } from 'nice-grpc';
import { Genome, SearchSpace } from '../../gen/tgsage/v1/genome.ts';
import { SearchSpacesDefinition, type SearchSpacesClient } from '../../gen/tgsage/v1/space.ts';
import { InvalidArgumentError } from '../../services/common/errors.ts';
import { silentLogger } from '../../services/common/log.ts';
import { buildServer, serviceEntry, type TgsageServer } from '../../services/common/server.ts';
import {
  activeDecisions,
  CONVNET_SPACE,
  decisionsFromNames,
  decode,
  NASNET_SPACE,
  sampleDecisions,
  type DecisionSpace,
} from '../../services/spaces/decisions.ts';
import { createRng } from '../../services/spaces/rng.ts';
import { searchSpacesService } from '../../services/spaces/service.ts';
import { decisionsToGenome, describeSpace, genomeToDecisions } from '../../services/spaces/space-data.ts';
import { canonicalGenome } from '../../services/spaces/validate.ts';
import { runCliInProcess } from '../support/cli.ts';
import { expectStatus } from '../support/grpc.ts';

type JsonObj = Record<string, unknown>;
const json = (g: Genome): JsonObj => Genome.toJSON(g) as JsonObj;
/** "DOWNSAMPLE_MAX_POOL" -> "max_pool" (the proto's own enum names, independent of the label tables). */
const short = (v: unknown, prefix: string): string => String(v).replace(prefix, '').toLowerCase();

/** What the genome says at a convnet decision, written the way a label should read. */
function convnetValue(g: JsonObj, name: string): string {
  const c = g['convnet'] as JsonObj;
  if (name === 'depth') return String((c['layers'] as unknown[]).length);
  if (name === 'head') return short(c['head'] ?? 'HEAD_GLOBAL_AVG_POOL', 'HEAD_');
  const m = /^layers\[(\d+)\]\.(\w+)$/.exec(name)!;
  const layer = (c['layers'] as JsonObj[])[Number(m[1])]!;
  switch (m[2]) {
    case 'filters':
    case 'kernel_size':
      return String(layer[m[2] === 'filters' ? 'filters' : 'kernelSize']);
    case 'downsample':
      return short(layer['downsample'] ?? 'DOWNSAMPLE_NONE', 'DOWNSAMPLE_');
    case 'skip_from':
      return layer['skipFrom'] === undefined ? 'none' : `layer ${layer['skipFrom']}`;
    case 'batch_norm':
      return layer['batchNorm'] ? 'on' : 'off';
    default:
      return short(layer['activation'] ?? 'ACTIVATION_RELU', 'ACTIVATION_');
  }
}

function nasnetValue(g: JsonObj, name: string): string {
  const n = g['nasnet'] as JsonObj;
  const m = /^(normal_cell|reduction_cell)\.blocks\[(\d+)\]\.(\w+)$/.exec(name);
  if (!m) {
    const key = { num_normal_cells: 'numNormalCells', initial_filters: 'initialFilters', num_reductions: 'numReductions' }[name]!;
    return String(n[key]);
  }
  const block = ((n[m[1] === 'normal_cell' ? 'normalCell' : 'reductionCell'] as JsonObj)['blocks'] as JsonObj[])[Number(m[2])]!;
  if (m[3]!.startsWith('input')) {
    const v = Number(block[m[3] === 'input_a' ? 'inputA' : 'inputB'] ?? 0);
    return v === 0 ? 'prev_prev_cell' : v === 1 ? 'prev_cell' : `block ${v - 2}`;
  }
  return short(block[m[3] === 'op_a' ? 'opA' : 'opB'] ?? 'NAS_OP_IDENTITY', 'NAS_OP_');
}

function checkLabels(space: DecisionSpace, base: number[], value: (g: JsonObj, name: string) => string): void {
  space.labels.forEach((name, i) => {
    space.choices[i]!.forEach((label, k) => {
      const d = [...base];
      d[i] = k;
      assert.equal(value(json(decode(space, d)), name), label, `${name} choice ${k}`);
    });
  });
}

describe('search spaces as data', () => {
  it('every choice label is what decode builds (convnet at full depth, no other downsampling; nasnet)', () => {
    const convBase = CONVNET_SPACE.sizes.map(() => 0);
    convBase[0] = CONVNET_SPACE.sizes[0]! - 1; // depth 8: every layer slot active
    checkLabels(CONVNET_SPACE, convBase, convnetValue);
    checkLabels(NASNET_SPACE, NASNET_SPACE.sizes.map(() => 0), nasnetValue);
  });

  it('an inactive decision never changes the genome; an active one always does (but a capped downsample)', () => {
    const rng = createRng(12);
    for (const space of [CONVNET_SPACE, NASNET_SPACE]) {
      for (let n = 0; n < 60; n++) {
        const d = sampleDecisions(space, rng);
        const g = JSON.stringify(json(decode(space, d)));
        const active = activeDecisions(space, d);
        space.sizes.forEach((size, i) => {
          const e = [...d];
          e[i] = (d[i]! + 1 + rng.int(size - 1)) % size;
          const changed = JSON.stringify(json(decode(space, e))) !== g;
          if (!active[i]) assert.equal(changed, false, `${space.labels[i]} is inactive at ${d}`);
          else if (!space.labels[i]!.endsWith('.downsample')) assert.equal(changed, true, `${space.labels[i]} is active at ${d}`);
        });
      }
    }
  });

  it('the description: conditions on earlier decisions only, defaults in range, the vector count', () => {
    for (const space of [CONVNET_SPACE, NASNET_SPACE]) {
      const d = describeSpace(space);
      assert.equal(d.decisions.length, space.sizes.length);
      d.decisions.forEach((x, i) => {
        assert.equal(x.index, i);
        assert.equal(x.choices.length, space.sizes[i]);
        assert.ok(x.defaultChoice < x.choices.length);
        for (const c of x.activeWhen) {
          assert.ok(c.decision < i, `${x.name} depends on a later decision`);
          assert.equal(c.name, d.decisions[c.decision]!.name);
        }
      });
      const exact = space.sizes.reduce((p, n) => p * BigInt(n), 1n);
      assert.ok(Math.abs(d.log10Vectors - Math.log10(Number(exact))) < 1e-9);
    }
    const conv = describeSpace(CONVNET_SPACE);
    // layers[4] exists from depth 5 on: depth choices 3..6 (depth 5..8)
    assert.deepEqual(conv.decisions.find((x) => x.name === 'layers[4].filters')!.activeWhen, [{ decision: 0, name: 'depth', choices: [3, 4, 5, 6] }]);
    assert.equal(conv.decisions.find((x) => x.name === 'layers[1].filters')!.activeWhen.length, 0);
  });

  it('genome -> decisions by name -> genome round-trips; names are checked', () => {
    const rng = createRng(3);
    for (const space of [CONVNET_SPACE, NASNET_SPACE]) {
      for (let n = 0; n < 30; n++) {
        const g = decode(space, sampleDecisions(space, rng));
        const r = genomeToDecisions(g);
        assert.equal(Object.keys(r.byName).length, r.active.filter(Boolean).length);
        const back = decisionsToGenome({ space: r.space, decisions: [], byName: r.byName });
        assert.deepEqual(back.genome, canonicalGenome(g));
        assert.deepEqual(back.decisions, r.decisions);
        assert.deepEqual(decisionsFromNames(space, r.byName), r.decisions);
      }
    }
    const shallow = { depth: 0, head: 1, 'layers[0].filters': 1, 'layers[0].kernel_size': 1, 'layers[0].downsample': 0, 'layers[0].batch_norm': 1, 'layers[0].activation': 0 };
    assert.throws(() => decisionsFromNames(CONVNET_SPACE, shallow), (e: unknown) => e instanceof InvalidArgumentError && /by_name\[layers\[1\]\.filters\]/.test(e.message));
    assert.throws(() => decisionsFromNames(CONVNET_SPACE, { ...shallow, wat: 1 }), /by_name\[wat\].*not a decision/);
    assert.throws(() => decisionsFromNames(CONVNET_SPACE, { ...shallow, head: 3 }), /by_name\[head\].*0 to 2/);
  });
});

describe('SearchSpaces on a real server', () => {
  let server: TgsageServer;
  let channel: Channel;
  let client: SearchSpacesClient;
  before(async () => {
    server = buildServer({ name: 'spaces-test', services: [serviceEntry(SearchSpacesDefinition, searchSpacesService())], logger: silentLogger(), defaultMetrics: false });
    const port = await server.listen('127.0.0.1', 0);
    channel = createChannel(`127.0.0.1:${port}`);
    client = createClient(SearchSpacesDefinition, channel);
  });
  after(async () => {
    channel.close();
    await server.shutdown({ timeoutMs: 1000 });
  });

  it('describes, decodes and encodes; bad requests get INVALID_ARGUMENT naming the field', async () => {
    const d = await client.describeSpace({ space: SearchSpace.SEARCH_SPACE_NASNET });
    assert.equal(d.decisions.length, 43);
    assert.equal(d.decisions[2]!.choices[1], 'sep_conv_3x3');
    const vector = NASNET_SPACE.sizes.map((n) => n - 1);
    const r = await client.decisionsToGenome({ space: SearchSpace.SEARCH_SPACE_NASNET, decisions: vector });
    assert.deepEqual(r.decisions, vector);
    assert.equal(JSON.parse(r.genomeJson).nasnet.numNormalCells, 3);
    const back = await client.genomeToDecisions({ genome: r.genome });
    assert.deepEqual(back.decisions, vector);
    await expectStatus(client.describeSpace({ space: SearchSpace.SEARCH_SPACE_UNSPECIFIED }), Status.INVALID_ARGUMENT, /^space/);
    await expectStatus(client.decisionsToGenome({ space: SearchSpace.SEARCH_SPACE_NASNET, decisions: [1] }), Status.INVALID_ARGUMENT, /^decisions/);
    await expectStatus(client.decisionsToGenome({ space: SearchSpace.SEARCH_SPACE_NASNET, decisions: vector.map(() => 9) }), Status.INVALID_ARGUMENT, /^decisions\[0\]/);
    await expectStatus(client.decisionsToGenome({ space: SearchSpace.SEARCH_SPACE_CONVNET }), Status.INVALID_ARGUMENT, /^decisions/);
    await expectStatus(client.decisionsToGenome({ space: SearchSpace.SEARCH_SPACE_CONVNET, decisions: [0], byName: { depth: 0 } }), Status.INVALID_ARGUMENT, /not both/);
    await expectStatus(client.genomeToDecisions({}), Status.INVALID_ARGUMENT, /^genome/);
    const n4 = Genome.fromPartial({ space: { $case: 'nasnet', value: { ...(r.genome!.space as { value: object }).value, numNormalCells: 4 } } });
    await expectStatus(client.genomeToDecisions({ genome: n4 }), Status.INVALID_ARGUMENT, /num_normal_cells/);
    // still serving
    assert.equal((await client.describeSpace({ space: SearchSpace.SEARCH_SPACE_CONVNET })).decisions.length, 49);
  });
});

const cli = (...args: string[]) => runCliInProcess(args);

describe('tgsage space describe', () => {
  it('prints the table and the JSON (every field, zeros included); a bad space exits 1 naming it', async () => {
    const text = await cli('space', 'describe', 'convnet');
    assert.equal(text.code, 0);
    assert.match(text.stdout, /^convnet: 49 decisions/);
    assert.match(text.stdout, /layers\[2\]\.filters +16\* \| 32 \| 64 \| 128 +depth in \{3, 4, 5, 6, 7, 8\}/);
    const json = JSON.parse((await cli('--json', 'space', 'describe', 'nasnet')).stdout) as { name: string; decisions: { index: number; defaultChoice: number; activeWhen: unknown[] }[] };
    assert.equal(json.name, 'nasnet');
    assert.deepEqual(json.decisions[0], { ...json.decisions[0], index: 0, defaultChoice: 0, activeWhen: [] });
    const bad = await cli('space', 'describe', 'resnet');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /space: must be convnet or nasnet/);
  });
});
