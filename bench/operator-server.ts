/**
 * One operator for the benchmark, in its own process so it gets a core of its own: local mode over
 * a data set directory (`argv[2]` = JSON {dataDir, files, flags}). Prints `{"port":N,"metricsPort":M}`
 * when listening; exits on SIGTERM. The real operator code path (`startOperator`) is used unchanged.
 */
import pino from 'pino';
import { startOperator } from '../src/operator/operator-service.ts';

const options = JSON.parse(process.argv[2] ?? '{}') as { dataDir: string; files: string[]; flags: Record<string, string | number | boolean> };
const op = await startOperator({ ...options, env: {}, logger: pino({ level: 'warn' }) });
process.stdout.write(`${JSON.stringify({ port: op.port, metricsPort: op.metricsPort })}\n`);
process.on('SIGTERM', () => void op.close().finally(() => process.exit(0)));
