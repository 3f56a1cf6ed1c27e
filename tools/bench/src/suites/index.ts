import type { Suite } from '../bench-types.ts';
import { fsopsSuite } from './fsops-suite.ts';

/** Every suite, in the order a full run takes them (cheap first; memory after mesh, whose load it reuses). */
export const allSuites: Suite[] = [fsopsSuite];
