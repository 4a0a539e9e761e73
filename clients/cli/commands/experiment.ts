// `tgsage experiment ...`: the benchmark-table experiments. `analyze` and `replay` work on a table file alone
// (commands/experiment-analyze.ts); `run`, which makes tables, is registered here too.
import { Command } from 'commander';
import { analyzeCommand, replayCommand } from './experiment-analyze.ts';

export function experimentCommand(): Command {
  return new Command('experiment')
    .description('benchmark tables: analyze how early scores predict final accuracy, replay searches on a table')
    .addCommand(analyzeCommand())
    .addCommand(replayCommand());
}
