/**
 * `encrypted_files=true` (spec operator-spec.md §12.3): every content file Core links to is
 * `{"key_id", "encrypted_payload"}`, encrypted with a cloud encryption key of the operator's site.
 * This `StoreSource` wraps the Core source and hands the store parsers the decrypted bytes, so
 * they parse exactly what they parse without encryption. Metadata passes through unchanged: it is
 * never encrypted, and the keys themselves come inline in theirs. A plaintext file is refused,
 * not parsed: with encryption on, Core must not silently serve the unencrypted copy.
 */
import { decryptCloudFileWithKeys } from '../../protocol/cloud-encrypted-file.ts';
import { isProtocolError } from '../../protocol/errors.ts';
import type { CloudKeySnapshot } from '../stores/cloud-key-store.ts';
import type { SnapshotRef } from '../stores/snapshot-ref.ts';
import { StoreSourceError, type SealedContent, type StoreName, type StoreSource } from '../stores/store-source.ts';
import { OFF_THREAD_MIN_BYTES } from '../threads/job-thread.ts';
import { decryptCloudFileOffThread } from './cloud-decrypt-thread.ts';

export class EncryptedStoreSource implements StoreSource {
  constructor(
    private readonly inner: StoreSource,
    private readonly keys: SnapshotRef<CloudKeySnapshot>,
    /** Called once per decrypted file (metrics). */
    private readonly onDecrypted: () => void = () => undefined,
    /** Files from this size on are decrypted on a job thread (tests lower it). */
    private readonly offThreadMinBytes = OFF_THREAD_MIN_BYTES,
  ) {}

  metadata(store: StoreName): Promise<unknown> {
    return this.inner.metadata(store);
  }

  async content(location: string): Promise<Buffer> {
    const sealed = await this.sealedContent(location);
    const { file, keys } = sealed;
    try {
      // A large file (a salt snapshot) is decrypted on a job thread; a small one, or any file no
      // thread could take, here.
      const offThread = file.length >= this.offThreadMinBytes ? await decryptCloudFileOffThread(file, keys) : undefined;
      const plain = offThread ?? decryptCloudFileWithKeys(file, keys);
      sealed.decrypted();
      return plain;
    } catch (err) {
      throw sealed.failed(err);
    }
  }

  /** The encrypted file and this operator's cloud keys, for a loader that decrypts it itself. */
  async sealedContent(location: string): Promise<SealedContent> {
    const file = await this.inner.content(location);
    const snapshot = this.keys.peek();
    const keys = [...(snapshot?.byId.values() ?? [])].map((k) => ({ id: k.id, secret: k.secret }));
    return {
      file,
      keys,
      decrypted: this.onDecrypted,
      failed: (err) => {
        // Protocol messages name no key material; the key id of an unknown key is not secret.
        const reason = isProtocolError(err, 'ERR_UNKNOWN_KEY')
          ? `${err.message} among the ${snapshot?.entryCount ?? 0} cloud encryption key(s) of this operator`
          : isProtocolError(err)
            ? err.message
            : 'decryption failed';
        return new StoreSourceError(`cannot decrypt store file (encrypted_files): ${reason}`);
      },
    };
  }
}
