/**
 * `uid2 token generate|refresh|validate|logout|cstg`: the token endpoints (spec §4.1-§4.3, §4.9,
 * §9) through the SDK. Operator location and credentials come from UID2_BASE_URL, UID2_API_KEY,
 * UID2_SECRET_KEY.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { clientFromEnv } from '../client/client-from-env.ts';
import { addIdentityOptions, identityFromOptions, type IdentityOptions } from '../client/identity-options.ts';
import { CliUsageError, jsonAction } from '../client/json-action.ts';

interface RefreshInput {
  refreshToken: string;
  refreshResponseKey: string;
}

/**
 * TOKEN may be the 388-char refresh token (with --refresh-response-key) or the JSON printed by
 * `uid2 token generate` / an identity object, so the two commands pipe into each other; `-` reads stdin.
 */
function readRefreshInput(arg: string, keyOption: string | undefined): RefreshInput {
  const text = (arg === '-' ? readFileSync(0, 'utf8') : arg).trim();
  if (text.startsWith('{')) {
    let parsed: { identity?: Record<string, unknown>; refresh_token?: unknown; refresh_response_key?: unknown };
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new CliUsageError('TOKEN looks like JSON but does not parse');
    }
    const identity = parsed.identity ?? parsed;
    if (typeof identity.refresh_token === 'string' && typeof identity.refresh_response_key === 'string') {
      return { refreshToken: identity.refresh_token, refreshResponseKey: keyOption ?? identity.refresh_response_key };
    }
    throw new CliUsageError('identity JSON needs refresh_token and refresh_response_key');
  }
  const key = keyOption ?? process.env.UID2_REFRESH_RESPONSE_KEY;
  if (!key) throw new CliUsageError('give --refresh-response-key (or pass the identity JSON from `uid2 token generate`)');
  return { refreshToken: text, refreshResponseKey: key };
}

export function register(program: Command): void {
  const token = program.command('token').description('generate, refresh, validate and log out UID2 tokens');

  addIdentityOptions(token.command('generate').description('POST /v2/token/generate'))
    .option('--tcf-consent-string <tcf>', 'EUID only: TCF consent string')
    .action(
      jsonAction((opts: IdentityOptions & { tcfConsentString?: string }) =>
        clientFromEnv().generateToken(identityFromOptions(opts), { tcfConsentString: opts.tcfConsentString }),
      ),
    );

  token
    .command('refresh')
    .description('POST /v2/token/refresh (TOKEN: refresh token, identity JSON, or - for stdin)')
    .argument('<token>')
    .option('--refresh-response-key <key>', 'refresh_response_key returned with the refresh token')
    .action(
      jsonAction((arg: string, opts: { refreshResponseKey?: string }) => {
        const input = readRefreshInput(arg, opts.refreshResponseKey);
        return clientFromEnv().refreshToken(input.refreshToken, input.refreshResponseKey);
      }),
    );

  addIdentityOptions(token.command('validate').description('POST /v2/token/validate'))
    .requiredOption('--token <token>', 'advertising token')
    .action(
      jsonAction(async (opts: IdentityOptions & { token: string }) => ({
        valid: await clientFromEnv().validateToken(opts.token, identityFromOptions(opts)),
      })),
    );

  addIdentityOptions(token.command('logout').description('POST /v2/token/logout (opt the identity out)')).action(
    jsonAction((opts: IdentityOptions) => clientFromEnv().logout(identityFromOptions(opts))),
  );

  addIdentityOptions(token.command('cstg').description('POST /v2/token/client-generate (client-side token generation)'))
    .requiredOption('--subscription-id <id>', 'CSTG subscription id')
    .requiredOption('--public-key <key>', 'server public key, e.g. UID2-X-L-MFkw...')
    .option('--origin <origin>', 'Origin header to send, e.g. https://example.com')
    .option('--app-name <name>', 'mobile app name (instead of an origin)')
    .action(
      jsonAction((opts: IdentityOptions & { subscriptionId: string; publicKey: string; origin?: string; appName?: string }) =>
        clientFromEnv().clientGenerate({
          identity: identityFromOptions(opts),
          subscriptionId: opts.subscriptionId,
          serverPublicKey: opts.publicKey,
          origin: opts.origin,
          appName: opts.appName,
        }),
      ),
    );
}
