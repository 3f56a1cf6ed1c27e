import type { Suite } from '../bench-types.ts';
import { durableSuite } from './durable-suite.ts';
import { fsopsSuite } from './fsops-suite.ts';
import { memorySuite } from './memory-suite.ts';
import { meshSuite } from './mesh-suite.ts';
import { persistenceSuite } from './persistence-suite.ts';
import { queueSuite } from './queue-suite.ts';
import { vmSuite } from './vm-suite.ts';

/** Every suite, in the order a full run takes them (cheap first; queue before mesh, which reuses its graphile-worker figure; memory after mesh, whose load it reuses). */
export const allSuites: Suite[] = [fsopsSuite, vmSuite, persistenceSuite, durableSuite, queueSuite, meshSuite, memorySuite];
