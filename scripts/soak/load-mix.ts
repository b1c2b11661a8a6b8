/**
 * The soak's mixed load (issue 7 §5): generate, refresh, identity map, key sharing and logout
 * through the TypeScript SDK, as a publisher and a data provider would call an operator. Each
 * operation resolves to `undefined` or an error label; soft outcomes (`optout`) are not errors.
 */
import { Uid2Client } from '../../src/client/uid2-client.ts';
import type { IdentityTokens } from '../../src/client/wire-types.ts';

export interface Operation {
  readonly name: string;
  readonly weight: number;
  run(): Promise<string | undefined>;
}

const TOKEN_POOL = 512;

export function loadMix(client: Uid2Client, runId: string): Operation[] {
  let counter = 0;
  const email = (kind: string) => `soak-${kind}-${runId}-${counter++ % 50_000}@example.com`;
  const tokens: IdentityTokens[] = [];
  const keep = (t: IdentityTokens) => {
    if (tokens.length < TOKEN_POOL) tokens.push(t);
    else tokens[counter % TOKEN_POOL] = t;
  };
  return [
    {
      name: 'generate',
      weight: 30,
      async run() {
        const r = await client.generateToken({ email: email('gen') });
        if (r.status === 'success') keep(r.identity);
        return r.status === 'success' || r.status === 'optout' ? undefined : `generate ${r.status}`;
      },
    },
    {
      name: 'refresh',
      weight: 25,
      async run() {
        const t = tokens.length ? tokens[counter % tokens.length] : undefined;
        if (!t) return undefined;
        const r = await client.refreshToken(t.refresh_token, t.refresh_response_key);
        return r.status === 'success' || r.status === 'optout' ? undefined : `refresh ${r.status}`;
      },
    },
    {
      name: 'map',
      weight: 20,
      async run() {
        const emails = Array.from({ length: 10 }, () => email('map'));
        const r = await client.mapIdentities({ email: emails });
        return r.email.length === 10 ? undefined : 'map: wrong number of results';
      },
    },
    {
      name: 'sharing',
      weight: 20,
      async run() {
        const r = await client.keysSharing();
        return r.keys.length > 0 ? undefined : 'sharing: no keys';
      },
    },
    {
      name: 'logout',
      weight: 5,
      async run() {
        await client.logout({ email: `soak-logout-${runId}-${counter++}@example.com` });
        return undefined;
      },
    },
  ];
}

export function pickOperation(ops: readonly Operation[], x: number): Operation {
  const total = ops.reduce((s, o) => s + o.weight, 0);
  let pick = Math.floor(x * total);
  for (const o of ops) {
    if (pick < o.weight) return o;
    pick -= o.weight;
  }
  return ops[ops.length - 1];
}
