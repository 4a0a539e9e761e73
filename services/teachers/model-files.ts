// tfjs LayersModel files on disk without tfjs-node: `model.json` (topology + weights manifest) and weight files
// next to it, in the standard format (what `model.save('file://…')` and the Python converter write), so a user's own
// converted model loads too.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { FailedPreconditionError, InvalidArgumentError } from '../common/errors.ts';

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

/** Loads a LayersModel from a model.json path or file:// URL. FailedPrecondition when files are missing. */
export async function loadLayersModel(pathOrUrl: string): Promise<tfl.LayersModel> {
  if (!pathOrUrl) throw new InvalidArgumentError('model_path', 'must name a tfjs model.json');
  const path = pathOrUrl.startsWith('file://') ? fileURLToPath(pathOrUrl) : resolve(pathOrUrl);
  let json: ModelJson;
  try {
    json = JSON.parse(await readFile(path, 'utf8')) as ModelJson;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new FailedPreconditionError(`model file ${path} does not exist`);
    throw new InvalidArgumentError('model_path', `${path} is not a readable model.json: ${(err as Error).message}`);
  }
  if (!json.modelTopology || json.format === 'graph-model') {
    throw new InvalidArgumentError('model_path', `${path} is not a tfjs LayersModel (need format "layers-model")`);
  }
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Buffer[] = [];
  for (const group of json.weightsManifest ?? []) {
    specs.push(...group.weights);
    for (const p of group.paths) {
      const file = join(dirname(path), p);
      try {
        buffers.push(await readFile(file));
      } catch {
        throw new FailedPreconditionError(`weight file ${file} named by ${path} does not exist`);
      }
    }
  }
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
