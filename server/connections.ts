/**
 * Caps on open TCP connections, per client address and in total. Counted from the `connection` event of
 * the HTTP server, so keep-alive sockets, slow sockets and upgraded WebSocket connections all count
 * until they close. A connection over a cap gets a bare 503 with `Retry-After` and is closed before a
 * byte of its request is parsed.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from './logger.js';

export interface ConnectionLimits {
  /** Open connections in total. */
  maxConnections: number;
  /** Open connections from one address; 0 = no cap. */
  maxConnectionsPerAddress: number;
}

export type RefusalReason = 'total' | 'per_address';

const REFUSAL = 'HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n';

/** Refusals are logged at most once per this many milliseconds (a flood must not flood the log). */
const LOG_EVERY_MS = 10_000;

export class ConnectionGuard {
  private total = 0;
  private readonly byAddress = new Map<string, number>();
  private lastLogAt = -Infinity;
  private refusedSinceLog = 0;

  constructor(
    private readonly limits: ConnectionLimits,
    private readonly onRefused: (reason: RefusalReason) => void,
    private readonly logger: Logger,
  ) {}

  get open(): number {
    return this.total;
  }

  /** Watches a server's connections; call before it listens. */
  attach(server: Server): void {
    server.on('connection', (socket: Socket) => this.admit(socket));
  }

  private admit(socket: Socket): void {
    const address = socket.remoteAddress ?? 'unknown';
    const fromAddress = this.byAddress.get(address) ?? 0;
    let reason: RefusalReason | undefined;
    if (this.total >= this.limits.maxConnections) reason = 'total';
    else if (this.limits.maxConnectionsPerAddress > 0 && fromAddress >= this.limits.maxConnectionsPerAddress) reason = 'per_address';
    if (reason) {
      this.refuse(socket, address, reason);
      return;
    }
    this.total++;
    this.byAddress.set(address, fromAddress + 1);
    socket.once('close', () => {
      this.total--;
      const left = (this.byAddress.get(address) ?? 1) - 1;
      if (left <= 0) this.byAddress.delete(address);
      else this.byAddress.set(address, left);
    });
  }

  private refuse(socket: Socket, address: string, reason: RefusalReason): void {
    this.onRefused(reason);
    this.refusedSinceLog++;
    const now = performance.now();
    if (now - this.lastLogAt >= LOG_EVERY_MS) {
      this.logger.warn(
        { reason, address, refused: this.refusedSinceLog, open: this.total, limits: this.limits },
        'connection refused: over the connection cap',
      );
      this.lastLogAt = now;
      this.refusedSinceLog = 0;
    }
    socket.on('error', () => undefined);
    socket.end(REFUSAL);
    socket.destroySoon();
  }
}
