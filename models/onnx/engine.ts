/** The ONNX Runtime engine: one ORT session per network, built in memory from its description. */
import type { Engine, NetworkRunner, Output, PyramidRunner, PyramidScan } from '../nets/engine.js';
import type { NetworkGraph } from '../nets/graph.js';
import type { RgbImage } from '../types.js';
import { networkModel, pyramidModel } from './export.js';
import { type OrtTensor, OrtSession } from './runtime.js';

function output(t: OrtTensor | undefined, name: string): Output {
  if (!t || !(t.data instanceof Float32Array)) throw new Error(`onnxruntime: missing float output ${name}`);
  return { data: t.data, shape: [...t.dims] };
}

/** The image's pyramid: the first level from its bytes (one session), the others from the level before (another). */
class OrtPyramidScan implements PyramidScan {
  private current: OrtTensor | undefined;

  constructor(
    private readonly first: OrtSession,
    private readonly rest: OrtSession,
    private readonly image: RgbImage,
  ) {}

  level(height: number, width: number): Output[] {
    const { image } = this;
    const result = this.current
      ? this.rest.run({ level: this.current, sizes: OrtSession.int64([1, 3, height, width]) })
      : this.first.run({ level: OrtSession.bytes(image.data, [1, image.height, image.width, 3]), sizes: OrtSession.int64([1, height, width, 3]) });
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
    const first = new OrtSession(pyramidModel(pnet, 'image'), { threads: this.threads });
    let rest: OrtSession;
    try {
      rest = new OrtSession(pyramidModel(pnet, 'level'), { threads: this.threads });
    } catch (error) {
      first.dispose();
      throw error;
    }
    return {
      scan: (image) => new OrtPyramidScan(first, rest, image),
      dispose: () => {
        first.dispose();
        rest.dispose();
      },
    };
  }

  tensorCount(): number {
    return 0;
  }
}
