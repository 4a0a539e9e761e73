// `tgsage experiment ...`: the experiments that measure whether teacher guidance pays (issue 7): `run` grows a
// benchmark table (experiment-run.ts); `analyze` and `replay` work on a table file alone (experiment-analyze.ts).
import { Command } from 'commander';
import { analyzeCommand, replayCommand } from './experiment-analyze.ts';
import { experimentRunCommand } from './experiment-run.ts';

export function experimentCommand(): Command {
  return new Command('experiment')
    .description('benchmark tables of trained architectures: does teacher guidance pay? (run, analyze, replay)')
    .addCommand(experimentRunCommand())
    .addCommand(analyzeCommand())
    .addCommand(replayCommand());
}
