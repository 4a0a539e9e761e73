// `tgsage search import <study> <history.jsonl>`: seeds a study with results it did not suggest (a team's search
// history). Each line is {"genome": {...}, "p": 0.93} (genome in proto3 JSON, friendlier enum names accepted); with
// --train-here the genomes are trained and scored here instead (P and TG), and "p" may be left out. Lines are
// imported one by one, in order; on the first bad line the command stops and says how many were imported before it.

import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { ClientError } from 'nice-grpc';
import type { Trial } from '../../../gen/tgsage/v1/search_controller.ts';
import { genomeFromJson } from '../../../services/spaces/json.ts';
import { importTrial } from '../../ts/conveniences.ts';
import { Command } from 'commander';
import { action } from '../action.ts';
import { CliError } from '../errors.ts';
import { printJson, printText } from '../output.ts';

interface ImportOptions {
  source: string;
  trainHere: boolean;
}

/** One history line -> genome and P (CliError naming the line). */
export function parseHistoryLine(line: string, n: number, trainHere: boolean): { genome: ReturnType<typeof genomeFromJson>; p?: number } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (e) {
    throw new CliError(`history line ${n}: not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new CliError(`history line ${n}: expected an object {"genome": ..., "p": ...}`);
  const { genome, p } = value as { genome?: unknown; p?: unknown };
  if (genome === undefined) throw new CliError(`history line ${n}: "genome" is missing`);
  let parsed;
  try {
    parsed = genomeFromJson(genome);
  } catch (e) {
    throw new CliError(`history line ${n}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (trainHere) return { genome: parsed };
  if (typeof p !== 'number') throw new CliError(`history line ${n}: "p" must be a number in [0, 1] (or use --train-here)`);
  return { genome: parsed, p };
}

export function searchImportCommand(): Command {
  return new Command('import')
    .description('import results the study did not suggest (JSON lines {"genome": ..., "p": ...}) to seed it')
    .argument('<study>', 'study id (created or running)')
    .argument('<history>', 'JSON-lines file')
    .option('--source <label>', 'where the results come from (shown in leaderboard, export and report)', 'history')
    .option('--train-here', 'train and score each genome here (P and TG) instead of taking its "p"', false)
    .action(
      action<ImportOptions>(async (ctx, o, studyId, path) => {
        const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
        const done: Trial[] = [];
        let n = 0;
        for await (const line of lines) {
          n++;
          if (!line.trim()) continue;
          const h = parseHistoryLine(line, n, o.trainHere);
          try {
            done.push(await importTrial(ctx.clients, studyId, h.genome, { ...h, trainHere: o.trainHere, source: o.source }, ctx.signal));
          } catch (e) {
            const detail = e instanceof ClientError ? e.details : e instanceof Error ? e.message : String(e);
            throw new CliError(`history line ${n}: ${detail} (${done.length} imported before it)`);
          }
          if (!ctx.json) process.stderr.write(`\rimported ${done.length}`);
        }
        if (!ctx.json) process.stderr.write('\n');
        if (ctx.json) printJson({ study: studyId, imported: done.map((t) => ({ id: t.id, number: t.number, p: t.p ?? null, tg: t.tg ?? null, score: t.score ?? null })) });
        else printText(`study ${studyId}: imported ${done.length} trials from ${path} (source ${o.source})`);
      }),
    );
}
