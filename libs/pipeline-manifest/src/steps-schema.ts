import { z } from 'zod';
import { manifestLimits as limits } from './manifest-limits.ts';

const text = z.string().min(1, 'must not be empty');

const stepSchema = z.strictObject({ name: text.optional(), run: text.optional(), block: text.optional() }).superRefine((step, ctx) => {
  if (step.run !== undefined && step.block !== undefined) ctx.addIssue({ code: 'custom', message: 'has both run and block: a step is one or the other', input: step });
  if (step.run === undefined && step.block === undefined) ctx.addIssue({ code: 'custom', path: ['run'], message: 'required', input: step });
});

const stepCount = `must hold 1 to ${limits.maxSteps} steps`;

/**
 * A job's steps. Block steps come before every run step: a job waits for its approvals
 * before a VM is booted for it, so no VM idles while people decide.
 */
export const stepsSchema = z
  .array(stepSchema)
  .min(1, stepCount)
  .max(limits.maxSteps, stepCount)
  .superRefine((steps, ctx) => {
    const firstRun = steps.findIndex((step) => step.run !== undefined);
    if (steps.length > 0 && firstRun === -1) ctx.addIssue({ code: 'custom', message: 'must hold at least one run step', input: steps });
    steps.forEach((step, i) => {
      if (step.block !== undefined && firstRun !== -1 && i > firstRun) ctx.addIssue({ code: 'custom', path: [i], message: 'a block step must come before every run step', input: step });
    });
  });
