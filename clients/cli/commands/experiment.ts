// `tgsage experiment`: the experiments that measure whether teacher guidance pays (issue 7): `run` grows a benchmark
// table (experiment-run.ts).
import { Command } from 'commander';
import { experimentRunCommand } from './experiment-run.ts';

export function experimentCommand(): Command {
  return new Command('experiment').description('benchmark tables of trained architectures: does teacher guidance pay?').addCommand(experimentRunCommand());
}
