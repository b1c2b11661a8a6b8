/**
 * What `uid2 release` accepts: a version usable in file names and an image named by digest.
 * A tag is refused: it can be moved after the policy is generated, while the policy (and so the
 * enclave id Core registers) pins the image's layers; the digest is what the release vouches for.
 */
export class ReleaseError extends Error {
  override readonly name = 'ReleaseError';
}

const VERSION = /^[0-9]+\.[0-9]+\.[0-9]+(?:-[0-9A-Za-z]+(?:\.[0-9A-Za-z]+)*)?$/;
/** Registry host (optional port) and path components, lowercase as registries require. */
const REPOSITORY = /^[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?(?::[0-9]+)?(?:\/[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?)*$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;
const DIGEST_HINT = 'REPO@sha256:<64 lowercase hex digits>, e.g. myacr.azurecr.io/uid2/operator@sha256:…';

export function checkVersion(version: string): string {
  if (!VERSION.test(version)) throw new ReleaseError(`--version must be a release version such as 1.2.3 or 1.2.3-rc.1 (got ${JSON.stringify(version)})`);
  return version;
}

export interface ImageReference {
  /** As given: `repository@sha256:…`. */
  readonly reference: string;
  readonly repository: string;
  /** `sha256:…`. */
  readonly digest: string;
}

export function parseImageDigest(reference: string): ImageReference {
  const at = reference.indexOf('@');
  const repository = at < 0 ? reference : reference.slice(0, at);
  const lastComponent = repository.slice(repository.lastIndexOf('/') + 1);
  const tag = lastComponent.includes(':') ? lastComponent.slice(lastComponent.indexOf(':') + 1) : undefined;
  if (tag !== undefined) {
    throw new ReleaseError(`--image must name the image by digest, not by tag (":${tag}"): a tag can be moved after the policy pins the image. Use ${DIGEST_HINT}`);
  }
  if (at < 0) throw new ReleaseError(`--image must name the image by digest: ${DIGEST_HINT}`);
  const digest = reference.slice(at + 1);
  if (!DIGEST.test(digest)) throw new ReleaseError(`--image digest must be sha256 with 64 lowercase hex digits: ${DIGEST_HINT}`);
  if (!REPOSITORY.test(repository)) throw new ReleaseError(`--image repository ${JSON.stringify(repository)} is not a valid image name (lowercase registry/path)`);
  return { reference, repository, digest };
}
