import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateGenome, validateGenomeInSpace } from '../../services/spaces/validate.ts';
import { genomeFromJson, genomeToJson } from '../../services/spaces/json.ts';
import { sampleGenome } from '../../services/spaces/decisions.ts';
import { createRng } from '../../services/spaces/rng.ts';
import { InvalidArgumentError } from '../../services/common/errors.ts';
import type { Genome } from '../../gen/tgsage/v1/genome.ts';

const layer = (over: object = {}) => ({ filters: 16, kernelSize: 3, downsample: 0, skipFrom: undefined, batchNorm: false, activation: 0, ...over });
const convnet = (layers: object[], head = 0): Genome => ({ space: { $case: 'convnet', value: { layers: layers as never, head } } });
const block = (over: object = {}) => ({ inputA: 0, inputB: 1, opA: 0, opB: 1, ...over });
const cell = (blocks = [block(), block(), block(), block(), block()]) => ({ blocks });
const nasnet = (over: object = {}): Genome => ({
  space: {
    $case: 'nasnet',
    value: { normalCell: cell(), reductionCell: cell(), numNormalCells: 1, initialFilters: 8, numReductions: 1, ...over },
  },
});

function rejects(genome: Genome, field: string, message: RegExp) {
  assert.throws(
    () => validateGenome(genome),
    (err: unknown) => {
      assert.ok(err instanceof InvalidArgumentError, `expected InvalidArgumentError, got ${String(err)}`);
      assert.equal(err.field, field);
      assert.match(err.message, message);
      assert.ok(err.message.startsWith(`${field}: `));
      return true;
    },
  );
}

test('valid genomes pass', () => {
  assert.equal(validateGenome(convnet([layer(), layer({ skipFrom: 0, filters: 128, kernelSize: 7 })])), 'convnet');
  assert.equal(validateGenome(nasnet()), 'nasnet');
  assert.equal(validateGenome(nasnet({ numReductions: 0, numNormalCells: 4, initialFilters: 64 })), 'nasnet');
});

test('each bad convnet gene is named', () => {
  rejects({}, 'genome.space', /must be set/);
  rejects(convnet([layer()]), 'genome.convnet.layers', /must have 2 to 8 layers \(got 1\)/);
  rejects(convnet(Array.from({ length: 9 }, () => layer())), 'genome.convnet.layers', /got 9/);
  rejects(convnet([layer(), layer(), layer({ kernelSize: 4 })]), 'genome.convnet.layers[2].kernel_size', /^genome.convnet.layers\[2\].kernel_size: must be one of 1, 3, 5, 7 \(got 4\)$/);
  rejects(convnet([layer({ filters: 20 }), layer()]), 'genome.convnet.layers[0].filters', /must be one of 16, 32, 64, 128 \(got 20\)/);
  rejects(convnet([layer(), layer({ downsample: -1 })]), 'genome.convnet.layers[1].downsample', /DOWNSAMPLE_NONE.*unrecognized/);
  rejects(convnet([layer(), layer({ activation: 9 })]), 'genome.convnet.layers[1].activation', /ACTIVATION_SWISH \(got 9\)/);
  rejects(convnet([layer(), layer()], 5), 'genome.convnet.head', /HEAD_FLATTEN/);
  rejects(convnet([layer({ skipFrom: 0 }), layer()]), 'genome.convnet.layers[0].skip_from', /first layer/);
  rejects(convnet([layer(), layer(), layer({ skipFrom: 2 })]), 'genome.convnet.layers[2].skip_from', /0 to 1 \(got 2\)/);
  rejects(
    convnet(Array.from({ length: 5 }, () => layer({ downsample: 1 }))),
    'genome.convnet.layers[4].downsample',
    /at most 4 layers may downsample/,
  );
});

test('each bad nasnet gene is named', () => {
  rejects(nasnet({ normalCell: undefined }), 'genome.nasnet.normal_cell', /must be set/);
  rejects(nasnet({ reductionCell: cell([block()]) }), 'genome.nasnet.reduction_cell.blocks', /exactly 5 blocks \(got 1\)/);
  rejects(
    nasnet({ normalCell: cell([block(), block(), block({ inputB: 4 }), block(), block()]) }),
    'genome.nasnet.normal_cell.blocks[2].input_b',
    /must be 0 to 3 .*\(got 4\)/,
  );
  rejects(nasnet({ normalCell: cell([block({ inputA: 2 }), block(), block(), block(), block()]) }), 'genome.nasnet.normal_cell.blocks[0].input_a', /0 to 1/);
  rejects(nasnet({ reductionCell: cell([block(), block(), block(), block(), block({ opA: 8 })]) }), 'genome.nasnet.reduction_cell.blocks[4].op_a', /NAS_OP_CONV_1X7_7X1 \(got 8\)/);
  rejects(nasnet({ numNormalCells: 0 }), 'genome.nasnet.num_normal_cells', /1 to 4 \(got 0\)/);
  rejects(nasnet({ numNormalCells: 5 }), 'genome.nasnet.num_normal_cells', /got 5/);
  rejects(nasnet({ initialFilters: 4 }), 'genome.nasnet.initial_filters', /8 to 64 \(got 4\)/);
  rejects(nasnet({ initialFilters: 8.5 }), 'genome.nasnet.initial_filters', /integer/);
  rejects(nasnet({ numReductions: 3 }), 'genome.nasnet.num_reductions', /must be 1 or 2/);
});

test('JSON: round trip of canonical JSON, friendly enum names, snake_case keys', () => {
  const rng = createRng(11);
  for (let t = 0; t < 50; t++) {
    for (const space of ['convnet', 'nasnet'] as const) {
      const g = sampleGenome(space, rng);
      const text = genomeToJson(g);
      assert.deepEqual(genomeFromJson(text), g);
      assert.equal(genomeToJson(genomeFromJson(genomeToJson(g, 2))), text);
    }
  }
  const g = genomeFromJson(
    '{"convnet": {"layers": [{"filters": 32, "kernel_size": 5, "downsample": "max_pool", "activation": "swish"},' +
      ' {"filters": 16, "kernelSize": 1, "skipFrom": 0, "batch_norm": true, "activation": "ACTIVATION_ELU"}], "head": "flatten"}}',
  );
  assert.equal(
    genomeToJson(g),
    '{"convnet":{"layers":[{"filters":32,"kernelSize":5,"downsample":"DOWNSAMPLE_MAX_POOL","batchNorm":false,"activation":"ACTIVATION_SWISH"},' +
      '{"filters":16,"kernelSize":1,"downsample":"DOWNSAMPLE_NONE","skipFrom":0,"batchNorm":true,"activation":"ACTIVATION_ELU"}],"head":"HEAD_FLATTEN"}}',
  );
  const n = genomeFromJson({
    nasnet: {
      normalCell: { blocks: [0, 1, 2, 3, 4].map(() => ({ inputA: 1, inputB: 0, opA: 'sep_conv_5x5', opB: 'NAS_OP_MAX_POOL_3X3' })) },
      reductionCell: { blocks: [0, 1, 2, 3, 4].map(() => ({ inputA: 1, inputB: 1, opA: 7, opB: 'identity' })) },
      numNormalCells: 2,
      initialFilters: 16,
    },
  });
  assert.match(genomeToJson(n), /"numReductions":2}}$/);
});

test('JSON: friendly errors', () => {
  assert.throws(() => genomeFromJson('{"convnet": '), /^InvalidArgumentError: genome: is not valid JSON/);
  assert.throws(() => genomeFromJson('[]'), /genome: must be a JSON object \(got \[\]\)/);
  assert.throws(() => genomeFromJson('{"convnet": {"layer": []}}'), /genome.convnet.layer: unknown field; expected one of layers, head/);
  assert.throws(
    () => genomeFromJson('{"convnet": {"layers": [{"filters": 16, "kernelSize": 3, "activation": "sigmoid"}, {}]}}'),
    /genome.convnet.layers\[0\].activation: must be one of relu, elu, tanh, swish .*\(got "sigmoid"\)/,
  );
  assert.throws(() => genomeFromJson('{"convnet": {"layers": [{"filters": "16"}]}}'), /genome.convnet.layers\[0\].filters: must be a number/);
  assert.throws(() => genomeFromJson('{"convnet": {"layers": [{"filters": 16, "kernelSize": 3}]}}'), /genome.convnet.layers: must have 2 to 8/);
  assert.throws(() => genomeFromJson('{}'), /genome.space: must be set/);
  assert.throws(() => genomeFromJson('{"convnet": {}, "nasnet": {}}'), /not both/);
});

test('a genome of the other space is rejected where a space is expected', () => {
  validateGenomeInSpace(nasnet(), 'nasnet');
  assert.throws(() => validateGenomeInSpace(nasnet(), 'convnet'), /^InvalidArgumentError: genome.space: is a nasnet genome, but the search space is convnet$/);
});
