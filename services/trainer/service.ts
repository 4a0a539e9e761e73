// Trainer gRPC adapter: proto <-> domain only. The work happens in pipeline.ts (TrainCandidate), spaces/ (genomes).
import type { CallContext } from 'nice-grpc-common';
import type { DatasetSpec } from '../../gen/tgsage/v1/data.ts';
import { SearchSpace, type Genome } from '../../gen/tgsage/v1/genome.ts';
import { Comparator } from '../../gen/tgsage/v1/similarity.ts';
import {
  LrSchedule,
  Optimizer,
  type TrainCandidateEvent,
  type TrainerServiceImplementation,
  type TrainingConfig as TrainingConfigProto,
} from '../../gen/tgsage/v1/trainer.ts';
import { InvalidArgumentError } from '../common/errors.ts';
import { DEFAULT_TEACHER_ID } from '../common/ids.ts';
import { resolveDatasetSpec } from '../data/dataset.ts';
import { DEFAULT_MODEL_SHAPE, describeGenome } from '../spaces/describe.ts';
import { sampleGenome } from '../spaces/decisions.ts';
import { createRng } from '../spaces/rng.ts';
import { validateGenome } from '../spaces/validate.ts';
import { eventStream } from './channel.ts';
import { runTraining, type DatasetRequest, type PipelineDeps, type TrainRequest } from './pipeline.ts';
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
  };
}

export interface TrainerServiceDeps extends PipelineDeps {
  readonly log?: (message: string, fields?: Record<string, unknown>) => void;
}

export function TrainerService(deps: TrainerServiceDeps): TrainerServiceImplementation {
  return {
    async *trainCandidate(request, context: CallContext): AsyncGenerator<TrainCandidateEvent> {
      const domain: TrainRequest = {
        genome: request.genome ?? ({} as Genome),
        training: trainingConfig(request.training),
        dataset: datasetRequest(request.training?.dataset, 'training.dataset'),
        teacherId: request.teacherId || DEFAULT_TEACHER_ID,
        comparator: request.comparator || Comparator.COMPARATOR_SPEARMAN,
        skipScoring: request.skipScoring,
        trialId: request.trialId,
      };
      deps.log?.('train candidate', { trial: domain.trialId, steps: domain.training.steps });
      yield* eventStream<TrainCandidateEvent, Awaited<ReturnType<typeof runTraining>>>(
        (emit) => runTraining(deps, domain, (p) => emit({ event: { $case: 'progress', value: { ...p } } }), context.signal),
        (r) => ({
          event: {
            $case: 'result',
            value: {
              ...r,
              representationLayers: [...r.representationLayers],
              rdmPreviews: [...r.rdmPreviews],
              curve: [],
              queueSeconds: 0,
              trainSeconds: 0,
            },
          },
        }),
      );
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
