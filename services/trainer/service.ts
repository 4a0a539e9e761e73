// Trainer gRPC adapter: proto <-> domain only. The work happens in pipeline.ts (TrainCandidate), spaces/ (genomes).
import type { CallContext } from 'nice-grpc-common';
import type { DatasetSpec } from '../../gen/tgsage/v1/data.ts';
import { SearchSpace, type Genome } from '../../gen/tgsage/v1/genome.ts';
import { Comparator } from '../../gen/tgsage/v1/similarity.ts';
import {
  CheckpointMode,
  type CurvePoint,
  LrSchedule,
  Optimizer,
  type TrainCandidateEvent,
  type TrainCandidateRequest,
  type TrainerServiceImplementation,
  type TrainingConfig as TrainingConfigProto,
} from '../../gen/tgsage/v1/trainer.ts';
import { comparatorFromProto } from '../common/convert.ts';
import { InvalidArgumentError } from '../common/errors.ts';
import { splitHeader } from '../common/upload.ts';
import { DEFAULT_TEACHER_ID } from '../common/ids.ts';
import { resolveDatasetSpec } from '../data/dataset.ts';
import { DEFAULT_MODEL_SHAPE, describeGenome } from '../spaces/describe.ts';
import { sampleGenome } from '../spaces/decisions.ts';
import { createRng } from '../spaces/rng.ts';
import { validateGenome } from '../spaces/validate.ts';
import { eventStream } from './channel.ts';
import type { CheckpointRequest } from './checkpoint.ts';
import { checkpointChunks, collectCheckpoint, decodeCheckpoint, DEFAULT_MAX_CHECKPOINT_BYTES } from './checkpoint-format.ts';
import {
  runTraining,
  type DatasetRequest,
  type PipelineCurvePoint,
  type PipelineDeps,
  type TrainRequest,
} from './pipeline.ts';
import { DEFAULT_TRAINING, type TrainingConfig } from './types.ts';

/** The proto's DatasetSpec with defaults filled in and checked (InvalidArgumentError naming `field`). */
export function datasetRequest(spec: DatasetSpec | undefined, field = 'dataset'): DatasetRequest {
  return resolveDatasetSpec(spec ?? {}, field);
}

export function trainingConfig(t: TrainingConfigProto | undefined): TrainingConfig {
  const adam = t?.optimizer === Optimizer.OPTIMIZER_ADAM;
  if (t?.optimizer !== undefined && t.optimizer !== Optimizer.OPTIMIZER_SGD_MOMENTUM && !adam) {
    throw new InvalidArgumentError('training.optimizer', `unknown optimizer ${t.optimizer}`);
  }
  const schedule = t?.schedule ?? LrSchedule.LR_SCHEDULE_COSINE;
  const schedules = {
    [LrSchedule.LR_SCHEDULE_COSINE]: 'cosine',
    [LrSchedule.LR_SCHEDULE_CONSTANT]: 'constant',
    [LrSchedule.LR_SCHEDULE_WARMUP_COSINE]: 'warmup_cosine',
  } as const;
  if (!(schedule in schedules)) throw new InvalidArgumentError('training.schedule', `unknown schedule ${schedule}`);
  return {
    ...DEFAULT_TRAINING,
    steps: t?.steps ?? 0,
    batchSize: t?.batchSize || DEFAULT_TRAINING.batchSize,
    optimizer: adam ? 'adam' : 'sgd_momentum',
    learningRate: t?.learningRate || (adam ? 0.001 : DEFAULT_TRAINING.learningRate),
    momentum: t?.momentum || DEFAULT_TRAINING.momentum,
    schedule: schedules[schedule as keyof typeof schedules],
    seed: t?.seed ?? 0,
    scheduleSteps: t?.scheduleSteps ?? 0,
    evalSteps: [...(t?.evalSteps ?? [])],
  };
}

/** The request's checkpoint wishes (undefined: none). */
export function checkpointRequest(mode: CheckpointMode | undefined, maxBytes: number | undefined): CheckpointRequest | undefined {
  if (!mode) return undefined;
  if (mode !== CheckpointMode.CHECKPOINT_MODE_REQUIRED && mode !== CheckpointMode.CHECKPOINT_MODE_IF_FITS) {
    throw new InvalidArgumentError('checkpoint', `unknown checkpoint mode ${mode}`);
  }
  return { mode: mode === CheckpointMode.CHECKPOINT_MODE_REQUIRED ? 'required' : 'if_fits', maxBytes: maxBytes ?? 0 };
}

function trainRequest(request: TrainCandidateRequest): TrainRequest {
  return {
    genome: request.genome ?? ({} as Genome),
    training: trainingConfig(request.training),
    dataset: datasetRequest(request.training?.dataset, 'training.dataset'),
    teacherId: request.teacherId || DEFAULT_TEACHER_ID,
    comparator: request.comparator || Comparator.COMPARATOR_SPEARMAN,
    skipScoring: request.skipScoring,
    teacherLayers: request.teacherLayers,
    trialId: request.trialId,
    alsoComparators: alsoComparators(request.comparator || Comparator.COMPARATOR_SPEARMAN, request.alsoComparators),
    checkpoint: checkpointRequest(request.checkpoint, request.maxCheckpointBytes),
  };
}

/** Checks also_comparators before any training: known comparators, none repeated (nor the main one). */
export function alsoComparators(main: Comparator, also: readonly Comparator[]): Comparator[] {
  also.forEach((c, i) => {
    const name = comparatorFromProto(c, `also_comparators[${i}]`);
    if (c === main || also.indexOf(c) !== i) {
      throw new InvalidArgumentError(`also_comparators[${i}]`, `${name} repeats a comparator already asked for`);
    }
  });
  return [...also];
}

export interface TrainerServiceDeps extends PipelineDeps {
  readonly log?: (message: string, fields?: Record<string, unknown>) => void;
}

export function TrainerService(deps: TrainerServiceDeps): TrainerServiceImplementation {
  async function* train(domain: TrainRequest, signal: AbortSignal): AsyncGenerator<TrainCandidateEvent> {
    deps.log?.('train candidate', {
      trial: domain.trialId,
      steps: domain.training.steps,
      ...(domain.resume ? { fromStep: domain.resume.header.step, checkpointBackend: domain.resume.header.backend } : {}),
    });
    yield* eventStream<TrainCandidateEvent, Awaited<ReturnType<typeof runTraining>>>(
      async (emit) => {
        const r = await runTraining(
          deps,
          domain,
          {
            progress: (p) => emit({ event: { $case: 'progress', value: { ...p } } }),
            curvePoint: (c) => emit({ event: { $case: 'curvePoint', value: curvePoint(c) } }),
          },
          signal,
        );
        // the checkpoint's chunks come before the result (the result is the last message)
        for (const data of checkpointChunks(r.checkpoint ?? new Uint8Array(0))) {
          emit({ event: { $case: 'checkpointChunk', value: { data } } });
        }
        return r;
      },
      (r) => ({
        event: {
          $case: 'result',
          value: {
            ...r,
            checkpoint: undefined,
            representationLayers: [...r.representationLayers],
            rdmPreviews: [...r.rdmPreviews],
            curve: r.curve.map(curvePoint),
            checkpointBytes: r.checkpoint?.byteLength ?? 0,
            checkpointOmitted: r.checkpointOmitted ?? '',
            startStep: r.startStep ?? 0,
          },
        },
      }),
    );
  }

  return {
    trainCandidate(request, context: CallContext): AsyncGenerator<TrainCandidateEvent> {
      return train(trainRequest(request), context.signal);
    },

    async *continueCandidate(requests, context: CallContext): AsyncGenerator<TrainCandidateEvent> {
      const { header, pieces } = await splitHeader(requests);
      const domain = trainRequest(header); // a bad header answers before the checkpoint is read
      const bytes = await collectCheckpoint(pieces, deps.maxCheckpointBytes ?? DEFAULT_MAX_CHECKPOINT_BYTES);
      yield* train({ ...domain, resume: decodeCheckpoint(bytes) }, context.signal);
    },

    async describeGenome(request) {
      validateGenome(request.genome);
      const spec = datasetRequest(request.dataset);
      // The three datasets are 28x28 grey images of 10 classes; other IDX directories are read for their shape.
      const shape = spec.name === 'idx' ? await deps.loadDataset(spec) : undefined;
      return describeGenome(request.genome!, shape ?? DEFAULT_MODEL_SHAPE);
    },

    async sampleGenome(request) {
      if (request.space !== SearchSpace.SEARCH_SPACE_CONVNET && request.space !== SearchSpace.SEARCH_SPACE_NASNET) {
        throw new InvalidArgumentError('space', 'must be SEARCH_SPACE_CONVNET or SEARCH_SPACE_NASNET');
      }
      return sampleGenome(request.space, createRng(request.seed));
    },
  };
}

function curvePoint(c: PipelineCurvePoint): CurvePoint {
  return {
    step: c.step,
    validationAccuracy: c.validationAccuracy,
    similarity: c.similarity,
    trainLoss: c.trainLoss,
    trainSeconds: c.trainSeconds,
    evalSeconds: c.evalSeconds,
    scoreSeconds: c.scoreSeconds,
  };
}
