// Which layers of a saved model become a teacher's layers: the names asked for; else the representation layers the
// model's metadata names (tgsage teachers record them); else every conv / dense layer with a 4-D or 2-D output except
// the input and the final softmax.
import type * as tfl from '@tensorflow/tfjs-layers';
import { InvalidArgumentError } from '../common/errors.ts';

export const METADATA_KEY = 'tgsage';

export interface TeacherMetadata {
  readonly representationLayers: string[];
}

export function teacherLayerNames(model: tfl.LayersModel, requested: readonly string[] = []): string[] {
  const names = new Set(model.layers.map((l) => l.name));
  if (requested.length > 0) {
    const seen = new Set<string>();
    for (const [i, name] of requested.entries()) {
      if (!names.has(name)) {
        throw new InvalidArgumentError(`layers[${i}]`, `model has no layer ${name} (layers: ${[...names].join(', ')})`);
      }
      if (seen.has(name)) throw new InvalidArgumentError(`layers[${i}]`, `layer ${name} named twice`);
      seen.add(name);
    }
    return [...requested];
  }
  const meta = (model.getUserDefinedMetadata() as Record<string, TeacherMetadata> | undefined)?.[METADATA_KEY];
  if (meta?.representationLayers?.length && meta.representationLayers.every((n) => names.has(n))) {
    return [...meta.representationLayers];
  }
  const outputs = new Set(model.outputLayers.map((l) => l.name));
  return model.layers
    .filter((layer) => {
      const cls = layer.getClassName();
      if (cls === 'InputLayer') return false;
      if (!/Conv|Dense/.test(cls)) return false;
      const shape = layer.outputShape as number[];
      if (!Array.isArray(shape) || Array.isArray(shape[0]) || (shape.length !== 4 && shape.length !== 2)) return false;
      const activation = (layer.getConfig() as { activation?: string }).activation;
      return !(outputs.has(layer.name) && activation === 'softmax');
    })
    .map((l) => l.name);
}
