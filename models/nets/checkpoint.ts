/**
 * An engine that calls `checkpoint` before every network run (each call of a runner, each pyramid
 * level). The checkpoint may throw to stop the work in hand between two runs: the server's worker pool
 * uses it to end a job past its deadline without terminating the thread, because terminating a thread
 * inside a native call (onnxruntime-node, tfjs-node) aborts the whole process.
 */
import type { Engine, NetworkRunner, PyramidRunner } from './engine.js';
import type { NetworkGraph } from './graph.js';

export function withCheckpoint(engine: Engine, checkpoint: () => void): Engine {
  return {
    backend: engine.backend,
    network(graph: NetworkGraph): NetworkRunner {
      const runner = engine.network(graph);
      return {
        run: (input, shape) => {
          checkpoint();
          return runner.run(input, shape);
        },
        dispose: () => runner.dispose(),
      };
    },
    pyramid(pnet: NetworkGraph): PyramidRunner {
      const runner = engine.pyramid(pnet);
      return {
        scan: (image) => {
          checkpoint();
          const scan = runner.scan(image);
          return {
            level: (height, width) => {
              checkpoint();
              return scan.level(height, width);
            },
            dispose: () => scan.dispose(),
          };
        },
        dispose: () => runner.dispose(),
      };
    },
    tensorCount: () => engine.tensorCount(),
  };
}
