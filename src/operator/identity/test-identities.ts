/**
 * Upstream's built-in test identities (spec §10.1, `OP:.../IdentityConst.java`), which SDK
 * integration tests rely on (client-expectations.md):
 *
 * | identity                                   | generate / map | refresh   |
 * | optout@example.com, +00000000000           | opted out      | opted out |
 * | refresh-optout@example.com, +00000000002   | never          | opted out |
 * | validate@example.com, +12345678901         | never          | never     |
 *
 * They are matched on identity type + identity hash, so `email` and `email_hash` inputs of the
 * same address behave alike; the opt-out store is not consulted for them.
 */
import { parseIdentity, type Identity } from '../../protocol/identity-input.ts';

export type TestIdentityRule = 'always_optout' | 'optout_on_refresh' | 'never_optout';

const RULES: readonly [field: 'email' | 'phone', value: string, rule: TestIdentityRule][] = [
  ['email', 'optout@example.com', 'always_optout'],
  ['phone', '+00000000000', 'always_optout'],
  ['email', 'refresh-optout@example.com', 'optout_on_refresh'],
  ['phone', '+00000000002', 'optout_on_refresh'],
  ['email', 'validate@example.com', 'never_optout'],
  ['phone', '+12345678901', 'never_optout'],
];

function keyOf(identity: Identity): string {
  return `${identity.type}:${identity.hash.toString('base64')}`;
}

const BY_IDENTITY: ReadonlyMap<string, TestIdentityRule> = new Map(
  RULES.map(([field, value, rule]) => {
    const identity = parseIdentity(field, value);
    if (!identity) throw new Error(`test identity ${field} does not parse`);
    return [keyOf(identity), rule];
  }),
);

/** The rule of a test identity, or undefined for every ordinary identity. */
export function testIdentityRule(identity: Identity): TestIdentityRule | undefined {
  return BY_IDENTITY.get(keyOf(identity));
}
