// `tgsage search run` flags -> StudyConfig (the controller validates the rest; see test/controller/config.test.ts).
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { studyConfigFromOptions } from '../../clients/cli/commands/search.ts';
import { normalizeStudyConfig } from '../../services/controller/config.ts';

const base = {
  space: 'convnet' as const,
  strategy: 'random' as const,
  trials: '4',
  steps: '30',
  score: 'ptg' as const,
  parallelism: '1',
  teacher: 'default',
  seed: '0',
  multiFidelity: false,
  dataset: 'mnist',
};

it('search run: --dataset idx --data-dir reaches the study config, and passes its validation', () => {
  const config = studyConfigFromOptions({ ...base, dataset: 'idx', dataDir: '/srv/idx' });
  assert.deepEqual([config.dataset?.name, config.dataset?.directory], ['idx', '/srv/idx']);
  assert.equal(normalizeStudyConfig(config).dataset?.directory, '/srv/idx');
});

it('search run: --dataset idx without --data-dir is refused naming dataset.directory', () => {
  assert.throws(() => normalizeStudyConfig(studyConfigFromOptions({ ...base, dataset: 'idx' })), /dataset\.directory/);
});
