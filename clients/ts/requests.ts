// Request streams for the upload RPCs: the header, then every layer split into chunks of at most 1 MiB (views of the
// caller's arrays, no copies).
import { TeacherHeader, type CreateTeacherRequest } from '../../gen/tgsage/v1/teacher_cache.ts';
import { CompareRdmsHeader, RdmSide, ScoreHeader, type CompareRdmsRequest, type ScoreActivationsRequest } from '../../gen/tgsage/v1/scorer.ts';
import { encodeLayerChunks, encodeMatrixChunks, MAX_CHUNK_BYTES } from '../../services/common/chunks.ts';

/** One layer to upload: shape[0] = stimuli, data row-major. */
export interface LayerInput {
  name: string;
  shape: readonly number[];
  data: Float32Array | Float64Array;
}

export interface RequestOptions {
  maxChunkBytes?: number;
  /** Called after each chunk with the payload bytes sent so far (progress bars). */
  onProgress?: (sentBytes: number, totalBytes: number) => void;
}

function* layerChunks(layers: Iterable<LayerInput>, total: number, options: RequestOptions) {
  let sent = 0;
  for (const l of layers) {
    for (const chunk of encodeLayerChunks(l.name, l.shape, l.data, options.maxChunkBytes ?? MAX_CHUNK_BYTES)) {
      yield chunk;
      sent += chunk.data.byteLength;
      options.onProgress?.(sent, total);
    }
  }
}

const totalBytes = (layers: readonly LayerInput[]) => layers.reduce((s, l) => s + l.data.byteLength, 0);

export async function* createTeacherRequests(
  header: Partial<TeacherHeader> & { id: string; numStimuli: number },
  layers: readonly LayerInput[],
  options: RequestOptions = {},
): AsyncGenerator<CreateTeacherRequest> {
  yield {
    message: {
      $case: 'header',
      value: TeacherHeader.fromPartial(header),
    },
  };
  for (const chunk of layerChunks(layers, totalBytes(layers), options)) yield { message: { $case: 'chunk', value: chunk } };
}

export async function* scoreRequests(
  header: Partial<ScoreHeader> & { teacherId: string },
  layers: readonly LayerInput[],
  options: RequestOptions = {},
): AsyncGenerator<ScoreActivationsRequest> {
  yield { message: { $case: 'header', value: ScoreHeader.fromPartial(header) } };
  for (const chunk of layerChunks(layers, totalBytes(layers), options)) yield { message: { $case: 'chunk', value: chunk } };
}

export interface RdmInput {
  name: string;
  side: 'candidate' | 'teacher';
  /** size x size, row-major. */
  data: Float32Array | Float64Array;
}

export async function* compareRdmsRequests(
  header: Partial<CompareRdmsHeader> & { numStimuli: number },
  rdms: readonly RdmInput[],
  options: RequestOptions = {},
): AsyncGenerator<CompareRdmsRequest> {
  yield { message: { $case: 'header', value: CompareRdmsHeader.fromPartial(header) } };
  for (const r of rdms) {
    const side = r.side === 'teacher' ? RdmSide.RDM_SIDE_TEACHER : RdmSide.RDM_SIDE_CANDIDATE;
    for (const chunk of encodeMatrixChunks(r.name, header.numStimuli, r.data, options.maxChunkBytes ?? MAX_CHUNK_BYTES)) {
      yield { message: { $case: 'rdm', value: { side, chunk } } };
    }
  }
}
