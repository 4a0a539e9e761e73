// FAKE scorer and teacher cache: test doubles of the Scorer / TeacherCache protocols for the controller's ask/tell
// tests while the real services are not at hand. The fake scorer's TG is the mean of all float32 values it received,
// so a test can check that every chunk arrived, in order, unbuffered. The whole-system test uses the real services.
import { createServer, ServerError, Status, type Server } from 'nice-grpc';
import { ScorerDefinition, type ScorerServiceImplementation } from '../../gen/tgsage/v1/scorer.ts';
import { TeacherCacheDefinition, type TeacherCacheServiceImplementation } from '../../gen/tgsage/v1/teacher_cache.ts';

export interface FakeScoring {
  scorerAddress: string;
  cacheAddress: string;
  /** Chunks received per ScoreActivations call, with the time each arrived. */
  calls: Array<{ teacherId: string; chunks: number; arrivals: number[] }>;
  close(): Promise<void>;
}

export async function startFakeScoring(teachers = ['default']): Promise<FakeScoring> {
  const calls: FakeScoring['calls'] = [];
  const scorer: ScorerServiceImplementation = {
    async scoreActivations(requests) {
      let teacherId = '';
      let sum = 0;
      let n = 0;
      const call = { teacherId, chunks: 0, arrivals: [] as number[] };
      calls.push(call);
      for await (const r of requests) {
        if (r.message?.$case === 'header') {
          teacherId = call.teacherId = r.message.value.teacherId;
          if (!teachers.includes(teacherId)) throw new ServerError(Status.NOT_FOUND, `teacher ${teacherId} not found`);
        } else if (r.message?.$case === 'chunk') {
          const d = r.message.value.data;
          if (d.byteLength % 4 !== 0) throw new ServerError(Status.INVALID_ARGUMENT, 'chunk: partial element');
          const f = new Float32Array(d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength));
          for (const v of f) sum += v;
          n += f.length;
          call.chunks++;
          call.arrivals.push(performance.now());
        }
      }
      const tg = n ? sum / n : 0;
      return { teacherId, tg, candidateLayers: ['l'], teacherLayers: ['t'], similarity: [tg], best: [{ teacherLayer: 't', candidateLayer: 'l', similarity: tg }], numStimuli: 0 };
    },
    async compareRdms() {
      throw new ServerError(Status.UNIMPLEMENTED, 'fake');
    },
  };
  const unimpl = async () => {
    throw new ServerError(Status.UNIMPLEMENTED, 'fake');
  };
  const cache: TeacherCacheServiceImplementation = {
    async getTeacher(req) {
      if (!teachers.includes(req.id)) throw new ServerError(Status.NOT_FOUND, `teacher ${req.id} not found`);
      return { id: req.id, numStimuli: 10 };
    },
    createTeacher: unimpl,
    listTeachers: unimpl,
    deleteTeacher: unimpl,
    async *getRdm() {
      throw new ServerError(Status.UNIMPLEMENTED, 'fake');
    },
    async *getGram() {
      throw new ServerError(Status.UNIMPLEMENTED, 'fake');
    },
    async *computeTeacher() {
      throw new ServerError(Status.UNIMPLEMENTED, 'fake');
    },
    setTgLayers: unimpl,
  };
  const servers: Server[] = [createServer(), createServer()];
  servers[0]!.add(ScorerDefinition, scorer);
  servers[1]!.add(TeacherCacheDefinition, cache);
  const p1 = await servers[0]!.listen('127.0.0.1:0');
  const p2 = await servers[1]!.listen('127.0.0.1:0');
  return {
    scorerAddress: `127.0.0.1:${p1}`,
    cacheAddress: `127.0.0.1:${p2}`,
    calls,
    close: async () => servers.forEach((s) => s.forceShutdown()),
  };
}
