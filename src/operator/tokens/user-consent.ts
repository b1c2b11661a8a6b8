/**
 * EUID TCF consent check on generate (spec §4.1, upstream `TransparentConsent`,
 * `UIDOperatorVerticle.validateUserConsent`): the union of PurposesConsent (when the vendor has
 * consent) and PurposesLITransparency (when the vendor has legitimate interest) must cover
 * purposes 1, 2, 3, 4, 7 and 10. Only EUID operators check; UID2 ignores the field.
 */
import { TCString } from '@iabtcf/core';

export type ConsentStatus = 'sufficient' | 'insufficient' | 'invalid';

const REQUIRED_PURPOSES = [1, 2, 3, 4, 7, 10];

export function checkUserConsent(consentString: unknown, vendorId: number): ConsentStatus {
  if (typeof consentString !== 'string' || consentString.length === 0) return 'invalid';
  let model: ReturnType<typeof TCString.decode>;
  try {
    model = TCString.decode(consentString);
  } catch {
    return 'invalid';
  }
  const granted = new Set<number>();
  if (model.vendorConsents.has(vendorId)) model.purposeConsents.forEach((on, id) => on && granted.add(id));
  if (model.vendorLegitimateInterests.has(vendorId)) model.purposeLegitimateInterests.forEach((on, id) => on && granted.add(id));
  return REQUIRED_PURPOSES.every((p) => granted.has(p)) ? 'sufficient' : 'insufficient';
}
