/**
 * `facegate serve` and `npm start`: parse the environment, start the server, exit cleanly on SIGTERM /
 * SIGINT (graceful drain) and with status 1 when the configuration is invalid or the models cannot load.
 */
import { startServer, type RunningServer } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './logger.js';

export interface ServeOptions {
  /** Environment to read the configuration from (default: `process.env`). */
  env?: Record<string, string | undefined>;
  /** Install SIGTERM/SIGINT handlers and exit the process on failure (default: true). */
  manageProcess?: boolean;
}

/** Starts the server from environment variables; resolves once it listens (models may still be loading). */
export async function serve(options: ServeOptions = {}): Promise<RunningServer> {
  const manageProcess = options.manageProcess ?? true;
  let config;
  try {
    config = loadConfig(options.env ?? process.env);
  } catch (error) {
    if (error instanceof ConfigError && manageProcess) {
      process.stderr.write(`facegate: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger(config.log.level);
  const server = await startServer(config, { logger });
  if (!manageProcess) return server;

  server.ready.catch(async () => {
    // Logged by the server; without models there is nothing to serve.
    await server.stop('models failed to load');
    process.exit(1);
  });
  let firstSignalAt: number | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (firstSignalAt !== undefined) {
      // Ctrl-C under `npm start` delivers SIGINT twice (terminal and npm): only a later one means "now".
      if (Date.now() - firstSignalAt < 1000) return;
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(130);
    }
    firstSignalAt = Date.now();
    server.stop(signal).then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled rejection'));
  return server;
}
