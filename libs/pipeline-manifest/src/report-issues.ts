import type { z } from 'zod';
import type { ProblemList } from './problem-list.ts';
import type { PathSegment } from './yaml-locator.ts';

const expectedNames: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  boolean: 'true or false',
  object: 'a mapping',
  record: 'a mapping',
  array: 'a list',
};

/**
 * Adds zod issues (parsed with `reportInput: true`) as problems under `base`: a missing key is
 * `required`, each unknown key its own `unknown key` problem at that key.
 */
export function reportIssues(issues: readonly z.core.$ZodIssue[], base: readonly PathSegment[], problems: ProblemList): void {
  for (const issue of issues) {
    const path = [...base, ...issue.path.map((segment) => (typeof segment === 'symbol' ? String(segment) : segment))];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) problems.add([...path, key], 'unknown key');
    } else if (issue.code === 'invalid_type') {
      problems.add(path, issue.input === undefined ? 'required' : expectedNames[issue.expected] ? `must be ${expectedNames[issue.expected]}` : issue.message);
    } else if (issue.code === 'invalid_key') {
      problems.add(path, issue.issues[0]?.message ?? issue.message);
    } else {
      problems.add(path, issue.message);
    }
  }
}
