import { MemoryBlobStore } from '../../src/storage/memory-blob-store.ts';
import { runBlobStoreContract } from './blob-store.contract.ts';
import { serveLoopbackStore } from './loopback-store.ts';

runBlobStoreContract('memory', () => serveLoopbackStore((signer) => new MemoryBlobStore(signer)));
