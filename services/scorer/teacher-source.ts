// Where the scorer gets teachers from: an interface with two implementations, the teacher store in this process or
// the teacher-cache service over gRPC. The scorer does not know which one it has.
import { createHash } from 'node:crypto';
import type { Teacher, TeacherCacheClient } from '../../gen/tgsage/v1/teacher_cache.ts';
import { decodeMatrixChunks } from '../common/chunks.ts';
import { rdmMethodFromProto } from '../common/convert.ts';
import { UnavailableError } from '../common/errors.ts';
import { fromClientError } from '../common/failures.ts';
import type { ComparatorName, RdmMethod } from '../compute/types.ts';
import { comparatorFromProto } from '../common/convert.ts';
import type { TeacherMeta, TeacherStore } from '../teacher-cache/store.ts';

export interface TeacherView {
  readonly id: string;
  readonly numStimuli: number;
  readonly rdmMethod: RdmMethod;
  readonly layers: ReadonlyArray<{
    readonly name: string;
    readonly hasGram: boolean;
    /** Noise ceilings (teachers with repetitions only). */
    readonly ceilings?: ReadonlyArray<{ readonly comparator: ComparatorName; readonly splitHalf: number }>;
  }>;
  /** Changes whenever the teacher is deleted and created again (creation time and checksums). */
  readonly version: string;
  /** The layers TG averages over when a request names none (empty / absent: every layer). */
  readonly tgLayers?: readonly string[];
}

export interface TeacherSource {
  teacher(id: string, signal: AbortSignal): Promise<TeacherView>;
  rdm(id: string, layer: string, signal: AbortSignal): Promise<Float32Array>;
  gram(id: string, layer: string, signal: AbortSignal): Promise<Float64Array>;
  /** Where it reads from, for logs. */
  readonly description: string;
}

function version(createdAt: string, sums: string[]): string {
  return createHash('sha256').update(createdAt).update(sums.join(',')).digest('hex').slice(0, 16);
}

/** Reads the teacher store of this process directly. */
export function localTeacherSource(store: TeacherStore): TeacherSource {
  const view = (t: TeacherMeta): TeacherView => ({
    id: t.id,
    numStimuli: t.numStimuli,
    rdmMethod: t.rdmMethod,
    layers: t.layers.map((l) => ({ name: l.name, hasGram: l.gramFile !== undefined, ...(l.ceilings ? { ceilings: l.ceilings } : {}) })),
    version: version(t.createdAt, t.layers.map((l) => l.rdmSha256)),
    tgLayers: t.tgLayers ?? [],
  });
  return {
    description: `in-process store ${store.dir}`,
    teacher: async (id) => view(store.get(id)),
    rdm: (id, layer) => store.readRdm(id, layer),
    gram: (id, layer) => store.readGram(id, layer),
  };
}

/** Reads teachers from the teacher-cache service. */
export function grpcTeacherSource(client: TeacherCacheClient, address: string): TeacherSource {
  const view = (t: Teacher): TeacherView => ({
    id: t.id,
    numStimuli: t.numStimuli,
    rdmMethod: rdmMethodFromProto(t.rdmMethod, 'teacher.rdm_method', 'correlation'),
    layers: t.layers.map((l) => ({
      name: l.name,
      hasGram: l.hasGram,
      ...(l.ceilings.length > 0
        ? { ceilings: l.ceilings.map((c) => ({ comparator: comparatorFromProto(c.comparator, 'teacher.ceilings.comparator'), splitHalf: c.splitHalf })) }
        : {}),
    })),
    version: version(t.createdAt?.toISOString() ?? '', t.layers.map((l) => l.rdmSha256)),
    tgLayers: t.tgLayers,
  });
  async function matrix(stream: AsyncIterable<import('../../gen/tgsage/v1/tensor.ts').MatrixChunk>, output: 'float32' | 'float64') {
    try {
      for await (const m of decodeMatrixChunks(stream, { output, field: 'teacher_cache.chunk' })) return m.data;
    } catch (error: unknown) {
      throw fromClientError(error, `teacher cache at ${address}`);
    }
    throw new UnavailableError(`teacher cache at ${address} sent no matrix`);
  }
  return {
    description: `teacher-cache service at ${address}`,
    async teacher(id, signal) {
      try {
        return view(await client.getTeacher({ id }, { signal }));
      } catch (error: unknown) {
        throw fromClientError(error, `teacher cache at ${address}`);
      }
    },
    rdm: async (id, layer, signal) => (await matrix(client.getRdm({ teacherId: id, layer }, { signal }), 'float32')) as Float32Array,
    gram: async (id, layer, signal) => (await matrix(client.getGram({ teacherId: id, layer }, { signal }), 'float64')) as Float64Array,
  };
}
