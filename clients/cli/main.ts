// The `tgsage` command line: run the services (`serve`, `start`) and talk to them (`teacher`, `score`, `info`, and
// the trainer's and controller's commands). Each command group lives in commands/<group>.ts and is registered here.

import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import { ADDRESS_OPTIONS, SERVICE_NAMES, defaultAddress } from './addresses.ts';
import { compareCommand } from './commands/compare.ts';
import { infoCommand } from './commands/info.ts';
import { reportCommand } from './commands/report.ts';
import { scoreCommand } from './commands/score.ts';
import { searchCommand } from './commands/search.ts';
import { serveCommand } from './commands/serve.ts';
import { spaceCommand } from './commands/space.ts';
import { startCommand } from './commands/start.ts';
import { teacherCommand } from './commands/teacher.ts';
import { trainCommand } from './commands/train.ts';
import { dataCommand } from './commands/data.ts';
import { describeCommand } from './commands/describe.ts';
import { experimentCommand } from './commands/experiment.ts';
import { describeError } from './errors.ts';
import { addSecurityOptions } from './security.ts';
import { tgsageVersion } from '../../services/common/version.ts';

export function buildProgram(): Command {
  const program = new Command('tgsage')
    .description('Teacher-Guided Architecture Search (TG-SAGE): teacher cache, scorer, trainer and search controller')
    .version(tgsageVersion())
    .showHelpAfterError()
    .option('--json', 'print one JSON object instead of tables', false)
    .option('--timeout <seconds>', 'deadline for each call (default: 30 s for short calls, none for uploads; 0 = none)');
  for (const service of SERVICE_NAMES) {
    const { flag, env } = ADDRESS_OPTIONS[service];
    program.addOption(
      new Option(`--${flag} <host:port>`, `${service} address`).env(env).default(defaultAddress(service)),
    );
  }
  addSecurityOptions(program);
  program.addCommand(serveCommand());
  program.addCommand(startCommand());
  program.addCommand(teacherCommand());
  program.addCommand(scoreCommand());
  program.addCommand(compareCommand());
  program.addCommand(trainCommand());
  program.addCommand(describeCommand());
  program.addCommand(dataCommand());
  program.addCommand(infoCommand());
  program.addCommand(searchCommand());
  program.addCommand(reportCommand());
  program.addCommand(experimentCommand());
  program.addCommand(spaceCommand());
  return program;
}

/** Runs the CLI; returns the exit code (errors are printed to stderr as `error: <CODE>: <message>`). */
export async function main(argv: readonly string[] = process.argv): Promise<number> {
  const program = buildProgram().exitOverride();
  try {
    await program.parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode; // commander already printed the message
    process.stderr.write(`${describeError(error)}\n`);
    return 1;
  }
}

function isMain(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) process.exitCode = await main();
