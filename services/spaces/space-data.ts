// The search spaces as data (tgsage.v1.SearchSpaces): each space's decisions with their choices, defaults and
// activity, and decisions <-> genome, all read from decisions.ts — the representation the built-in strategies search
// over, so an outside optimizer and tgsage's own strategies see the same space.
import type { Genome } from '../../gen/tgsage/v1/genome.ts';
import type {
  DecisionsToGenomeRequest,
  DecisionsToGenomeResponse,
  GenomeToDecisionsResponse,
  SpaceDescription,
} from '../../gen/tgsage/v1/space.ts';
import { InvalidArgumentError } from '../common/errors.ts';
import {
  activeDecisions,
  decisionsFromNames,
  decisionSpace,
  decode,
  encode,
  INACTIVE_DEFAULT,
  spaceEnum,
  type DecisionSpace,
} from './decisions.ts';
import { genomeToJson } from './json.ts';
import { SearchSpace } from '../../gen/tgsage/v1/genome.ts';

/** The space named by a request's `space` field (InvalidArgumentError naming it otherwise). */
export function requestedSpace(space: SearchSpace | undefined, field = 'space'): DecisionSpace {
  if (space === SearchSpace.SEARCH_SPACE_CONVNET || space === SearchSpace.SEARCH_SPACE_NASNET) return decisionSpace(space);
  throw new InvalidArgumentError(field, `must be SEARCH_SPACE_CONVNET or SEARCH_SPACE_NASNET (got ${space ?? 'unset'})`);
}

export function describeSpace(space: DecisionSpace): SpaceDescription {
  return {
    space: spaceEnum(space.name),
    name: space.name,
    decisions: space.labels.map((name, index) => ({
      index,
      name,
      choices: [...space.choices[index]!],
      defaultChoice: INACTIVE_DEFAULT,
      activeWhen: space.activeWhen[index]!.map((c) => ({
        decision: c.decision,
        name: space.labels[c.decision]!,
        choices: [...c.choices],
      })),
    })),
    log10Vectors: space.sizes.reduce((s, n) => s + Math.log10(n), 0),
    notes: [...space.notes],
  };
}

export function decisionsToGenome(request: Pick<DecisionsToGenomeRequest, 'space' | 'decisions' | 'byName'>): DecisionsToGenomeResponse {
  const space = requestedSpace(request.space);
  const named = Object.keys(request.byName).length > 0;
  if (named && request.decisions.length > 0) {
    throw new InvalidArgumentError('decisions', 'give decisions or by_name, not both');
  }
  if (!named && request.decisions.length === 0) throw new InvalidArgumentError('decisions', 'give decisions or by_name');
  const vector = named ? decisionsFromNames(space, request.byName) : request.decisions;
  const genome = decode(space, vector);
  return { genome, decisions: encode(genome), genomeJson: genomeToJson(genome) };
}

export function genomeToDecisions(genome: Genome | undefined): GenomeToDecisionsResponse {
  if (genome === undefined) throw new InvalidArgumentError('genome', 'is required');
  const decisions = encode(genome);
  const space = decisionSpace(genome.space!.$case);
  const active = activeDecisions(space, decisions);
  const byName: Record<string, number> = {};
  space.labels.forEach((name, i) => {
    if (active[i]) byName[name] = decisions[i]!;
  });
  return { space: spaceEnum(space.name), decisions, active, byName };
}
