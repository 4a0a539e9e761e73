// tfjs LayersModel files on disk without tfjs-node: `model.json` (topology + weights manifest) and weight files
// next to it, in the standard format (what `model.save('file://…')` and the Python converter write), so a user's own
// converted model loads too.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { quote } from '../common/bounded-text.ts';
import { InvalidArgumentError, ResourceExhaustedError } from '../common/errors.ts';
import { MAX_MODEL_JSON_BYTES, MAX_MODEL_WEIGHT_BYTES, boundedFileSize } from './model-area.ts';

/** Saves `model` as `dir`/model.json + `dir`/weights.bin (written to temporary names, then renamed). */
export async function saveLayersModel(model: tfl.LayersModel, dir: string): Promise<{ modelPath: string; weightBytes: number }> {
  await mkdir(dir, { recursive: true });
  let weightBytes = 0;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = artifacts.weightData ? tf.io.CompositeArrayBuffer.join(artifacts.weightData) : new ArrayBuffer(0);
      weightBytes = weights.byteLength;
      const json = {
        format: 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
        ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
      };
      await writeFile(join(dir, 'weights.bin.tmp'), Buffer.from(weights));
      await writeFile(join(dir, 'model.json.tmp'), JSON.stringify(json));
      await rename(join(dir, 'weights.bin.tmp'), join(dir, 'weights.bin'));
      await rename(join(dir, 'model.json.tmp'), join(dir, 'model.json'));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: weightBytes } };
    }),
  );
  return { modelPath: join(dir, 'model.json'), weightBytes };
}

interface ModelJson {
  modelTopology?: unknown;
  weightsManifest?: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>;
  format?: string;
  userDefinedMetadata?: Record<string, unknown>;
}

/**
 * Loads a LayersModel from a model.json path or file:// URL. Reads only regular files of bounded size (model.json up
 * to MAX_MODEL_JSON_BYTES, weights up to MAX_MODEL_WEIGHT_BYTES in all, weight files only next to model.json), and
 * never quotes a file's contents in an error. FailedPrecondition when files are missing. The caller decides which
 * paths are allowed (services/teachers/model-area.ts for requests).
 */
export async function loadLayersModel(pathOrUrl: string): Promise<tfl.LayersModel> {
  if (!pathOrUrl) throw new InvalidArgumentError('model_path', 'must name a tfjs model.json');
  const path = pathOrUrl.startsWith('file://') ? fileURLToPath(pathOrUrl) : resolve(pathOrUrl);
  await boundedFileSize(path, MAX_MODEL_JSON_BYTES, `model file ${path}`);
  let json: ModelJson;
  try {
    json = JSON.parse(await readFile(path, 'utf8')) as ModelJson;
  } catch (err) {
    if (err instanceof SyntaxError) throw new InvalidArgumentError('model_path', `${path} is not a JSON model.json`);
    throw new InvalidArgumentError('model_path', `${path} is not a readable model.json (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (typeof json !== 'object' || json === null || !json.modelTopology || json.format === 'graph-model') {
    throw new InvalidArgumentError('model_path', `${path} is not a tfjs LayersModel (need format "layers-model")`);
  }
  const specs: tf.io.WeightsManifestEntry[] = [];
  const files: string[] = [];
  let total = 0;
  for (const group of Array.isArray(json.weightsManifest) ? json.weightsManifest : []) {
    specs.push(...(Array.isArray(group.weights) ? group.weights : []));
    for (const p of Array.isArray(group.paths) ? group.paths : []) {
      const file = join(dirname(path), String(p));
      total += await boundedFileSize(file, MAX_MODEL_WEIGHT_BYTES, `weight file ${quote(String(p))} named by ${path}`, dirname(path));
      if (total > MAX_MODEL_WEIGHT_BYTES) {
        throw new ResourceExhaustedError(`the weight files named by ${path} hold more than ${MAX_MODEL_WEIGHT_BYTES} bytes`);
      }
      files.push(file);
    }
  }
  const buffers: Buffer[] = [];
  for (const file of files) buffers.push(await readFile(file));
  const all = Buffer.concat(buffers);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  return tfl.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology as object,
      weightSpecs: specs,
      weightData,
      ...(json.userDefinedMetadata ? { userDefinedMetadata: json.userDefinedMetadata as {} } : {}),
    }),
  );
}
