// The teacher store (pure domain, no gRPC). A teacher is a directory under <dataDir>/teachers/<id>/ holding
// teacher.json (metadata and SHA-256 of every file), one float32 RDM per layer and, when asked, one float64 centred
// Gram matrix per layer. Uploads are written into a temporary directory next to it, fsynced, and made visible by one
// atomic rename, so a teacher is either complete and verified or absent. Nothing global is locked during an upload:
// reads of other teachers go on. On open, leftover temporary directories are removed and every teacher's files are
// verified; a corrupt teacher is reported and not served.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Layer } from '../common/chunks.ts';
import {
  AlreadyExistsError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  ResourceExhaustedError,
} from '../common/errors.ts';
import type { Logger } from '../common/log.ts';
import { isValidId } from '../common/ids.ts';
import { checkRows } from '../common/rows.ts';
import { RDM_COMPARATORS } from '../compute/comparators.ts';
import { checkTgLayers, checkTgLayersForm } from '../teachers/tg-layers.ts';
import { ComputeInputError, type ComparatorName, type Compute, type RdmMethod } from '../compute/types.ts';
import {
  DEFAULT_CEILING_SPLITS,
  MAX_CEILING_SPLITS,
  countMissing,
  meanLayer,
  noiseCeilings,
  type NoiseCeiling,
  type RepeatedLayer,
} from './ceiling.ts';

export type TeacherOrigin = 'uploaded' | 'computed';

export interface TeacherHeaderInput {
  id: string;
  description: string;
  numStimuli: number;
  stimulusIds: string[];
  rdmMethod: RdmMethod;
  storeGram: boolean;
  source?: TeacherOrigin;
  /** For computed teachers: the dataset of the stimulus set. */
  dataset?: string;
  /** Layers are [repetitions, stimuli, ...features] (brain recordings); each gets noise ceilings. */
  repetitions?: boolean;
  /** With repetitions: NaN marks a missing repetition. */
  missingRepetitions?: boolean;
  /** Random split-halves per ceiling (0 / undefined = DEFAULT_CEILING_SPLITS). */
  ceilingSplits?: number;
  ceilingSeed?: number;
  /** The layers TG averages over by default (empty / absent: every layer); checked once the layers are in. */
  tgLayers?: string[];
  /** Who chose tgLayers (default 'user'); a shipped teacher's follow its teacher.json until a user sets them. */
  tgLayersSetBy?: TgLayersSetBy;
}

export type TgLayersSetBy = 'user' | 'shipped';

export interface TeacherLayerMeta {
  name: string;
  shape: number[];
  numFeatures: number;
  rdmFile: string;
  rdmSha256: string;
  gramFile?: string;
  gramSha256?: string;
  /** Repetitions uploaded (absent for a teacher without repetitions). */
  repetitions?: number;
  /** NaN values in the upload. */
  missingValues?: number;
  /** Noise ceilings, one per comparator usable with the layer. */
  ceilings?: NoiseCeiling[];
}

export interface TeacherMeta {
  formatVersion: 1;
  id: string;
  description: string;
  numStimuli: number;
  stimulusIds: string[];
  rdmMethod: RdmMethod;
  storeGram: boolean;
  layers: TeacherLayerMeta[];
  /** ISO time the teacher became visible. */
  createdAt: string;
  storedBytes: number;
  source: TeacherOrigin;
  dataset: string;
  /** Uploaded with repetitions (absent in teachers stored before repetitions existed). */
  repetitions?: boolean;
  ceilingSeed?: number;
  /** The layers TG averages over when a request names none, in layer order (absent: every layer). */
  tgLayers?: string[];
  /** Who set tgLayers last (absent: nobody, or a teacher stored before tg_layers existed). */
  tgLayersSetBy?: TgLayersSetBy;
}

export interface TeacherLimits {
  maxStimuli: number;
  maxFeaturesPerLayer: number;
  maxUploadBytes: number;
  maxLayers: number;
}

export interface TeacherStore {
  readonly dir: string;
  readonly limits: TeacherLimits;
  /** Checks a header before any layer is read (id, counts, limits, id taken). */
  validateHeader(header: TeacherHeaderInput): void;
  /** Computes and stores every layer's RDM (and Gram), then makes the teacher visible. Aborts leave nothing. */
  create(header: TeacherHeaderInput, layers: AsyncIterable<Layer>, signal: AbortSignal): Promise<TeacherMeta>;
  get(id: string): TeacherMeta;
  list(): TeacherMeta[];
  remove(id: string): Promise<void>;
  /** Sets a teacher's tg_layers (empty: every layer); the metadata file is replaced atomically. */
  setTgLayers(id: string, tgLayers: string[], setBy?: TgLayersSetBy): Promise<TeacherMeta>;
  readRdm(id: string, layer: string): Promise<Float32Array>;
  readGram(id: string, layer: string): Promise<Float64Array>;
  /** Teachers found corrupt at open or on read, with the reason. */
  corrupt(): ReadonlyMap<string, string>;
}

export interface TeacherStoreOptions {
  dataDir: string;
  compute: Compute;
  limits: TeacherLimits;
  logger: Logger;
}

const META = 'teacher.json';
const TMP_PREFIX = '.tmp-';
const DEL_PREFIX = '.del-';

export function validateTeacherId(id: string, field = 'header.id'): void {
  if (!isValidId(id)) {
    throw new InvalidArgumentError(
      field,
      `${JSON.stringify(id)} is not a valid teacher id (1-64 characters from [A-Za-z0-9._-], starting with a letter or digit)`,
    );
  }
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function bytesOf(a: Float32Array | Float64Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

async function writeSynced(path: string, data: Uint8Array): Promise<void> {
  const fh = await open(path, 'wx');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function syncDir(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

function isErrno(error: unknown, ...codes: string[]): boolean {
  return typeof error === 'object' && error !== null && codes.includes((error as { code?: string }).code ?? '');
}

/** Float view of a file's bytes (copied when the buffer is not aligned). */
function floats<T extends Float32Array | Float64Array>(buf: Buffer, ctor: { new (b: ArrayBufferLike, o: number, l: number): T; BYTES_PER_ELEMENT: number }): T {
  const el = ctor.BYTES_PER_ELEMENT;
  const aligned = buf.byteOffset % el === 0 ? buf : Buffer.from(buf);
  return new ctor(aligned.buffer, aligned.byteOffset, aligned.byteLength / el);
}

export async function openTeacherStore(options: TeacherStoreOptions): Promise<TeacherStore> {
  const { compute, limits, logger } = options;
  const dir = join(options.dataDir, 'teachers');
  await mkdir(dir, { recursive: true });
  const teachers = new Map<string, TeacherMeta>();
  const corrupt = new Map<string, string>();
  const creating = new Set<string>();

  async function verify(id: string): Promise<TeacherMeta> {
    const tdir = join(dir, id);
    const meta = JSON.parse(await readFile(join(tdir, META), 'utf8')) as TeacherMeta;
    if (meta.formatVersion !== 1 || meta.id !== id || !Array.isArray(meta.layers)) throw new Error('bad teacher.json');
    if (meta.tgLayers !== undefined) checkTgLayers(id, meta.layers.map((l) => l.name), meta.tgLayers, 'tg_layers');
    // a metadata update interrupted before its rename leaves its temporary file
    for (const f of await readdir(tdir)) if (f.startsWith(TMP_PREFIX)) await rm(join(tdir, f), { force: true });
    for (const layer of meta.layers) {
      const files: Array<[string, string]> = [[layer.rdmFile, layer.rdmSha256]];
      if (layer.gramFile && layer.gramSha256) files.push([layer.gramFile, layer.gramSha256]);
      for (const [file, sum] of files) {
        if (sha256(await readFile(join(tdir, file))) !== sum) throw new Error(`checksum mismatch in ${file}`);
      }
    }
    return meta;
  }

  // Scan: remove what interrupted uploads and deletes left, load and verify the rest.
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    if (entry.name.startsWith(TMP_PREFIX) || entry.name.startsWith(DEL_PREFIX)) {
      await rm(join(dir, entry.name), { recursive: true, force: true });
      logger.info('removed leftover directory', { dir: entry.name });
      continue;
    }
    try {
      teachers.set(entry.name, await verify(entry.name));
    } catch (error: unknown) {
      const reason = error instanceof Error ? error.message : String(error);
      corrupt.set(entry.name, reason);
      logger.error('corrupt teacher not served', { teacher: entry.name, reason });
    }
  }
  logger.info('teacher store open', { dir, teachers: teachers.size, corrupt: corrupt.size });

  function get(id: string): TeacherMeta {
    const meta = teachers.get(id);
    if (meta) return meta;
    const bad = corrupt.get(id);
    if (bad !== undefined) throw new FailedPreconditionError(`teacher "${id}" is corrupt (${bad}); delete and upload it again`);
    throw new NotFoundError(`teacher "${id}" not found`);
  }

  function validateHeader(h: TeacherHeaderInput): void {
    validateTeacherId(h.id);
    if (!Number.isInteger(h.numStimuli) || h.numStimuli < 3) {
      throw new InvalidArgumentError('header.num_stimuli', `must be at least 3, got ${h.numStimuli}`);
    }
    if (h.numStimuli > limits.maxStimuli) {
      throw new ResourceExhaustedError(`header.num_stimuli: ${h.numStimuli} is over the limit of ${limits.maxStimuli} stimuli`);
    }
    if (h.stimulusIds.length !== 0 && h.stimulusIds.length !== h.numStimuli) {
      throw new InvalidArgumentError(
        'header.stimulus_ids',
        `has ${h.stimulusIds.length} entries; give none or exactly num_stimuli (${h.numStimuli})`,
      );
    }
    if (h.missingRepetitions && !h.repetitions) {
      throw new InvalidArgumentError('header.missing_repetitions', 'needs header.repetitions (layers shaped [repetitions, stimuli, ...])');
    }
    if (h.ceilingSplits && !h.repetitions) {
      throw new InvalidArgumentError('header.ceiling_splits', 'needs header.repetitions: noise ceilings come from repetitions');
    }
    checkTgLayersForm(h.tgLayers ?? [], 'header.tg_layers');
    if (h.ceilingSplits !== undefined && (!Number.isInteger(h.ceilingSplits) || h.ceilingSplits < 0 || h.ceilingSplits > MAX_CEILING_SPLITS)) {
      throw new InvalidArgumentError('header.ceiling_splits', `must be 0 (default ${DEFAULT_CEILING_SPLITS}) to ${MAX_CEILING_SPLITS}, got ${h.ceilingSplits}`);
    }
    if (teachers.has(h.id) || corrupt.has(h.id)) throw new AlreadyExistsError(`teacher "${h.id}" already exists`);
    if (creating.has(h.id)) throw new AlreadyExistsError(`teacher "${h.id}" is being uploaded by another call`);
  }

  async function layerFile(path: string, data: Float32Array | Float64Array): Promise<string> {
    const bytes = bytesOf(data);
    await writeSynced(path, bytes);
    return sha256(bytes);
  }

  async function create(h: TeacherHeaderInput, layers: AsyncIterable<Layer>, signal: AbortSignal): Promise<TeacherMeta> {
    validateHeader(h);
    creating.add(h.id);
    const tmp = join(dir, `${TMP_PREFIX}${h.id}-${randomBytes(6).toString('hex')}`);
    let committed = false;
    let storing: Promise<void> = Promise.resolve();
    try {
      await mkdir(tmp);
      const metas: TeacherLayerMeta[] = [];
      let storedBytes = 0;
      const comparators: ComparatorName[] = [...RDM_COMPARATORS, ...(h.storeGram ? (['cka', 'cka_unbiased'] as const) : [])];
      const store = async (uploaded: Layer, k: string): Promise<void> => {
        const repeated = uploaded.repetitions === undefined ? undefined : (uploaded as RepeatedLayer);
        const layer = repeated ? meanLayer(repeated) : uploaded;
        if (repeated) checkRows(layer, h.rdmMethod);
        const rdm = await withLayerName(layer.name, () => compute.rdm(layer, h.rdmMethod));
        const meta: TeacherLayerMeta = {
          name: layer.name,
          shape: [...uploaded.shape],
          numFeatures: layer.d,
          rdmFile: `layer-${k}.rdm.f32`,
          rdmSha256: await layerFile(join(tmp, `layer-${k}.rdm.f32`), rdm),
        };
        if (repeated) {
          const t0 = performance.now();
          meta.repetitions = repeated.repetitions;
          meta.missingValues = countMissing(repeated);
          meta.ceilings = await withLayerName(layer.name, () =>
            noiseCeilings(compute, repeated, {
              method: h.rdmMethod,
              comparators,
              splits: h.ceilingSplits || DEFAULT_CEILING_SPLITS,
              seed: h.ceilingSeed ?? 0,
              signal,
            }),
          );
          logger.info('noise ceilings computed', {
            teacher: h.id,
            layer: layer.name,
            repetitions: repeated.repetitions,
            seconds: Math.round((performance.now() - t0) / 10) / 100,
            spearman: meta.ceilings.find((c) => c.comparator === 'spearman')?.splitHalf,
          });
        }
        storedBytes += rdm.byteLength;
        if (h.storeGram) {
          const gram = await withLayerName(layer.name, () => compute.centeredGram(layer));
          meta.gramFile = `layer-${k}.gram.f64`;
          meta.gramSha256 = await layerFile(join(tmp, meta.gramFile), gram);
          storedBytes += gram.byteLength;
        }
        metas.push(meta);
      };
      // Layer k is computed and written while layer k+1 arrives (at most two layers' activations held).
      let count = 0;
      for await (const layer of layers) {
        signal.throwIfAborted();
        if (count >= limits.maxLayers) {
          throw new ResourceExhaustedError(`chunk.layer: more than ${limits.maxLayers} layers in one upload`);
        }
        if (layer.repetitions === undefined) checkRows(layer, h.rdmMethod);
        await storing;
        storing = store(layer, String(count++).padStart(3, '0'));
        storing.catch(() => undefined); // surfaced by the next await
      }
      await storing;
      signal.throwIfAborted();
      if (metas.length === 0) throw new InvalidArgumentError('chunk', 'no layers were uploaded');
      const tgLayers = checkTgLayers(h.id, metas.map((m) => m.name), h.tgLayers ?? [], 'header.tg_layers');
      const teacher: TeacherMeta = {
        formatVersion: 1,
        id: h.id,
        description: h.description,
        numStimuli: h.numStimuli,
        stimulusIds: h.stimulusIds,
        rdmMethod: h.rdmMethod,
        storeGram: h.storeGram,
        layers: metas,
        createdAt: new Date().toISOString(),
        storedBytes: 0,
        source: h.source ?? 'uploaded',
        dataset: h.dataset ?? '',
        ...(h.repetitions ? { repetitions: true, ceilingSeed: h.ceilingSeed ?? 0 } : {}),
        ...(tgLayers.length > 0 ? { tgLayers, tgLayersSetBy: h.tgLayersSetBy ?? 'user' } : {}),
      };
      // stored bytes: the matrices plus the metadata file (its size taken before this number is written in)
      teacher.storedBytes = storedBytes + Buffer.byteLength(JSON.stringify(teacher, null, 1));
      await writeSynced(join(tmp, META), Buffer.from(JSON.stringify(teacher, null, 1)));
      await syncDir(tmp);
      signal.throwIfAborted();
      try {
        await rename(tmp, join(dir, h.id));
      } catch (error: unknown) {
        if (isErrno(error, 'ENOTEMPTY', 'EEXIST')) throw new AlreadyExistsError(`teacher "${h.id}" already exists`);
        throw error;
      }
      committed = true;
      await syncDir(dir);
      teachers.set(h.id, teacher);
      logger.info('teacher created', { teacher: h.id, layers: metas.length, bytes: teacher.storedBytes });
      return teacher;
    } finally {
      if (!committed) {
        await storing.catch(() => undefined); // no write may land after the removal
        await rm(tmp, { recursive: true, force: true });
      }
      creating.delete(h.id);
    }
  }

  // Metadata updates and deletes, one at a time (an update must not write into a teacher being deleted, and the
  // last update to reach the disk is the one served).
  let metaLock: Promise<unknown> = Promise.resolve();
  function locked<T>(fn: () => Promise<T>): Promise<T> {
    const run = metaLock.then(fn, fn);
    metaLock = run.catch(() => undefined);
    return run;
  }

  async function setTgLayers(id: string, wanted: string[], setBy: TgLayersSetBy = 'user'): Promise<TeacherMeta> {
    validateTeacherId(id, 'id');
    return locked(async () => {
      const meta = get(id);
      const tgLayers = checkTgLayers(id, meta.layers.map((l) => l.name), wanted, 'tg_layers');
      const { tgLayers: _old, tgLayersSetBy: _oldBy, ...rest } = meta;
      const next: TeacherMeta = { ...rest, ...(tgLayers.length > 0 ? { tgLayers } : {}), tgLayersSetBy: setBy };
      // the metadata file counts as at creation: its size before the number is written in
      const metaBytes = (m: TeacherMeta) => Buffer.byteLength(JSON.stringify({ ...m, storedBytes: 0 }, null, 1));
      next.storedBytes = meta.storedBytes - metaBytes(meta) + metaBytes(next);
      const tdir = join(dir, id);
      const tmp = join(tdir, `${TMP_PREFIX}${META}-${randomBytes(6).toString('hex')}`);
      try {
        await writeSynced(tmp, Buffer.from(JSON.stringify(next, null, 1)));
        await rename(tmp, join(tdir, META));
      } catch (error: unknown) {
        await rm(tmp, { force: true });
        throw error;
      }
      await syncDir(tdir);
      teachers.set(id, next);
      logger.info('teacher tg_layers set', { teacher: id, tgLayers: tgLayers.length > 0 ? tgLayers : 'every layer', setBy });
      return next;
    });
  }

  function remove(id: string): Promise<void> {
    validateTeacherId(id, 'id');
    return locked(() => removeNow(id));
  }

  async function removeNow(id: string): Promise<void> {
    if (!teachers.has(id) && !corrupt.has(id)) throw new NotFoundError(`teacher "${id}" not found`);
    const doomed = join(dir, `${DEL_PREFIX}${id}-${randomBytes(6).toString('hex')}`);
    await rename(join(dir, id), doomed);
    teachers.delete(id);
    corrupt.delete(id);
    await syncDir(dir);
    await rm(doomed, { recursive: true, force: true });
    logger.info('teacher deleted', { teacher: id });
  }

  async function readChecked(id: string, layerName: string, kind: 'rdm' | 'gram'): Promise<Buffer> {
    const meta = get(id);
    const layer = meta.layers.find((l) => l.name === layerName);
    if (!layer) throw new NotFoundError(`teacher "${id}" has no layer "${layerName}"`);
    const file = kind === 'rdm' ? layer.rdmFile : layer.gramFile;
    const sum = kind === 'rdm' ? layer.rdmSha256 : layer.gramSha256;
    if (!file || !sum) {
      throw new FailedPreconditionError(`teacher "${id}" was stored without Gram matrices (upload it with store_gram)`);
    }
    let buf: Buffer;
    try {
      buf = await readFile(join(dir, id, file));
    } catch (error: unknown) {
      if (isErrno(error, 'ENOENT') && !teachers.has(id)) throw new NotFoundError(`teacher "${id}" not found`);
      throw error;
    }
    if (sha256(buf) !== sum) {
      if (teachers.get(id) === meta) {
        teachers.delete(id);
        corrupt.set(id, `checksum mismatch in ${file}`);
        logger.error('corrupt teacher not served', { teacher: id, reason: `checksum mismatch in ${file}` });
      }
      throw new FailedPreconditionError(`teacher "${id}" is corrupt (checksum mismatch in ${file})`);
    }
    return buf;
  }

  return {
    dir,
    limits,
    validateHeader,
    create,
    get,
    list: () => [...teachers.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
    remove,
    setTgLayers,
    readRdm: async (id, layer) => floats(await readChecked(id, layer, 'rdm'), Float32Array),
    readGram: async (id, layer) => floats(await readChecked(id, layer, 'gram'), Float64Array),
    corrupt: () => corrupt,
  };
}

/** Compute input errors name the layer they came from. */
async function withLayerName<T>(layer: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error: unknown) {
    if (error instanceof ComputeInputError) throw new InvalidArgumentError('chunk.data', `layer "${layer}": ${error.message}`);
    throw error;
  }
}
