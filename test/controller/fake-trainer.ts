// FAKE trainer: a test double of the Trainer gRPC protocol (TrainCandidate streams progress, then one result), for
// the controller's runner / pool / resume tests. It trains nothing: P and TG are a deterministic function of the
// genome, so tests can check scores independently. The whole-system test uses the real trainer instead.
import { createServer, ServerError, Status, type Server } from 'nice-grpc';
import { HealthDefinition, HealthServiceImpl, HealthState } from 'nice-grpc-server-health';
import { Genome } from '../../gen/tgsage/v1/genome.ts';
import {
  type TrainCandidateRequest,
  TrainerDefinition,
  type TrainerServiceImplementation,
  type TrainingResult,
} from '../../gen/tgsage/v1/trainer.ts';

/** Deterministic fake P and TG of a genome, in [0, 1]. */
export function fakeScores(genome: Genome | undefined, steps: number): { p: number; tg: number } {
  const text = JSON.stringify(Genome.toJSON(genome ?? {}));
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
  const p = ((h % 1000) / 1000) * 0.5 + 0.4 + Math.min(steps, 100) / 1000;
  const tg = ((h >>> 10) % 1000) / 1000;
  return { p, tg };
}

export interface FakeTrainerOptions {
  /** Milliseconds per (fake) step. */
  msPerStep?: number;
  /** Called on every request: throw a ServerError to fail it, or return 'hang' to stall forever. */
  hook?: (req: TrainCandidateRequest, n: number) => void | 'hang' | Promise<void | 'hang'>;
}

export interface FakeTrainer {
  address: string;
  server: Server;
  requests: TrainCandidateRequest[];
  /** Requests this trainer sent a result for. */
  results: TrainCandidateRequest[];
  /** Resolves when a request has started (its first progress event is sent). */
  started(): Promise<TrainCandidateRequest>;
  health: HealthState;
  close(): Promise<void>;
}

export async function startFakeTrainer(o: FakeTrainerOptions = {}, port = 0, host = '127.0.0.1'): Promise<FakeTrainer> {
  const requests: TrainCandidateRequest[] = [];
  const results: TrainCandidateRequest[] = [];
  let startWaiters: Array<(r: TrainCandidateRequest) => void> = [];
  const impl: TrainerServiceImplementation = {
    // eslint-disable-next-line require-yield
    async *continueCandidate() {
      throw new ServerError(Status.UNIMPLEMENTED, 'the fake trainer keeps no checkpoints');
    },
    async *trainCandidate(req, ctx) {
      requests.push(req);
      const n = requests.length;
      const h = await o.hook?.(req, n);
      const steps = req.training?.steps ?? 1;
      yield { event: { $case: 'progress', value: { phase: 'training', step: 0, totalSteps: steps } } };
      const w = startWaiters;
      startWaiters = [];
      w.forEach((f) => f(req));
      if (h === 'hang') {
        await new Promise<void>((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)));
      }
      for (let s = 1; s <= steps; s++) {
        await new Promise((r) => setTimeout(r, o.msPerStep ?? 2));
        ctx.signal.throwIfAborted();
        if (s % 5 === 0 || s === steps) {
          yield { event: { $case: 'progress', value: { phase: 'training', step: s, totalSteps: steps, loss: 1 / s } } };
        }
      }
      const { p, tg } = fakeScores(req.genome, steps);
      const result: Partial<TrainingResult> = {
        validationAccuracy: p,
        steps,
        parameterCount: 1000 + n,
        wallSeconds: 0.01,
        backend: 'fake',
        similarity: req.skipScoring
          ? undefined
          : {
            teacherId: req.teacherId,
            comparator: 1,
            rdmMethod: 1,
            candidateLayers: ['c1'],
            teacherLayers: ['t1'],
            similarity: [tg],
            best: [{ teacherLayer: 't1', candidateLayer: 'c1', similarity: tg, normalizedSimilarity: NaN, pBest: NaN }],
            tg,
            numStimuli: 10,
            computeSeconds: 0,
            also: [],
            ceilings: [],
            normalizedSimilarity: [],
            tgNormalized: NaN,
            skippedLayers: [],
          },
      };
      results.push(req);
      yield { event: { $case: 'result', value: result } };
    },
    async describeGenome() {
      throw new ServerError(Status.UNIMPLEMENTED, 'fake');
    },
    async sampleGenome() {
      throw new ServerError(Status.UNIMPLEMENTED, 'fake');
    },
  };
  const server = createServer();
  const health = HealthState();
  server.add(TrainerDefinition, impl);
  server.add(HealthDefinition, HealthServiceImpl(health));
  const bound = await server.listen(`${host}:${port}`);
  return {
    address: `${host}:${bound}`,
    server,
    requests,
    results,
    health,
    started: () => new Promise((r) => startWaiters.push(r)),
    close: async () => server.forceShutdown(),
  };
}
