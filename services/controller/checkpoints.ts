// Where the controller keeps the checkpoints of successive-halving trials between rungs: one file per trial in
// <data-dir>/checkpoints/<study>/<trial>.ckpt next to controller.sqlite (or in memory for an in-memory controller).
// A file is written to a temporary name, fsynced and renamed, so it is complete or absent after a crash; what is read
// back is verified (format and SHA-256) before it is handed to a trainer. The total is bounded: a checkpoint that
// would exceed it is refused with RESOURCE_EXHAUSTED naming the limit (the promoted trial then trains from step 0).
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError, ResourceExhaustedError } from '../common/errors.ts';
import { DEFAULT_MAX_CHECKPOINT_BYTES, mib, verifyCheckpoint } from '../trainer/checkpoint-format.ts';

/** Default bound of all checkpoints the controller keeps at once. */
export const DEFAULT_MAX_CHECKPOINT_STORE_BYTES = 1024 * 1024 * 1024;

export interface CheckpointStoreLimits {
  /** Largest single checkpoint (asked of trainers as max_checkpoint_bytes). */
  readonly maxBytes: number;
  /** Largest total kept. */
  readonly maxTotalBytes: number;
}

export interface CheckpointStore {
  readonly limits: CheckpointStoreLimits;
  /** Stores durably (replacing an earlier one); ResourceExhaustedError over a limit. */
  put(studyId: string, trialId: string, bytes: Uint8Array): Promise<void>;
  /**
   * The verified checkpoint, or why there is none: `missing`, or `corrupt` (the file is then removed) with the
   * reason.
   */
  get(studyId: string, trialId: string): Promise<{ bytes: Uint8Array } | { missing: true } | { corrupt: string }>;
  delete(studyId: string, trialId: string): void;
  deleteStudy(studyId: string): void;
  /** Bytes kept now. */
  totalBytes(): number;
}

const DEFAULTS: CheckpointStoreLimits = { maxBytes: DEFAULT_MAX_CHECKPOINT_BYTES, maxTotalBytes: DEFAULT_MAX_CHECKPOINT_STORE_BYTES };

function checkPut(limits: CheckpointStoreLimits, bytes: number, othersTotal: number): void {
  if (bytes > limits.maxBytes) {
    throw new ResourceExhaustedError(`checkpoint of ${mib(bytes)} exceeds the per-checkpoint limit of ${mib(limits.maxBytes)}`);
  }
  if (othersTotal + bytes > limits.maxTotalBytes) {
    throw new ResourceExhaustedError(
      `checkpoint store full: ${mib(othersTotal)} kept + ${mib(bytes)} would exceed its limit of ` +
        `${mib(limits.maxTotalBytes)} (search-controller --max-checkpoint-store-mib)`,
    );
  }
}

function verified(bytes: Uint8Array): { bytes: Uint8Array } | { corrupt: string } {
  try {
    verifyCheckpoint(bytes);
    return { bytes };
  } catch (e) {
    return { corrupt: e instanceof InvalidArgumentError ? e.message : String(e) };
  }
}

const safeName = (id: string): string => {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(id)) throw new InvalidArgumentError('trial_id', `${JSON.stringify(id)} is not a safe name`);
  return id;
};

export function memoryCheckpointStore(limits: Partial<CheckpointStoreLimits> = {}): CheckpointStore {
  const all: CheckpointStoreLimits = { ...DEFAULTS, ...limits };
  const kept = new Map<string, Uint8Array>();
  const key = (s: string, t: string) => `${s}/${t}`;
  const total = () => [...kept.values()].reduce((n, b) => n + b.byteLength, 0);
  return {
    limits: all,
    async put(studyId, trialId, bytes) {
      checkPut(all, bytes.byteLength, total() - (kept.get(key(studyId, trialId))?.byteLength ?? 0));
      kept.set(key(studyId, trialId), Uint8Array.from(bytes));
    },
    async get(studyId, trialId) {
      const b = kept.get(key(studyId, trialId));
      if (!b) return { missing: true };
      const v = verified(b);
      if ('corrupt' in v) kept.delete(key(studyId, trialId));
      return v;
    },
    delete(studyId, trialId) {
      kept.delete(key(studyId, trialId));
    },
    deleteStudy(studyId) {
      for (const k of [...kept.keys()]) if (k.startsWith(`${studyId}/`)) kept.delete(k);
    },
    totalBytes: total,
  };
}

/** Checkpoints under `dir` (created if needed); leftovers of interrupted writes are removed on open. */
export function fileCheckpointStore(dir: string, limits: Partial<CheckpointStoreLimits> = {}): CheckpointStore {
  const all: CheckpointStoreLimits = { ...DEFAULTS, ...limits };
  mkdirSync(dir, { recursive: true });
  const sizes = new Map<string, number>(); // path -> bytes
  for (const study of readdirSync(dir, { withFileTypes: true })) {
    if (!study.isDirectory()) continue;
    for (const f of readdirSync(join(dir, study.name))) {
      const path = join(dir, study.name, f);
      if (f.endsWith('.ckpt')) sizes.set(path, statSync(path).size);
      else if (f.includes('.tmp-')) rmSync(path, { force: true });
    }
  }
  const pathOf = (studyId: string, trialId: string) => join(dir, safeName(studyId), `${safeName(trialId)}.ckpt`);
  const total = () => [...sizes.values()].reduce((n, b) => n + b, 0);
  return {
    limits: all,
    async put(studyId, trialId, bytes) {
      const path = pathOf(studyId, trialId);
      const before = sizes.get(path);
      checkPut(all, bytes.byteLength, total() - (before ?? 0));
      sizes.set(path, Math.max(before ?? 0, bytes.byteLength)); // reserved while writing
      mkdirSync(join(dir, studyId), { recursive: true });
      const tmp = `${path}.tmp-${randomBytes(4).toString('hex')}`;
      try {
        const fh = await open(tmp, 'w');
        try {
          await fh.writeFile(bytes);
          await fh.sync();
        } finally {
          await fh.close();
        }
        await rename(tmp, path);
        const d = await open(join(dir, studyId), 'r');
        try {
          await d.sync();
        } finally {
          await d.close();
        }
      } catch (e) {
        await rm(tmp, { force: true });
        if (before === undefined) sizes.delete(path);
        else sizes.set(path, before);
        throw e;
      }
      sizes.set(path, bytes.byteLength);
    },
    async get(studyId, trialId) {
      const path = pathOf(studyId, trialId);
      let bytes: Uint8Array;
      try {
        bytes = await readFile(path);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { missing: true };
        throw e;
      }
      const v = verified(bytes);
      if ('corrupt' in v) {
        rmSync(path, { force: true });
        sizes.delete(path);
      }
      return v;
    },
    delete(studyId, trialId) {
      const path = pathOf(studyId, trialId);
      rmSync(path, { force: true });
      sizes.delete(path);
    },
    deleteStudy(studyId) {
      const d = join(dir, safeName(studyId));
      rmSync(d, { recursive: true, force: true });
      for (const p of [...sizes.keys()]) if (p.startsWith(d + '/')) sizes.delete(p);
    },
    totalBytes: total,
  };
}
