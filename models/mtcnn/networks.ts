/**
 * P-Net, R-Net and O-Net of Zhang et al. (2016), written with TF.js ops over the original weights. The
 * weights were trained on transposed images (Caffe/MATLAB column order), so every input here is
 * transposed [batch, width, height, channels] and fully-connected layers flatten in that order; the
 * caller transposes back. Inputs are already normalised to (pixel - 127.5) / 128.
 */
import { FaceError } from '../errors.js';
import { tf } from '../tf.js';
import { requireTensor } from '../weights.js';

interface ConvParams {
  filters: tf.Tensor4D;
  bias: tf.Tensor1D;
}
interface FcParams {
  weights: tf.Tensor2D;
  bias: tf.Tensor1D;
}

export interface PNetParams {
  conv1: ConvParams; prelu1: tf.Tensor1D;
  conv2: ConvParams; prelu2: tf.Tensor1D;
  conv3: ConvParams; prelu3: tf.Tensor1D;
  conv4_1: ConvParams; conv4_2: ConvParams;
}
export interface RNetParams {
  conv1: ConvParams; prelu1: tf.Tensor1D;
  conv2: ConvParams; prelu2: tf.Tensor1D;
  conv3: ConvParams; prelu3: tf.Tensor1D;
  fc1: FcParams; prelu4: tf.Tensor1D;
  fc2_1: FcParams; fc2_2: FcParams;
}
export interface ONetParams {
  conv1: ConvParams; prelu1: tf.Tensor1D;
  conv2: ConvParams; prelu2: tf.Tensor1D;
  conv3: ConvParams; prelu3: tf.Tensor1D;
  conv4: ConvParams; prelu4: tf.Tensor1D;
  fc1: FcParams; prelu5: tf.Tensor1D;
  fc2_1: FcParams; fc2_2: FcParams; fc2_3: FcParams;
}
export interface MtcnnParams {
  pnet: PNetParams;
  rnet: RNetParams;
  onet: ONetParams;
}

function conv(map: tf.NamedTensorMap, name: string): ConvParams {
  return { filters: requireTensor(map, `${name}/weights`, 4), bias: requireTensor(map, `${name}/bias`, 1) };
}
function fc(map: tf.NamedTensorMap, name: string): FcParams {
  return { weights: requireTensor(map, `${name}/weights`, 2), bias: requireTensor(map, `${name}/bias`, 1) };
}
function prelu(map: tf.NamedTensorMap, name: string): tf.Tensor1D {
  return requireTensor(map, name, 1);
}

/** Picks the 50 MTCNN tensors out of the decoded manifest; fails on any missing one. */
export function mtcnnParams(map: tf.NamedTensorMap): MtcnnParams {
  const params: MtcnnParams = {
    pnet: {
      conv1: conv(map, 'pnet/conv1'), prelu1: prelu(map, 'pnet/prelu1_alpha'),
      conv2: conv(map, 'pnet/conv2'), prelu2: prelu(map, 'pnet/prelu2_alpha'),
      conv3: conv(map, 'pnet/conv3'), prelu3: prelu(map, 'pnet/prelu3_alpha'),
      conv4_1: conv(map, 'pnet/conv4_1'), conv4_2: conv(map, 'pnet/conv4_2'),
    },
    rnet: {
      conv1: conv(map, 'rnet/conv1'), prelu1: prelu(map, 'rnet/prelu1_alpha'),
      conv2: conv(map, 'rnet/conv2'), prelu2: prelu(map, 'rnet/prelu2_alpha'),
      conv3: conv(map, 'rnet/conv3'), prelu3: prelu(map, 'rnet/prelu3_alpha'),
      fc1: fc(map, 'rnet/fc1'), prelu4: prelu(map, 'rnet/prelu4_alpha'),
      fc2_1: fc(map, 'rnet/fc2_1'), fc2_2: fc(map, 'rnet/fc2_2'),
    },
    onet: {
      conv1: conv(map, 'onet/conv1'), prelu1: prelu(map, 'onet/prelu1_alpha'),
      conv2: conv(map, 'onet/conv2'), prelu2: prelu(map, 'onet/prelu2_alpha'),
      conv3: conv(map, 'onet/conv3'), prelu3: prelu(map, 'onet/prelu3_alpha'),
      conv4: conv(map, 'onet/conv4'), prelu4: prelu(map, 'onet/prelu4_alpha'),
      fc1: fc(map, 'onet/fc1'), prelu5: prelu(map, 'onet/prelu5_alpha'),
      fc2_1: fc(map, 'onet/fc2_1'), fc2_2: fc(map, 'onet/fc2_2'), fc2_3: fc(map, 'onet/fc2_3'),
    },
  };
  const count = Object.keys(map).length;
  if (count !== 50) throw new FaceError('MODEL_LOAD_FAILED', `MTCNN manifest has ${count} tensors, expected 50`);
  return params;
}

function convPrelu(x: tf.Tensor4D, c: ConvParams, alpha: tf.Tensor1D): tf.Tensor4D {
  return tf.fused.conv2d({ x, filter: c.filters, strides: 1, pad: 'valid', bias: c.bias, activation: 'prelu', preluActivationWeights: alpha });
}
function dense(x: tf.Tensor2D, p: FcParams): tf.Tensor2D {
  return tf.fused.matMul({ a: x, b: p.weights, bias: p.bias }) as tf.Tensor2D;
}
function densePrelu(x: tf.Tensor2D, p: FcParams, alpha: tf.Tensor1D): tf.Tensor2D {
  return tf.fused.matMul({ a: x, b: p.weights, bias: p.bias, activation: 'prelu', preluActivationWeights: alpha }) as tf.Tensor2D;
}
function flatten(x: tf.Tensor4D): tf.Tensor2D {
  const [n, h, w, c] = x.shape;
  return tf.reshape(x, [n, h * w * c]);
}

/** P-Net: fully convolutional. Returns face probability [1, W', H'] and box offsets [1, W', H', 4]. */
export function runPNet(x: tf.Tensor4D, p: PNetParams): { prob: tf.Tensor3D; offsets: tf.Tensor4D } {
  return tf.tidy(() => {
    let out = convPrelu(x, p.conv1, p.prelu1);
    out = tf.maxPool(out, 2, 2, 'same');
    out = convPrelu(out, p.conv2, p.prelu2);
    out = convPrelu(out, p.conv3, p.prelu3);
    const logits = tf.fused.conv2d({ x: out, filter: p.conv4_1.filters, strides: 1, pad: 'valid', bias: p.conv4_1.bias });
    const prob = tf.squeeze(tf.slice(tf.softmax(logits), [0, 0, 0, 1], [-1, -1, -1, 1]), [3]) as tf.Tensor3D;
    const offsets = tf.fused.conv2d({ x: out, filter: p.conv4_2.filters, strides: 1, pad: 'valid', bias: p.conv4_2.bias });
    return { prob, offsets };
  });
}

/** R-Net on [N, 24, 24, 3] transposed crops: face probability [N] and box offsets [N, 4]. */
export function runRNet(x: tf.Tensor4D, p: RNetParams): { prob: tf.Tensor1D; offsets: tf.Tensor2D } {
  return tf.tidy(() => {
    let out = convPrelu(x, p.conv1, p.prelu1);
    out = tf.maxPool(out, 3, 2, 'same');
    out = convPrelu(out, p.conv2, p.prelu2);
    out = tf.maxPool(out, 3, 2, 'valid');
    out = convPrelu(out, p.conv3, p.prelu3);
    const features = densePrelu(flatten(out), p.fc1, p.prelu4);
    const prob = tf.squeeze(tf.slice(tf.softmax(dense(features, p.fc2_1)), [0, 1], [-1, 1]), [1]) as tf.Tensor1D;
    return { prob, offsets: dense(features, p.fc2_2) };
  });
}

/**
 * O-Net on [N, 48, 48, 3] transposed crops: probability [N], box offsets [N, 4] and landmarks [N, 10]
 * (five x fractions of the box width, then five y fractions of its height).
 */
export function runONet(
  x: tf.Tensor4D,
  p: ONetParams,
): { prob: tf.Tensor1D; offsets: tf.Tensor2D; landmarks: tf.Tensor2D } {
  return tf.tidy(() => {
    let out = convPrelu(x, p.conv1, p.prelu1);
    out = tf.maxPool(out, 3, 2, 'same');
    out = convPrelu(out, p.conv2, p.prelu2);
    out = tf.maxPool(out, 3, 2, 'valid');
    out = convPrelu(out, p.conv3, p.prelu3);
    out = tf.maxPool(out, 2, 2, 'same');
    out = convPrelu(out, p.conv4, p.prelu4);
    const features = densePrelu(flatten(out), p.fc1, p.prelu5);
    const prob = tf.squeeze(tf.slice(tf.softmax(dense(features, p.fc2_1)), [0, 1], [-1, 1]), [1]) as tf.Tensor1D;
    return { prob, offsets: dense(features, p.fc2_2), landmarks: dense(features, p.fc2_3) };
  });
}
