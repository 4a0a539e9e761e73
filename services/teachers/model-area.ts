// Where ComputeTeacher may load models from: the data directory's models area (<data dir>/models) and nowhere else.
// A request names a model relative to that area ("resnet" or "resnet/model.json"), or by an absolute path / file://
// URL that lies inside it (what `tgsage teacher compute --model` sends on the same machine). Symbolic links are
// resolved before the check, so a link cannot lead out of the area; only regular files are read, with bounded sizes.
import { realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { quote } from '../common/bounded-text.ts';
import { FailedPreconditionError, InvalidArgumentError, ResourceExhaustedError } from '../common/errors.ts';

/** The models area of a data directory. */
export function modelsDir(dataDir: string): string {
  return join(dataDir, 'models');
}

/** Largest model.json read (topology + manifest). */
export const MAX_MODEL_JSON_BYTES = 16 * 1024 * 1024;
/** Largest total of a model's weight files. */
export const MAX_MODEL_WEIGHT_BYTES = 1024 * 1024 * 1024;

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel) && rel.split(sep)[0] !== '..');
}

/**
 * The absolute path of the model.json that `requested` names inside `root` (the models area), resolved through
 * symbolic links. INVALID_ARGUMENT (field model_path) for anything outside it; FAILED_PRECONDITION when missing.
 */
export async function resolveModelPath(root: string, requested: string): Promise<string> {
  if (!requested) throw new InvalidArgumentError('model_path', 'must name a model in the models area (e.g. "resnet/model.json")');
  let candidate: string;
  try {
    candidate = requested.startsWith('file://') ? fileURLToPath(requested) : resolve(root, requested);
  } catch {
    throw new InvalidArgumentError('model_path', `${quote(requested)} is not a path or file:// URL`);
  }
  const lexicalRoot = resolve(root);
  if (!inside(lexicalRoot, candidate)) {
    throw new InvalidArgumentError('model_path', `${quote(requested)} is outside the models area (${lexicalRoot}); models load only from there`);
  }
  let realRoot: string;
  try {
    realRoot = await realpath(lexicalRoot);
  } catch {
    throw new FailedPreconditionError(`the models area ${lexicalRoot} does not exist`);
  }
  let real: string;
  try {
    real = await realpath(candidate);
  } catch {
    throw new FailedPreconditionError(`model ${quote(requested)} does not exist in the models area`);
  }
  if (!inside(realRoot, real)) {
    throw new InvalidArgumentError('model_path', `${quote(requested)} leads outside the models area (a link?)`);
  }
  const s = await stat(real);
  if (s.isDirectory()) return resolveModelPath(root, join(real, 'model.json'));
  if (!s.isFile()) throw new InvalidArgumentError('model_path', `${quote(requested)} is not a regular file`);
  return real;
}

/** Size of regular file `path` (inside `root` when given), refusing other kinds of files and sizes over `max`. */
export async function boundedFileSize(path: string, max: number, what: string, root?: string): Promise<number> {
  let s;
  try {
    if (root !== undefined && !inside(await realpath(root), await realpath(path))) {
      throw new InvalidArgumentError('model_path', `${what} leads outside the model's directory`);
    }
    s = await stat(path);
  } catch (error: unknown) {
    if (error instanceof InvalidArgumentError) throw error;
    throw new FailedPreconditionError(`${what} does not exist`);
  }
  if (!s.isFile()) throw new InvalidArgumentError('model_path', `${what} is not a regular file`);
  if (s.size > max) throw new ResourceExhaustedError(`${what} has ${s.size} bytes, more than the limit of ${max}`);
  return s.size;
}
