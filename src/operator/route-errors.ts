/**
 * Which catalogue errors (`errors.ts`) each operator route answers, beyond the ones every v2 route
 * shares (bad API key or role: 401 `unauthorized`; the request envelope's errors). The tables of
 * docs/errors.md "Messages by route" are generated from this list (`npm run docs:errors`), and
 * test/operator/errors-doc.test.ts fails when the document, this list or the routes' own messages
 * drift apart.
 */
import { ClientError, ExpiredToken, GenericError, InvalidAppName, InvalidClient, InvalidHttpOrigin, InvalidToken, Messages, NoActiveKey, Unauthorized, UnknownError, type OperatorError } from './errors.ts';
import { INVALID_LINK_ID } from './identity/service-link-check.ts';
import { IdentityMessages } from './routes/identity.ts';
import { OptoutStatusMessages } from './routes/optout-status.ts';

export interface RouteError {
  /** The family, which gives the status and HTTP code. */
  readonly family: new (detail?: string) => OperatorError;
  /** The exact message (`N` stands for a number, `<field>` for a field name). */
  readonly message: string;
  readonly when: string;
}

export interface RouteErrors {
  readonly routes: readonly string[];
  readonly errors: readonly RouteError[];
}

const e = (family: RouteError['family'], message: string, when: string): RouteError => ({ family, message, when });

const exactlyOne = [
  e(ClientError, Messages.exactlyOneIdentity(true), 'none or several of the identity fields'),
  e(ClientError, Messages.exactlyOneIdentity(false), 'the same, with phone support off'),
];
const noActiveKey = e(NoActiveKey, Messages.noActiveKey, 'no active master, site or refresh key');

/** One entry per group of routes answering the same errors, in the order of docs/errors.md. */
export const ROUTE_ERRORS: readonly RouteErrors[] = [
  {
    routes: ['/v2/token/generate'],
    errors: [
      ...exactlyOne,
      e(ClientError, Messages.invalidIdentifier, 'the identity is not a valid email, phone or hash'),
      e(ClientError, Messages.userConsentInvalid, 'EUID: `tcf_consent_string` sent but not a TCF v2 string'),
      noActiveKey,
    ],
  },
  {
    routes: ['/v2/token/refresh'],
    errors: [
      e(ClientError, 'Invalid body: Body is not valid base64.', '388-char form: not base64'),
      e(ClientError, 'Invalid key: Generator of this token (Key ID: N) does not exist.', '388-char form: unknown key'),
      e(ClientError, 'Invalid data: Check encryption method and encryption key.', '388-char form: does not decrypt'),
      e(ClientError, 'Invalid format: Payload is not valid json or missing required data.', '388-char form: bad payload'),
      e(GenericError, Messages.errorRefreshingToken, 'unauthenticated caller, any failure'),
      e(InvalidToken, Messages.invalidTokenPresented, 'authenticated caller, the token does not decrypt'),
      e(ExpiredToken, Messages.expiredTokenPresented, 'authenticated caller, the refresh token expired'),
      noActiveKey,
    ],
  },
  {
    routes: ['/v2/token/validate'],
    errors: [
      ...exactlyOne,
      e(ClientError, Messages.invalidIdentifier, 'the identity is not a valid email, phone or hash'),
      e(ClientError, Messages.invalidToken, 'the token is missing or does not decrypt'),
      e(ClientError, Messages.unauthorisedToValidate, 'the token belongs to another site'),
    ],
  },
  {
    routes: ['/v2/token/logout'],
    errors: [
      // Upstream answers invalid_token, not client_error, for every identity problem (spec §4.9).
      e(InvalidToken, Messages.invalidTokenPresented, 'none, several or an invalid identity field'),
      e(UnknownError, Messages.optOutWriteFailed, 'the OptOut service did not take the opt-out (down, refused, or no `optout_api_uri`)'),
    ],
  },
  {
    routes: ['/v2/token/client-generate'],
    errors: [
      e(ClientError, 'json payload expected but not found', 'empty body'),
      e(ClientError, 'json payload is not valid', 'the body is not a JSON object'),
      e(ClientError, 'bad subscription_id', 'unknown subscription'),
      e(Unauthorized, 'Unauthorized', 'the subscription is disabled'),
      e(InvalidAppName, 'unexpected app name', 'the app name is not one of the site\'s'),
      e(InvalidHttpOrigin, 'unexpected http origin', 'the Origin is not one of the site\'s domains'),
      e(ClientError, 'required parameters: payload, iv, public_key', 'one of them missing'),
      e(ClientError, 'bad public key', 'not a P-256 public key'),
      e(ClientError, 'bad iv', 'not a 12-byte IV'),
      e(ClientError, 'payload decryption failed', 'AES-GCM fails under the shared secret'),
      e(ClientError, 'encrypted payload contains invalid json', 'the decrypted payload is not JSON'),
      e(ClientError, 'please provide exactly one of: email_hash, phone_hash', 'none or both'),
      e(ClientError, 'phone support not enabled', '`phone_hash` with phone support off'),
      e(ClientError, Messages.invalidIdentifier, 'the hash is not a valid hash'),
      noActiveKey,
    ],
  },
  {
    routes: ['/v2/identity/map'],
    errors: [...exactlyOne, e(ClientError, IdentityMessages.mustBeArray('<field>'), 'an identity field is not an array'), e(Unauthorized, INVALID_LINK_ID, 'the service link check fails')],
  },
  {
    routes: ['/v3/identity/map'],
    errors: [
      e(ClientError, IdentityMessages.incorrectFormat, 'unknown field, or a field that is not an array of strings'),
      e(ClientError, IdentityMessages.oneOrMore(true), 'no identity at all'),
      e(ClientError, IdentityMessages.oneOrMore(false), 'the same, with phone support off'),
      e(Unauthorized, INVALID_LINK_ID, 'the service link check fails'),
    ],
  },
  {
    routes: ['/v2/identity/buckets'],
    errors: [e(ClientError, IdentityMessages.missingSince, '`since_timestamp` missing'), e(ClientError, IdentityMessages.invalidSince, '`since_timestamp` not an ISO 8601 local date-time')],
  },
  {
    routes: ['/v2/key/latest', '/v2/key/sharing', '/v2/key/bidstream'],
    errors: [e(InvalidClient, 'Unexpected client site id N', 'the caller\'s site id is below 3')],
  },
  {
    routes: ['/v2/optout/status'],
    errors: [
      e(ClientError, OptoutStatusMessages.invalidBody, 'no payload'),
      e(ClientError, OptoutStatusMessages.missingIds, '`advertising_ids` missing or not an array'),
      e(ClientError, OptoutStatusMessages.tooLarge, 'more ids than `optout_status_max_request_size`'),
    ],
  },
];

/** The errors a route answers (its own; the shared ones are not listed). */
export function errorsOf(route: string): readonly RouteError[] {
  return ROUTE_ERRORS.find((g) => g.routes.includes(route))?.errors ?? [];
}

function cell(text: string): string {
  return text.replaceAll('|', '\\|');
}

/** The "Messages by route" tables of docs/errors.md. */
export function renderRouteErrors(): string {
  const out: string[] = [];
  for (const group of ROUTE_ERRORS) {
    out.push(`### ${group.routes.map((r) => `\`${r}\``).join(', ')}`, '| HTTP | status | message | when |', '|---|---|---|---|');
    for (const err of group.errors) {
      const sample = new err.family(err.message);
      out.push(`| ${sample.httpCode} | \`${sample.status}\` | \`${cell(err.message)}\` | ${cell(err.when)} |`);
    }
    out.push('');
  }
  return out.join('\n');
}
