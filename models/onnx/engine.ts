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

/**
 * Levels of fewer pixels than this run on a session without a thread pool: waking the pool's other thread
 * and splitting P-Net's two dozen small nodes costs more than it saves there (2 cores, one level in a
 * loop: 14 px 50 -> 26 us, 38 px 143 -> 93 us, 76 px 380 -> 326 us on one thread; from about 100 x 100
 * px up, two threads are faster). Detect + embed of an LFW image: 0.15-0.25 ms less at 10,000 px, 0.1-0.5
 * ms more at 30,000 (interleaved in one process).
 */
const SERIAL_LEVEL_PIXELS = 10_000;

/** P-Net with its pyramid step in one form (from the image or from a level), on the pool and, for small levels, serially. */
interface PyramidSessions {
  pooled: OrtSession;
  serial: OrtSession | undefined;
}

function pick(sessions: PyramidSessions, height: number, width: number): OrtSession {
  return sessions.serial && height * width < SERIAL_LEVEL_PIXELS ? sessions.serial : sessions.pooled;
}

/** The image's pyramid: the first level from its bytes (one model), the others from the level before (another). */
class OrtPyramidScan implements PyramidScan {
  private current: OrtTensor | undefined;

  constructor(
    private readonly first: PyramidSessions,
    private readonly rest: PyramidSessions,
    private readonly image: RgbImage,
  ) {}

  level(height: number, width: number): Output[] {
    const { image } = this;
    const result = this.current
      ? pick(this.rest, height, width).run({ level: this.current, sizes: OrtSession.int64([1, 3, height, width]) })
      : pick(this.first, height, width).run({ level: OrtSession.bytes(image.data, [1, image.height, image.width, 3]), sizes: OrtSession.int64([1, height, width, 3]) });
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
    const built: OrtSession[] = [];
    const sessions = (model: Uint8Array): PyramidSessions => {
      const pooled = new OrtSession(model, { threads: this.threads });
      built.push(pooled);
      if (this.threads === 1) return { pooled, serial: undefined };
      const serial = new OrtSession(model, { threads: 1 });
      built.push(serial);
      return { pooled, serial };
    };
    try {
      const first = sessions(pyramidModel(pnet, 'image'));
      const rest = sessions(pyramidModel(pnet, 'level'));
      return {
        scan: (image) => new OrtPyramidScan(first, rest, image),
        dispose: () => {
          for (const s of built) s.dispose();
        },
      };
    } catch (error) {
      for (const s of built) s.dispose();
      throw error;
    }
  }

  tensorCount(): number {
    return 0;
  }
}
