/**
 * The legacy azure-sgx protocol end to end without SGX hardware (spec attestation-azure.md §1.3b,
 * §2.4, §3.4, §6.2): `uid2 sgx sim-init` writes a simulated `sgx_quote` helper; Core trusts the
 * simulator's test root through `sgx_root_ca_pem_path` (relative to its config file) and the
 * MRENCLAVE is registered with `uid2 admin register-enclave --protocol azure-sgx`. The operator,
 * configured with `enclave_platform: azure-sgx` and `sgx_quote_helper`, runs the helper as a child
 * process for each attestation, exactly as it runs /bin/sgx_quote inside the Occlum image.
 *
 * Negative cases go through the same helper and Core: a debug enclave, an unregistered MRENCLAVE
 * and a Core that trusts only Intel's root each get 403 and make the operator exit(1).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { HelperQuoteSource } from '../../src/attestation/sgx/quote-source.ts';
import { SgxQuoteProvider } from '../../src/attestation/sgx/sgx-quote-provider.ts';
import { Uid2Client } from '../../src/client/uid2-client.ts';
import { freePort } from '../../src/cli/stack/free-port.ts';
import { CORE_METADATA_PATHS } from '../../src/cli/stack/stack-config.ts';
import { FAILURE_EXPLANATIONS } from '../../src/core/attest-failure.ts';
import { startCore, type CoreService } from '../../src/core/core-service.ts';
import { CORE_CONFIG_FILE, createDemoDataset, OPERATOR_CONFIG_FILE, type DemoDataset } from '../../src/core/dataset/index.ts';
import { startOperator, type RunningOperator } from '../../src/operator/operator-service.ts';
import { AttestationClient, AttestationError } from '../../src/operator/sync/attestation-client.ts';
import { createOperatorIdentity } from '../../src/operator/sync/operator-identity.ts';
import { AttestationShutdownPolicy } from '../../src/operator/sync/shutdown-policy.ts';
import { startOptOutService, type RunningOptOutService } from '../../src/optout/optout-service.ts';
import { uid2 } from './stack-support.ts';

interface SimInit {
  sgx_quote_helper: string;
  sgx_root_ca_pem_path: string;
  mrenclave: string;
}

let dir: string;
let dataset: DemoDataset;
let helper: SimInit;
let operatorKey: string;
let optout: RunningOptOutService;
const cores: CoreService[] = [];

async function simInit(name: string, ...flags: string[]): Promise<SimInit> {
  return JSON.parse(await uid2(['sgx', 'sim-init', '--out', join(dir, name), ...flags])) as SimInit;
}

/** A Core on its own port with `core_public_url` = its URL; `sgxRoot` = sgx_root_ca_pem_path. */
async function startCoreWith(sgxRoot: string | undefined): Promise<string> {
  const path = join(dir, CORE_CONFIG_FILE);
  const config = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  delete config.sgx_root_ca_pem_path;
  await writeFile(path, JSON.stringify({ ...config, optout_url: optout.url, store_refresh_ms: 3_600_000, ...(sgxRoot ? { sgx_root_ca_pem_path: sgxRoot } : {}) }));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  cores.push(await startCore({ dataDir: dir, port, host: '127.0.0.1', publicUrl: url, logger: false }));
  return url;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'uid2-sgx-e2e-'));
  dataset = await createDemoDataset({ out: dir, buckets: 64 });
  helper = await simInit('sgx');
  operatorKey = /operator_key: (\S+)/.exec(await uid2(['admin', '--data', dir, 'add-operator', '--protocol', 'azure-sgx', '--name', 'sgx operator']))![1];
  // Started after the operator key exists: OptOut authenticates operators from its own store copy.
  optout = await startOptOutService({ dataDir: dir, port: 0, logger: false });
  // Upper case on purpose: MRENCLAVEs are stored lowercase, as upstream registered them.
  await uid2(['admin', '--data', dir, 'register-enclave', '--protocol', 'azure-sgx', '--id', helper.mrenclave.toUpperCase()]);
});

after(async () => {
  for (const core of cores) await core.close().catch(() => undefined);
  await optout?.close();
  await rm(dir, { recursive: true, force: true });
});

test('an azure-sgx operator attests with quotes from the helper process, loads its stores from Core and serves tokens', { timeout: 90_000 }, async () => {
  // Relative to the config file: Core resolves it against the data directory.
  const coreUrl = await startCoreWith('sgx/root-ca.pem');
  let op: RunningOperator | undefined;
  try {
    op = await startOperator({
      files: [join(dir, OPERATOR_CONFIG_FILE)],
      env: {},
      flags: {
        ...CORE_METADATA_PATHS,
        enclave_platform: 'azure-sgx',
        sgx_quote_helper: helper.sgx_quote_helper,
        core_attest_url: `${coreUrl}/attest`,
        core_api_token: operatorKey,
        optout_api_uri: `${optout.url}/optout/replicate`,
        optout_metadata_path: '/optout/refresh',
        operator_type: 'private',
        storage_mock: false,
        host: '127.0.0.1',
        port: 0,
        metrics_port: 0,
      },
      logger: pino({ level: 'fatal' }), // an attestation rejection exits the process: say why in the test output
    });
    const health = await fetch(`http://127.0.0.1:${op.port}/ops/healthcheck`);
    assert.equal(health.status, 200);
    const client = new Uid2Client({ baseUrl: `http://127.0.0.1:${op.port}`, apiKey: dataset.apiKey, secretKey: dataset.secret });
    assert.equal((await client.generateToken({ email: 'sgx-e2e@example.com' })).status, 'success');
  } finally {
    await op?.close();
  }
});

async function attestOnce(coreUrl: string, helperPath: string): Promise<{ error: unknown; exits: number[] }> {
  const logger = pino({ level: 'silent' });
  const exits: number[] = [];
  const policy = new AttestationShutdownPolicy({ now: Date.now, exit: (code) => void exits.push(code), logger });
  const client = new AttestationClient({
    attestUrl: `${coreUrl}/attest`,
    operatorKey,
    operatorType: 'private',
    provider: new SgxQuoteProvider(new HelperQuoteSource({ helperPath, attempts: 1 })),
    identity: createOperatorIdentity('sgx-negative'),
    now: Date.now,
    logger,
    onOutcome: (outcome) => policy.handle(outcome),
  });
  const error = await client.attest().then(
    () => undefined,
    (err: unknown) => err,
  );
  return { error, exits };
}

/** Core's answer to one quote of `helperPath`, sent as the operator would. */
async function coreAnswer(coreUrl: string, helperPath: string): Promise<{ status: number; body: unknown }> {
  const { generateKeyPairSync } = await import('node:crypto');
  const spki = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'der' });
  const quote = await new SgxQuoteProvider(new HelperQuoteSource({ helperPath, attempts: 1 })).getAttestationRequest(spki, Buffer.alloc(0));
  const res = await fetch(`${coreUrl}/attest`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${operatorKey}` },
    body: JSON.stringify({ attestation_request: quote.toString('base64'), public_key: spki.toString('base64'), operator_type: 'private' }),
  });
  return { status: res.status, body: await res.json() };
}

test('debug enclave, unregistered MRENCLAVE, untrusted PCK root: Core 403 and the operator exits(1)', { timeout: 120_000 }, async () => {
  const coreUrl = await startCoreWith(helper.sgx_root_ca_pem_path);
  const debug = await simInit('sgx-debug', '--debug', '--mrenclave', helper.mrenclave);
  const other = await simInit('sgx-other', '--mrenclave', 'ab'.repeat(32));
  // Each simulator has its own test PKI: trust all three roots so only the enclave policy differs.
  const roots = join(dir, 'roots.pem');
  await writeFile(roots, (await Promise.all([helper, debug, other].map((h) => readFile(h.sgx_root_ca_pem_path, 'utf8')))).join(''));
  const multiRootCore = await startCoreWith(roots);

  assert.deepEqual(await coreAnswer(multiRootCore, debug.sgx_quote_helper), { status: 403, body: { status: 'debug enclave', message: FAILURE_EXPLANATIONS.FORBIDDEN_ENCLAVE } });
  assert.deepEqual(await coreAnswer(multiRootCore, other.sgx_quote_helper), { status: 403, body: { status: 'MRENCLAVE not registered', message: FAILURE_EXPLANATIONS.FORBIDDEN_ENCLAVE } });
  const intelOnly = await startCoreWith(undefined);
  const untrusted = await coreAnswer(intelOnly, helper.sgx_quote_helper);
  assert.equal(untrusted.status, 403);
  assert.equal((untrusted.body as { message: string }).message, FAILURE_EXPLANATIONS.BAD_CERTIFICATE);

  for (const [core, path] of [[multiRootCore, debug.sgx_quote_helper], [multiRootCore, other.sgx_quote_helper], [intelOnly, helper.sgx_quote_helper]] as const) {
    const { error, exits } = await attestOnce(core, path);
    assert.ok(error instanceof AttestationError && error.status === 403, String(error));
    assert.deepEqual(exits, [1]);
  }
  // The honest helper still attests against the Core that trusts its root.
  const honest = await attestOnce(coreUrl, helper.sgx_quote_helper);
  assert.equal(honest.error, undefined);
  assert.deepEqual(honest.exits, []);
});
