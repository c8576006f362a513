/** The ONNX Runtime engine: one ORT session per network, built in memory from its description. */
import type { Engine, NetworkRunner, Output, PyramidRunner, PyramidScan } from '../nets/engine.js';
import type { NetworkGraph } from '../nets/graph.js';
import { ScratchBuffer } from '../nets/scratch.js';
import type { RgbImage } from '../types.js';
import { networkModel, pyramidModel } from './export.js';
import { type OrtTensor, OrtSession } from './runtime.js';

function output(t: OrtTensor | undefined, name: string): Output {
  if (!t || !(t.data instanceof Float32Array)) throw new Error(`onnxruntime: missing float output ${name}`);
  return { data: t.data, shape: [...t.dims] };
}

/** The image's bytes as float32 planes (NCHW), the pyramid's layout, in `scratch`. */
function planar(image: RgbImage, scratch: ScratchBuffer): Float32Array {
  const { data } = image;
  const plane = image.width * image.height;
  const out = scratch.take(plane * 3);
  for (let i = 0, j = 0; i < plane; i++, j += 3) {
    out[i] = data[j]!;
    out[plane + i] = data[j + 1]!;
    out[2 * plane + i] = data[j + 2]!;
  }
  return out;
}

class OrtPyramidScan implements PyramidScan {
  private current: OrtTensor;

  constructor(
    private readonly session: OrtSession,
    image: RgbImage,
    scratch: ScratchBuffer,
  ) {
    this.current = OrtSession.tensor(planar(image, scratch), [1, 3, image.height, image.width]);
  }

  level(height: number, width: number): Output[] {
    const result = this.session.run({ level: this.current, sizes: OrtSession.int64([1, 3, height, width]) });
    // the resized level is the next level's source, handed back without touching its data
    this.current = result.next!;
    return [output(result.prob, 'prob'), output(result.offsets, 'offsets')];
  }

  dispose(): void {
    // ORT outputs are plain JS arrays: nothing native to free
  }
}

export class OrtEngine implements Engine {
  readonly backend = 'onnxruntime';

  constructor(private readonly threads: number) {}

  network(graph: NetworkGraph): NetworkRunner {
    const session = new OrtSession(networkModel(graph), { threads: this.threads });
    // keep only the names: the description's weight arrays are free once ORT holds its copy
    const names = [...graph.outputs];
    return {
      run: (input, shape) => {
        const result = session.run({ input: OrtSession.tensor(input, shape) });
        return names.map((name) => output(result[name], name));
      },
      dispose: () => session.dispose(),
    };
  }

  pyramid(pnet: NetworkGraph): PyramidRunner {
    const session = new OrtSession(pyramidModel(pnet), { threads: this.threads });
    const scratch = new ScratchBuffer();
    return { scan: (image) => new OrtPyramidScan(session, image, scratch), dispose: () => session.dispose() };
  }

  tensorCount(): number {
    return 0;
  }
}
