// TeacherCache gRPC adapter: proto <-> store only.
import type { CallContext } from 'nice-grpc-common';
import {
  TeacherSource,
  type Teacher,
  type TeacherCacheServiceImplementation,
  type TeacherHeader,
} from '../../gen/tgsage/v1/teacher_cache.ts';
import { assembleLayers, encodeMatrixChunks, type Layer } from '../common/chunks.ts';
import { comparatorToProto, rdmMethodFromProto, rdmMethodToProto } from '../common/convert.ts';
import { InvalidArgumentError } from '../common/errors.ts';
import { createMemoryBudget, type CallMemory, type MemoryBudget } from '../common/memory-budget.ts';
import { paginate } from '../common/pages.ts';
import { splitHeader } from '../common/upload.ts';
import type { TeacherHeaderInput, TeacherMeta, TeacherStore } from './store.ts';
import { validateTeacherId } from './store.ts';

export function teacherToProto(t: TeacherMeta): Teacher {
  return {
    id: t.id,
    description: t.description,
    numStimuli: t.numStimuli,
    stimulusIds: t.stimulusIds,
    rdmMethod: rdmMethodToProto(t.rdmMethod),
    layers: t.layers.map((l) => ({
      name: l.name,
      shape: l.shape,
      numFeatures: l.numFeatures,
      rdmSha256: l.rdmSha256,
      hasGram: l.gramFile !== undefined,
      repetitions: l.repetitions ?? 0,
      missingValues: l.missingValues ?? 0,
      ceilings: (l.ceilings ?? []).map((c) => ({
        comparator: comparatorToProto(c.comparator),
        splitHalf: c.splitHalf,
        splitHalfUncorrected: c.splitHalfUncorrected,
        splitHalfSd: c.splitHalfSd,
        splits: c.splits,
        hasBounds: c.lower !== undefined && c.upper !== undefined,
        lower: c.lower ?? 0,
        upper: c.upper ?? 0,
      })),
    })),
    createdAt: new Date(t.createdAt),
    storedBytes: t.storedBytes,
    source: t.source === 'computed' ? TeacherSource.TEACHER_SOURCE_COMPUTED : TeacherSource.TEACHER_SOURCE_UPLOADED,
    dataset: t.dataset,
    repetitions: t.repetitions ?? false,
    ceilingSeed: t.ceilingSeed ?? 0,
    tgLayers: t.tgLayers ?? [],
  };
}

export function headerFromProto(h: TeacherHeader): TeacherHeaderInput {
  return {
    id: h.id,
    description: h.description,
    numStimuli: h.numStimuli,
    stimulusIds: h.stimulusIds,
    rdmMethod: rdmMethodFromProto(h.rdmMethod, 'header.rdm_method', 'correlation'),
    storeGram: h.storeGram,
    source: 'uploaded',
    repetitions: h.repetitions,
    missingRepetitions: h.missingRepetitions,
    ceilingSplits: h.ceilingSplits,
    ceilingSeed: h.ceilingSeed,
    tgLayers: h.tgLayers,
  };
}

export type ComputeTeacherHandler = TeacherCacheServiceImplementation['computeTeacher'];

export function teacherCacheService(
  store: TeacherStore,
  computeTeacher: ComputeTeacherHandler,
  budget: MemoryBudget = createMemoryBudget({ callBytes: Infinity, processBytes: Infinity }),
): TeacherCacheServiceImplementation {
  const requireId = (id: string, field: string) => {
    if (!id) throw new InvalidArgumentError(field, 'missing');
    validateTeacherId(id, field);
  };
  return {
    async createTeacher(requests, context: CallContext) {
      const { header, pieces } = await splitHeader(requests);
      const input = headerFromProto(header);
      store.validateHeader(input);
      const memory = budget.call();
      try {
        const layers = assembleLayers(pieces, {
          expectedStimuli: input.numStimuli,
          maxFeaturesPerLayer: store.limits.maxFeaturesPerLayer,
          maxTotalBytes: store.limits.maxUploadBytes,
          memory,
          repetitions: input.repetitions === true,
          allowNaN: input.missingRepetitions === true,
        });
        return teacherToProto(await store.create(input, freeingEach(layers, memory), context.signal));
      } finally {
        memory.end();
      }
    },
    async getTeacher({ id }) {
      requireId(id, 'id');
      return teacherToProto(store.get(id));
    },
    async listTeachers({ pageSize, pageToken }) {
      const page = paginate(store.list(), (t) => t.id, { pageSize, pageToken });
      return { teachers: page.items.map(teacherToProto), nextPageToken: page.nextPageToken };
    },
    async deleteTeacher({ id }) {
      requireId(id, 'id');
      await store.remove(id);
      return {};
    },
    async *getRdm({ teacherId, layer }) {
      requireId(teacherId, 'teacher_id');
      const n = store.get(teacherId).numStimuli;
      yield* encodeMatrixChunks(layer, n, await store.readRdm(teacherId, layer));
    },
    async *getGram({ teacherId, layer }) {
      requireId(teacherId, 'teacher_id');
      const n = store.get(teacherId).numStimuli;
      yield* encodeMatrixChunks(layer, n, await store.readGram(teacherId, layer));
    },
    async setTgLayers({ id, tgLayers }) {
      requireId(id, 'id');
      return teacherToProto(await store.setTgLayers(id, tgLayers));
    },
    computeTeacher: computeTeacher,
  };
}

/** `layers`, freeing each layer's reservation once the consumer asks for the next (it is done with it then). */
async function* freeingEach(layers: AsyncIterable<Layer>, memory: CallMemory): AsyncGenerator<Layer> {
  for await (const layer of layers) {
    yield layer;
    memory.free(layer.data.byteLength);
  }
}
