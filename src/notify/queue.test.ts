import { describeNotificationQueueConformance } from './conformance.ts';
import { MemoryNotificationQueue } from './queue.ts';

describeNotificationQueueConformance('memory', async () => new MemoryNotificationQueue());
