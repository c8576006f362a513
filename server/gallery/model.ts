/**
 * Which embeddings a template holds. Templates are compared only with probes of the same model name and
 * version: a version names the weights (their sha256) and the alignment template, which is everything
 * that moves a vector. Templates of another model stay stored and are reported as stale, never mixed in.
 */
import { DLIB_RESNET_SPEC, DLIB_RESNET_WEIGHTS, TEMPLATE_ADJUSTMENT } from '../../models/embedders/dlib-resnet.js';

export interface TemplateModel {
  name: string;
  version: string;
  dimensions: number;
}

const weightsDigest = DLIB_RESNET_WEIGHTS.sha256['model/face_recognition_model.bin']!.slice(0, 12);

export const CURRENT_MODEL: TemplateModel = {
  name: DLIB_RESNET_SPEC.name,
  version: `${DLIB_RESNET_WEIGHTS.packageName}@${DLIB_RESNET_WEIGHTS.version}#${weightsDigest};chip-scale-${TEMPLATE_ADJUSTMENT.scale}`,
  dimensions: DLIB_RESNET_SPEC.dimensions,
};

export function isCurrent(template: { model: string; modelVersion: string; vector: Float32Array }): boolean {
  return template.model === CURRENT_MODEL.name && template.modelVersion === CURRENT_MODEL.version && template.vector.length === CURRENT_MODEL.dimensions;
}
