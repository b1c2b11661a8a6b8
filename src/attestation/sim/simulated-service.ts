/**
 * The lifecycle every HTTP simulator shares (MAA, SKR sidecar, managed identity, Key Vault):
 * listen on a host and port (0 = ephemeral), tell the base URL while running, close. A subclass
 * only routes requests; how it listens (port from options or arguments, HTTP or HTTPS) stays its own.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { guarded, listen, type RunningServer } from './sim-http.ts';

/** Certificate and key (PEM) for a simulator that must speak HTTPS. */
export interface SimulatorTls {
  key: string;
  cert: string;
}

export abstract class SimulatedService {
  private running?: RunningServer;

  /** `label` names the service in the error a caller gets for using it before `start`. */
  protected constructor(private readonly label: string) {}

  /** e.g. `http://127.0.0.1:41234`; throws before the service is started. */
  get baseUrl(): string {
    if (!this.running) throw new Error(`${this.label} not started`);
    return this.running.baseUrl;
  }

  async close(): Promise<void> {
    await this.running?.close();
    this.running = undefined;
  }

  /** Answers one request; a throw becomes a bare 500 (or 413), never a stack trace (`guarded`). */
  protected abstract handle(req: IncomingMessage, res: ServerResponse): Promise<void>;

  /** Listens over HTTP, or HTTPS when `tls` is given; returns the base URL. */
  protected async listenOn(host: string, port: number, tls?: SimulatorTls): Promise<string> {
    const handler = guarded((req, res) => this.handle(req, res));
    const server = tls ? createHttpsServer(tls, handler) : createServer(handler);
    this.running = await listen(server, tls ? 'https' : 'http', host, port);
    return this.running.baseUrl;
  }
}
