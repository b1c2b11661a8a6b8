/**
 * EUID TCF consent check on generate (spec §4.1, upstream `TransparentConsent`,
 * `UIDOperatorVerticle.validateUserConsent`): the union of PurposesConsent (when the vendor has
 * consent) and PurposesLITransparency (when the vendor has legitimate interest) must cover
 * purposes 1, 2, 3, 4, 7 and 10, and special feature 1 (precise geolocation) must be opted in.
 * A string upstream cannot decode, or throws on while checking, is invalid
 * (src/protocol/tcf-string.ts). Only EUID operators check; UID2 ignores the field.
 */
import { isProtocolError } from '../../protocol/errors.ts';
import { decodeTcfConsent, type TcfConsent } from '../../protocol/tcf-string.ts';

export type ConsentStatus = 'sufficient' | 'insufficient' | 'invalid';

const REQUIRED_PURPOSES = [1, 2, 3, 4, 7, 10];
/** Upstream `TransparentConsentSpecialFeature.PreciseGeolocationData`. */
const PRECISE_GEOLOCATION = 1;

export function checkUserConsent(consentString: unknown, vendorId: number): ConsentStatus {
  if (typeof consentString !== 'string' || consentString.length === 0) return 'invalid';
  let consent: TcfConsent;
  try {
    consent = decodeTcfConsent(consentString, vendorId);
  } catch (err) {
    if (isProtocolError(err)) return 'invalid';
    throw err;
  }
  const granted = (p: number) => (consent.vendorConsent && consent.purposesConsent.has(p)) || (consent.vendorLegitimateInterest && consent.purposesLegitimateInterest.has(p));
  return REQUIRED_PURPOSES.every(granted) && consent.specialFeatureOptIns.has(PRECISE_GEOLOCATION) ? 'sufficient' : 'insufficient';
}
