// `tgsage report STUDY > report.html`: one self-contained HTML report of a study (services/controller/report.ts):
// scores per trial, best-so-far curves, the top genomes, and the teacher's RDMs (previews fetched here with
// TeacherCache.GetRdm, rows k*N/64) next to the best candidate's.
import { writeFile } from 'node:fs/promises';
import { Command } from 'commander';
import { ClientError, Status } from 'nice-grpc';
import type { RdmPreview } from '../../../gen/tgsage/v1/similarity.ts';
import { previewFromChunks } from '../../../services/controller/rdm-preview.ts';
import { renderReport } from '../../../services/controller/report.ts';
import { getStudyWithTrials } from '../../../services/controller/study-reader.ts';
import { action } from '../action.ts';
import type { CliContext } from '../context.ts';
import { CliError } from '../errors.ts';

/** The teacher's RDM previews, one per layer in the teacher's order; [] when the teacher is gone. */
export async function teacherPreviews(ctx: CliContext, teacherId: string): Promise<RdmPreview[]> {
  const cache = ctx.clients.teacherCache;
  let layers: string[];
  try {
    layers = (await cache.getTeacher({ id: teacherId })).layers.map((l) => l.name);
  } catch (e) {
    if (e instanceof ClientError && e.code === Status.NOT_FOUND) {
      process.stderr.write(`report: teacher ${teacherId} not found; the report has no teacher RDMs\n`);
      return [];
    }
    throw e;
  }
  const out: RdmPreview[] = [];
  for (const layer of layers) {
    out.push(await previewFromChunks(layer, cache.getRdm({ teacherId, layer }, { signal: ctx.signal })));
  }
  return out;
}

export function reportCommand(): Command {
  return new Command('report')
    .description('write a self-contained HTML report of a study (stdout, or --output FILE)')
    .argument('<study>', 'study id')
    .option('--top <n>', 'trials in the top table', '10')
    .option('-o, --output <file>', 'write to FILE instead of stdout')
    .action(
      action<{ top: string; output?: string }>(async (ctx, o, studyId) => {
        const top = Number(o.top);
        if (!Number.isInteger(top) || top < 1) throw new CliError(`--top: not a positive integer: ${o.top}`);
        const study = await getStudyWithTrials(ctx.clients, studyId);
        const teacherRdms = await teacherPreviews(ctx, study.config?.teacherId || 'default');
        const html = renderReport({ study, teacherRdms, top });
        if (o.output) await writeFile(o.output, html);
        else process.stdout.write(html);
      }),
    );
}
