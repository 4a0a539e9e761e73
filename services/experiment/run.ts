// `tgsage experiment run` as a function: makes or extends a benchmark table by running a listed controller study of
// the (architecture, training seed) pairs the table lacks, adding each completed trial to the table (written
// atomically) as it arrives. Everything durable lives in two places: the table (completed rows, and the ids of the
// studies made for it) and the controller's study store. A re-run after a kill -9 of the CLI, the controller or a
// trainer first harvests the studies the table names (resuming those still running), then runs one new study for
// what is still missing — so nothing completed is trained twice, and nothing completed is lost.
import { createHash } from 'node:crypto';
import { Status } from 'nice-grpc-common';
import type { Genome } from '../../gen/tgsage/v1/genome.ts';
import { SearchSpace } from '../../gen/tgsage/v1/genome.ts';
import {
  ScoreKind,
  type SearchControllerClient,
  type Study,
  StudyConfig,
  StudyState,
  type Trial,
  TrialState,
} from '../../gen/tgsage/v1/search_controller.ts';
import type { Teacher } from '../../gen/tgsage/v1/teacher_cache.ts';
import { LrSchedule, Optimizer } from '../../gen/tgsage/v1/trainer.ts';
import { getStudyWithTrials, listAllTrials } from '../controller/study-reader.ts';
import { genomeToJson } from '../spaces/json.ts';
import { plannedPairs, pairKey, sampleArchitectures, type Architecture, type Caps, type Describe, type SeedPlan } from './plan.ts';
import { TABLE_FORMAT, type BenchmarkTable, type TableComparator, type TableDataset, type TableProvenance, type TableTraining } from './table.ts';
import { TABLE_COMPARATORS, readTableIfExists, recipeDifferences, rowCovers, runFromTrial, withRun, writeTable } from './table-io.ts';
import { ALL_LAYERS } from '../teachers/tg-layers.ts';

export class ExperimentError extends Error {}

export type ScheduleName = 'cosine' | 'constant' | 'warmup_cosine';
export type OptimizerName = 'sgd_momentum' | 'adam';

export interface ExperimentOptions {
  readonly tablePath: string;
  readonly space: 'convnet' | 'nasnet';
  /** Architectures wanted (the table keeps any beyond). */
  readonly architectures: number;
  readonly seed: number;
  readonly caps: Caps;
  readonly seeds: SeedPlan;
  /** Evaluation budgets, increasing, the last the final budget. */
  readonly evalSteps: readonly number[];
  readonly dataset: Omit<TableDataset, 'numStimuli'> & { readonly directory: string };
  readonly teacherId: string;
  /** First: the study's ranking comparator; all scored in one pass. */
  readonly comparators: readonly TableComparator[];
  readonly training: Omit<TableTraining, 'finalSteps' | 'evalSteps'>;
  readonly parallelism: number;
  readonly maxAttempts: number;
  readonly provenance: Pick<TableProvenance, 'command' | 'machine'>;
}

export interface ExperimentProgress {
  /** Planned rows the table has. */
  readonly done: number;
  readonly total: number;
  /** Rows this invocation added. */
  readonly added: number;
  /** Seconds to go at this invocation's pace (undefined until a row has been added). */
  readonly etaSeconds: number | undefined;
  readonly message: string;
}

export interface ExperimentDeps {
  readonly controller: SearchControllerClient;
  readonly getTeacher: (id: string, signal?: AbortSignal) => Promise<Teacher>;
  readonly describe: Describe;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: ExperimentProgress) => void;
  readonly now?: () => number;
}

export interface ExperimentSummary {
  readonly tablePath: string;
  readonly rows: number;
  readonly planned: number;
  readonly done: number;
  readonly added: number;
  readonly studies: readonly string[];
  readonly failed: readonly { trialId: string; error: string }[];
  readonly complete: boolean;
}

const OPTIMIZERS: Record<OptimizerName, Optimizer> = { sgd_momentum: Optimizer.OPTIMIZER_SGD_MOMENTUM, adam: Optimizer.OPTIMIZER_ADAM };
const SCHEDULES: Record<ScheduleName, LrSchedule> = {
  cosine: LrSchedule.LR_SCHEDULE_COSINE,
  constant: LrSchedule.LR_SCHEDULE_CONSTANT,
  warmup_cosine: LrSchedule.LR_SCHEDULE_WARMUP_COSINE,
};

function checkOptions(o: ExperimentOptions): void {
  const e = o.evalSteps;
  if (e.length === 0 || e.some((s, i) => !Number.isInteger(s) || s < 1 || (i > 0 && s <= e[i - 1]!))) {
    throw new ExperimentError(`evaluation budgets must be increasing positive integers, got ${e.join(',')}`);
  }
  if (o.comparators.length === 0 || new Set(o.comparators).size !== o.comparators.length) {
    throw new ExperimentError(`comparators must be distinct and at least one, got ${o.comparators.join(',')}`);
  }
  if (o.seeds.seeds.length === 0) throw new ExperimentError('at least one training seed');
  if (!(o.training.optimizer in OPTIMIZERS)) throw new ExperimentError(`unknown optimizer ${o.training.optimizer}`);
  if (!(o.training.schedule in SCHEDULES)) throw new ExperimentError(`unknown schedule ${o.training.schedule}`);
}

/** The CKA comparators need the teacher's centred Gram matrices: say so before anything is trained. */
export function checkTeacher(teacher: Teacher, o: Pick<ExperimentOptions, 'comparators' | 'dataset'>): void {
  const gram = o.comparators.filter((c) => c.startsWith('cka'));
  const missing = teacher.layers.filter((l) => !l.hasGram).map((l) => l.name);
  if (gram.length > 0 && missing.length > 0) {
    throw new ExperimentError(
      `teacher "${teacher.id}" has no Gram matrices for layers ${missing.join(', ')}, which ${gram.join(' and ')} need: ` +
        `compute or upload it again with --gram (the shipped teachers have them), or leave ${gram.join(', ')} out of --comparators`,
    );
  }
  if (teacher.dataset && teacher.dataset !== o.dataset.name) {
    throw new ExperimentError(`teacher "${teacher.id}" was computed on ${teacher.dataset}, not ${o.dataset.name}: pick a teacher for ${o.dataset.name}`);
  }
}

/** A study id that is a function of the table's recipe and the pairs to train (and a counter for re-tries). */
export function experimentStudyId(header: unknown, pairs: readonly string[], attempt: number): string {
  const h = createHash('sha256').update(JSON.stringify(header)).update('\n').update(pairs.join('\n')).digest('hex');
  return `exp-${h.slice(0, 16)}-${attempt}`;
}

function grpcCode(e: unknown): number | undefined {
  return typeof e === 'object' && e !== null && 'code' in e ? (e as { code: number }).code : undefined;
}

export async function runExperiment(o: ExperimentOptions, deps: ExperimentDeps): Promise<ExperimentSummary> {
  checkOptions(o);
  const { signal, controller } = deps;
  const now = deps.now ?? (() => performance.now() / 1000);
  const teacher = await deps.getTeacher(o.teacherId, signal);
  checkTeacher(teacher, o);
  const finalSteps = o.evalSteps.at(-1)!;
  const header: Omit<BenchmarkTable, 'runs' | 'provenance'> = {
    format: TABLE_FORMAT,
    space: o.space,
    dataset: { name: o.dataset.name, numValidation: o.dataset.numValidation, numStimuli: teacher.numStimuli, splitSeed: o.dataset.splitSeed },
    teacher: { id: teacher.id, layers: teacher.layers.map((l) => l.name) },
    training: { ...o.training, finalSteps, evalSteps: [...o.evalSteps] },
    comparators: [...o.comparators],
    sampling: { seed: o.seed, maxFlops: o.caps.maxFlops, maxParams: o.caps.maxParams },
  };

  let table = await readTableIfExists(o.tablePath);
  if (table) {
    const diffs = recipeDifferences(table, header);
    if (diffs.length > 0) {
      throw new ExperimentError(
        `${o.tablePath} was made with another recipe, so its rows and this run's would not be comparable:\n  - ${diffs.join('\n  - ')}\n` +
          'run with the table\'s settings to extend it, or write a new table',
      );
    }
    // more budgets: the union; rows without them are trained again (no checkpoints to continue from)
    const budgets = [...new Set([...table.training.evalSteps, ...o.evalSteps])].sort((a, b) => a - b);
    table = { ...table, training: { ...table.training, evalSteps: budgets } };
  } else {
    table = { ...header, provenance: [], runs: [] };
  }

  // architectures: the table's, then new ones (each row checked against the sampling it claims)
  const known = new Map(table.runs.map((r) => [r.genomeKey, { parameters: r.parameters, flops: r.flops }]));
  const wanted = Math.max(o.architectures, ...table.runs.map((r) => r.architecture + 1));
  deps.onProgress?.({ done: 0, total: 0, added: 0, etaSeconds: undefined, message: `sampling ${wanted} architectures` });
  const architectures = await sampleArchitectures(o.space, o.seed, wanted, o.caps, deps.describe, { known, signal });
  for (const r of table.runs) {
    if (architectures[r.architecture]?.key !== r.genomeKey) {
      throw new ExperimentError(`${o.tablePath}: row ${r.trialId} (architecture ${r.architecture}) is not architecture ${r.architecture} of this sampling`);
    }
  }
  const byKey = new Map(architectures.map((a) => [a.key, a]));
  const pairs = plannedPairs(architectures.slice(0, o.architectures), o.seeds);
  const plannedKeys = new Set(pairs.map((p) => pairKey(p.architecture.key, p.trainingSeed)));

  const provenance: TableProvenance = { ...o.provenance, startedAt: new Date().toISOString(), studies: [] };
  const earlier = [...new Set(table.provenance.flatMap((p) => p.studies ?? []))];
  table = { ...table, provenance: [...table.provenance, provenance] };
  const setProvenance = (p: Partial<TableProvenance>) => {
    const list = [...table!.provenance];
    list[list.length - 1] = { ...list.at(-1)!, ...p };
    table = { ...table!, provenance: list };
  };
  await writeTable(o.tablePath, table);

  const covered = (t: BenchmarkTable) => {
    const ok = new Set(t.runs.filter((r) => rowCovers(t, r)).map((r) => pairKey(r.genomeKey, r.trainingSeed)));
    return pairs.filter((p) => ok.has(pairKey(p.architecture.key, p.trainingSeed)));
  };
  const missing = () => {
    const ok = new Set(covered(table!).map((p) => pairKey(p.architecture.key, p.trainingSeed)));
    return pairs.filter((p) => !ok.has(pairKey(p.architecture.key, p.trainingSeed)));
  };
  const started = now();
  let added = 0;
  const failed: { trialId: string; error: string }[] = [];
  const progress = (message: string) => {
    const done = covered(table!).length;
    const rate = added > 0 ? (now() - started) / added : undefined;
    deps.onProgress?.({ done, total: pairs.length, added, etaSeconds: rate === undefined ? undefined : rate * (pairs.length - done), message });
  };

  /** Adds a completed trial's row when it is one the plan wants and the table lacks. */
  const harvest = async (trials: readonly Trial[]) => {
    let changed = false;
    for (const t of trials) {
      if (t.state !== TrialState.TRIAL_STATE_COMPLETED || !t.genome) continue;
      const a = byKey.get(genomeToJson(t.genome));
      const key = a && pairKey(a.key, t.trainingSeed ?? 0);
      if (!a || !key || !plannedKeys.has(key)) continue;
      const current = table!.runs.find((r) => r.genomeKey === a.key && r.trainingSeed === (t.trainingSeed ?? 0));
      if (current && rowCovers(table!, current)) continue;
      const row = runFromTrial(t, a, table!);
      if (current && !rowCovers(table!, row)) continue; // an older, shorter curve does not replace a row
      table = withRun(table!, row);
      added++;
      changed = true;
      progress(`architecture ${a.index} seed ${row.trainingSeed}: final P ${row.finalP.toFixed(4)}`);
    }
    if (changed) await writeTable(o.tablePath, table!);
  };

  const follow = async (studyId: string) => {
    const seenFailed = new Set<string>();
    for await (const e of controller.runStudy({ studyId }, { signal })) {
      const ev = e.event;
      if (!ev) continue;
      if (ev.$case === 'snapshot' || ev.$case === 'snapshotTrials') await harvest(ev.value.trials);
      else if (ev.$case === 'trialCompleted') await harvest([ev.value]);
      else if (ev.$case === 'trialFailed' && ev.value.state === TrialState.TRIAL_STATE_FAILED && !seenFailed.has(ev.value.id)) {
        seenFailed.add(ev.value.id);
        failed.push({ trialId: ev.value.id, error: ev.value.error });
        progress(`trial ${ev.value.id} failed: ${ev.value.error}`);
      } else if (ev.$case === 'studyFinished') break;
    }
    await harvest(await listAllTrials({ controller }, studyId, signal));
  };

  // 1. the studies earlier runs made for this table: take what they completed, and follow those still going
  for (const id of earlier) {
    let study: Study;
    try {
      study = await getStudyWithTrials({ controller }, id, signal);
    } catch (e) {
      if (grpcCode(e) === Status.NOT_FOUND) continue; // the controller lost it: its rows are trained again
      throw e;
    }
    await harvest(study.trials);
    if ((study.state === StudyState.STUDY_STATE_RUNNING || study.state === StudyState.STUDY_STATE_CREATED) && missing().length > 0) {
      setProvenance({ studies: [...(table.provenance.at(-1)!.studies ?? []), id] });
      await writeTable(o.tablePath, table);
      progress(`resuming study ${id}`);
      await follow(id);
    }
  }

  // 2. one listed study for what is still missing
  const todo = missing();
  progress(todo.length === 0 ? 'nothing to train' : `${todo.length} rows to train`);
  if (todo.length > 0) {
    const config = studyConfig(o, table, todo);
    const todoKeys = todo.map((p) => pairKey(p.architecture.key, p.trainingSeed));
    for (let attempt = 0; ; attempt++) {
      const id = experimentStudyId({ ...header, training: table.training }, todoKeys, attempt);
      setProvenance({ studies: [...(table.provenance.at(-1)!.studies ?? []), id] });
      await writeTable(o.tablePath, table);
      try {
        await controller.createStudy({ config, studyId: id }, { signal });
      } catch (e) {
        if (grpcCode(e) !== Status.ALREADY_EXISTS) throw e;
        const s = await getStudyWithTrials({ controller }, id, signal);
        await harvest(s.trials);
        if (s.state !== StudyState.STUDY_STATE_RUNNING && s.state !== StudyState.STUDY_STATE_CREATED) continue; // ended: another id
      }
      progress(`study ${id}: ${todo.length} trials`);
      await follow(id);
      break;
    }
  }
  setProvenance({ finishedAt: new Date().toISOString() });
  await writeTable(o.tablePath, table);
  const done = covered(table).length;
  return {
    tablePath: o.tablePath,
    rows: table.runs.length,
    planned: pairs.length,
    done,
    added,
    studies: table.provenance.at(-1)!.studies ?? [],
    failed,
    complete: done === pairs.length,
  };
}

function studyConfig(o: ExperimentOptions, table: BenchmarkTable, todo: readonly { architecture: Architecture; trainingSeed: number }[]): StudyConfig {
  const [main, ...also] = o.comparators.map((c) => TABLE_COMPARATORS[c]);
  return StudyConfig.fromPartial({
    name: `experiment ${o.tablePath.split('/').pop()}`,
    space: o.space === 'nasnet' ? SearchSpace.SEARCH_SPACE_NASNET : SearchSpace.SEARCH_SPACE_CONVNET,
    strategy: { strategy: { $case: 'listed', value: { trials: todo.map((p) => ({ genome: p.architecture.genome as Genome, trainingSeed: p.trainingSeed })) } } },
    score: ScoreKind.SCORE_KIND_P_TG,
    stepsPerTrial: table.training.finalSteps,
    numTrials: todo.length,
    parallelism: o.parallelism,
    teacherId: o.teacherId,
    teacherLayers: [ALL_LAYERS], // the table records every teacher layer, whatever the teacher's tg_layers
    dataset: {
      name: o.dataset.name,
      directory: o.dataset.directory,
      numStimuli: table.dataset.numStimuli,
      numValidation: o.dataset.numValidation,
      splitSeed: o.dataset.splitSeed,
    },
    seed: o.seed,
    training: {
      batchSize: o.training.batchSize,
      optimizer: OPTIMIZERS[o.training.optimizer as OptimizerName],
      learningRate: o.training.learningRate,
      momentum: o.training.momentum,
      schedule: SCHEDULES[o.training.schedule as ScheduleName],
      evalSteps: table.training.evalSteps.filter((s) => s < table.training.finalSteps),
    },
    comparator: main,
    alsoComparators: also,
    maxAttempts: o.maxAttempts,
  });
}
