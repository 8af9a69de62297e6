import { describeCountStoreConformance } from './conformance.ts';
import { MemoryCountStore } from './memory-store.ts';

describeCountStoreConformance('memory (reference)', async (options) => new MemoryCountStore(options));
