// The listed "strategy": no search, a fixed list of trials proposed in order (trial number i is trials[i]). For
// experiments that train given architectures (`tgsage experiment run`), each possibly with several training seeds;
// the seeds are read by the runner (trainingSeedOf in ../config.ts), the genomes go through the usual strategy path
// as their decision vectors. Its state is how many it has proposed, so a restarted controller continues the list.

import type { ListedSettings } from '../../../gen/tgsage/v1/search_controller.ts';
import { FailedPreconditionError, InvalidArgumentError } from '../../common/errors.ts';
import { decisionSpace, decode, encode } from '../../spaces/decisions.ts';
import { canonicalGenome, validateGenome } from '../../spaces/validate.ts';
import { genomeToJson } from '../../spaces/json.ts';
import type { DecisionSpace } from './space.ts';
import type { Proposal, Strategy, StrategyState } from './strategy.ts';
import { checkState } from './random.ts';

export type { ListedSettings };

export const MAX_LISTED_TRIALS = 10_000;

/** Checks every listed trial (genome valid and representable by its space's decisions, seed a safe integer). */
export function resolveListedSettings(raw: Partial<ListedSettings> | undefined, field = 'strategy.listed'): ListedSettings {
  const trials = raw?.trials ?? [];
  if (trials.length === 0) throw new InvalidArgumentError(`${field}.trials`, 'must list at least one trial');
  if (trials.length > MAX_LISTED_TRIALS) {
    throw new InvalidArgumentError(`${field}.trials`, `at most ${MAX_LISTED_TRIALS} trials (got ${trials.length})`);
  }
  return {
    trials: trials.map((t, i) => {
      const path = `${field}.trials[${i}]`;
      const space = validateGenome(t.genome, `${path}.genome`);
      const canonical = canonicalGenome(t.genome!);
      if (genomeToJson(decode(decisionSpace(space), encode(canonical))) !== genomeToJson(canonical)) {
        throw new InvalidArgumentError(`${path}.genome`, `is not representable by the ${space} space's decisions`);
      }
      const seed = t.trainingSeed ?? 0;
      if (!Number.isSafeInteger(seed) || seed < 0) throw new InvalidArgumentError(`${path}.training_seed`, 'must be a safe integer >= 0');
      return { genome: canonical, trainingSeed: seed };
    }),
  };
}

export function createListedStrategy(settings: ListedSettings, space: DecisionSpace, _seed: number): Strategy {
  const vectors = settings.trials.map((t, i) => {
    const name = validateGenome(t.genome, `strategy.listed.trials[${i}].genome`);
    if (name !== space.name) {
      throw new InvalidArgumentError(`strategy.listed.trials[${i}].genome`, `is a ${name} genome; the study searches ${space.name}`);
    }
    return encode(t.genome!);
  });
  let next = 0;
  return {
    name: 'listed',
    space,
    suggest(count: number): Proposal[] {
      const out = vectors.slice(next, next + count).map((d) => ({ decisions: [...d] }));
      next += out.length;
      return out;
    },
    update(): void {},
    state(): StrategyState {
      return { kind: 'listed', version: 1, next };
    },
    restore(state: StrategyState): void {
      checkState(state, 'listed', 1);
      const n = state['next'];
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > vectors.length) throw new FailedPreconditionError('bad listed state');
      next = n;
    },
    dispose(): void {},
  };
}
