// `tgsage space describe <space>`: a search space as data — its decisions in order, each decision's choices, default
// and when it is active — from the same decision tables the strategies search over (no service needed; the
// SearchSpaces RPCs of the trainer and controller answer the same).

import { Command } from 'commander';
import { SpaceDescription } from '../../../gen/tgsage/v1/space.ts';
import { decisionSpace, type SpaceName } from '../../../services/spaces/decisions.ts';
import { describeSpace } from '../../../services/spaces/space-data.ts';
import { action } from '../action.ts';
import { CliError } from '../errors.ts';
import { table } from '../format.ts';
import { printJson, printText } from '../output.ts';

const SPACES: readonly SpaceName[] = ['convnet', 'nasnet'];

/** The text form: one row per decision, conditions written as `depth in {4, 5, 6, 7, 8}`. */
export function spaceText(d: SpaceDescription): string {
  const rows = d.decisions.map((x) => [
    String(x.index),
    x.name,
    x.choices.map((c, i) => (i === x.defaultChoice ? `${c}*` : c)).join(' | '),
    x.activeWhen.length === 0
      ? 'always'
      : x.activeWhen
          .map((c) => {
            const labels = d.decisions[c.decision]!.choices;
            return `${c.name} in {${c.choices.map((k) => labels[k]).join(', ')}}`;
          })
          .join(' and '),
  ]);
  const head = `${d.name}: ${d.decisions.length} decisions, 10^${d.log10Vectors.toFixed(1)} decision vectors (* = default)`;
  return [head, '', table(['#', 'decision', 'choices', 'active when'], rows), ...d.notes.map((n) => `note: ${n}`)].join('\n');
}

/** JSON with every field (proto3 JSON would drop zeros: index 0, default 0, no conditions). */
export function spaceJson(d: SpaceDescription): Record<string, unknown> {
  return { ...(SpaceDescription.toJSON(d) as Record<string, unknown>), decisions: d.decisions.map((x) => ({ ...x })) };
}

export function spaceCommand(): Command {
  const space = new Command('space').description('describe the search spaces as decisions (for outside optimizers)');
  space
    .command('describe')
    .description('list a space\'s decisions: choices, defaults and when each is active')
    .argument('<space>', `search space: ${SPACES.join(' or ')}`)
    .action(
      action(async (ctx, _opts, name) => {
        if (!SPACES.includes(name as SpaceName)) throw new CliError(`space: must be ${SPACES.join(' or ')} (got ${JSON.stringify(name)})`);
        const d = describeSpace(decisionSpace(name as SpaceName));
        if (ctx.json) printJson(spaceJson(d));
        else printText(spaceText(d));
      }),
    );
  return space;
}
