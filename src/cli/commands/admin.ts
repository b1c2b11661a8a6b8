/**
 * `uid2 admin --data DIR <command>`: changes a data set the way upstream's admin service does,
 * by writing new store versions that Core and operators load on their next poll. Keys and
 * secrets are printed once, here, and never stored in plaintext.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { openBlobBackend, type StorageKind } from '../../core/blob-backend.ts';
import {
  addClient,
  addCloudKey,
  addKeypair,
  addOperator,
  addSite,
  AdminError,
  OPERATOR_PROTOCOLS,
  registerEnclave,
  revokeOperator,
  unregisterEnclave,
} from '../../core/admin/admin-records.ts';
import { rotateKeys, rotateSalts } from '../../core/admin/admin-rotation.ts';
import { CLIENT_ROLES, OPERATOR_ROLES } from '../../core/dataset/records.ts';
import type { BlobStore } from '../../storage/blob-store.ts';

function int(value: string): number {
  const n = Number(value);
  if (!/^-?[0-9]+$/.test(value) || !Number.isSafeInteger(n)) throw new InvalidArgumentError('must be an integer');
  return n;
}

function fraction(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !(n >= 0 && n <= 1)) throw new InvalidArgumentError('must be a number from 0 to 1');
  return n;
}

function list(value: string): string[] {
  return value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}

interface AdminGlobals {
  data: string;
  storage: StorageKind;
  container: string;
}

type Action = (blobs: BlobStore, nowMs: number) => Promise<string>;

function runner(admin: Command) {
  return (action: Action) => async (): Promise<void> => {
    const g = admin.opts<AdminGlobals>();
    const { store } = await openBlobBackend({
      dataDir: g.data,
      kind: g.storage,
      baseUrl: '',
      azureConnectionString: process.env.AZURE_STORAGE_CONNECTION_STRING,
      azureContainer: g.container,
    });
    try {
      process.stdout.write(`${await action(store, Date.now())}\n`);
    } catch (err) {
      if (!(err instanceof AdminError)) throw err;
      process.stderr.write(`error: ${err.message}\n`);
      process.exitCode = 1;
    }
  };
}

export function register(program: Command): void {
  const admin = program
    .command('admin')
    .description('administer a data set (operators, clients, sites, keys, salts, enclaves)')
    .requiredOption('--data <dir>', 'data set directory (see uid2 init)')
    .addOption(new Option('--storage <kind>', 'where the stores live').choices(['fs', 'azure']).default('fs'))
    .option('--container <name>', 'Azure Blob container for --storage azure', 'uid2-core');
  const run = runner(admin);

  admin
    .command('add-operator')
    .description('add an operator key and print it')
    .addOption(new Option('--protocol <p>', 'attestation protocol').choices([...OPERATOR_PROTOCOLS]).default('trusted'))
    .option('--name <name>', 'operator name', 'operator')
    .option('--site <id>', 'site id of the operator', int, 999)
    .addOption(new Option('--type <type>', 'operator type').choices(['private', 'public']).default('private'))
    .option('--roles <roles>', 'comma-separated roles', list, [...OPERATOR_ROLES])
    .action((o: { protocol: string; name: string; site: number; type: string; roles: string[] }) =>
      run(async (blobs, now) => {
        const type = o.type === 'public' ? 'PUBLIC' : 'PRIVATE';
        const { key, keyId } = await addOperator(blobs, { name: o.name, protocol: o.protocol, siteId: o.site, operatorType: type, roles: o.roles }, now);
        return `operator_key: ${key}\nkey_id: ${keyId}`;
      })(),
    );

  admin
    .command('revoke-operator <keyIdOrName>')
    .description('disable an operator key (by key_id or name)')
    .action((who: string) => run(async (blobs, now) => `revoked ${await revokeOperator(blobs, who, now)} operator key(s)`)());

  admin
    .command('add-client')
    .description('add an API client and print its key and secret')
    .requiredOption('--site <id>', 'site id', int)
    .option('--roles <roles>', 'comma-separated roles', list, [...CLIENT_ROLES])
    .option('--name <name>', 'client name', 'client')
    .action((o: { site: number; roles: string[]; name: string }) =>
      run(async (blobs, now) => {
        const c = await addClient(blobs, { name: o.name, siteId: o.site, roles: o.roles }, now);
        return `api_key: ${c.key}\nsecret: ${c.secret}\nkey_id: ${c.keyId}`;
      })(),
    );

  admin
    .command('add-site')
    .description('add a site and print its id')
    .option('--name <name>', 'site name', 'site')
    .option('--id <id>', 'site id (default: next free)', int)
    .option('--domains <domains>', 'comma-separated domain names', list, [])
    .action((o: { name: string; id?: number; domains: string[] }) =>
      run(async (blobs, now) => `site_id: ${await addSite(blobs, { name: o.name, domains: o.domains, id: o.id }, now)}`)(),
    );

  admin
    .command('add-keypair')
    .description('add a client-side token generation keypair for a site')
    .requiredOption('--site <id>', 'site id', int)
    .action((o: { site: number }) =>
      run(async (blobs, now) => {
        const k = await addKeypair(blobs, o.site, now);
        return `subscription_id: ${k.subscriptionId}\npublic_key: ${k.publicKey}`;
      })(),
    );

  admin
    .command('add-cloud-key')
    .description('add a cloud encryption key for a site (operators with encrypted_files=true)')
    .requiredOption('--site <id>', 'site id of the operators that use it', int)
    .option('--activates <epoch-seconds>', 'activation time (default: now)', int)
    .action((o: { site: number; activates?: number }) =>
      run(async (blobs, now) => {
        const k = await addCloudKey(blobs, { siteId: o.site, activatesS: o.activates }, now);
        return `cloud_key_id: ${k.id}\nsite_id: ${o.site}\nactivates: ${k.activates}`;
      })(),
    );

  admin
    .command('rotate-keys')
    .description('add new master, refresh and site keys that activate now (old keys kept)')
    .action(() => run(async (blobs, now) => `new key ids: ${(await rotateKeys(blobs, now)).join(', ')}`)());

  admin
    .command('rotate-salts')
    .description('write a new salt snapshot with a fraction of the buckets given new salts')
    .option('--fraction <f>', 'fraction of buckets to rotate', fraction, 0.05)
    .action((o: { fraction: number }) => run(async (blobs, now) => `rotated ${await rotateSalts(blobs, o.fraction, now)} bucket(s)`)());

  admin
    .command('register-enclave')
    .description('allow an enclave id (e.g. the azure-cc policy digest)')
    .requiredOption('--protocol <p>', 'protocol of the enclave id')
    .requiredOption('--id <id>', 'enclave identifier')
    .option('--name <name>', 'name of the registration')
    .action((o: { protocol: string; id: string; name?: string }) =>
      run(async (blobs, now) => {
        await registerEnclave(blobs, o, now);
        return `registered ${o.protocol} enclave ${o.id}`;
      })(),
    );

  admin
    .command('unregister-enclave')
    .description('remove an enclave id')
    .requiredOption('--id <id>', 'enclave identifier')
    .option('--protocol <p>', 'only for this protocol')
    .action((o: { protocol?: string; id: string }) =>
      run(async (blobs, now) => `unregistered ${await unregisterEnclave(blobs, o, now)} enclave id(s)`)(),
    );
}
