import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { aptCandidateVersions } from './apt-candidate-versions.ts';
import { debianRecipe } from './debian-recipe.ts';

const here = import.meta.dirname;

/** The customize hook, run by mmdebstrap on the finished tree. */
export const customizeScriptPath = path.join(here, 'customize.sh');

/** Sources whose change changes the image: the recipe, the hook and the build steps. */
const recipeFiles = ['debian-recipe.ts', 'customize.sh', 'build-debian-image.ts'];

/** What an image is built from, and the cache key they give. */
export interface DebianInputs {
  /** Candidate version of each recipe package, as `apt-cache policy` reports it. */
  candidates: Record<string, string>;
  /** First 16 hex digits of the sha256 of the recipe files and the candidate versions. */
  hash: string;
}

/**
 * Hashes the recipe's inputs: its package list and settings, the customize hook, the build
 * steps, and apt's candidate version of each package (so a new kernel from apt makes a new image).
 *
 * @throws Error when apt-cache or a recipe file cannot be read.
 */
export async function readDebianInputs(): Promise<DebianInputs> {
  const candidates = await aptCandidateVersions(debianRecipe.packages);
  const hash = createHash('sha256');
  const part = (label: string, data: string | Buffer) => hash.update(`${label}\0${data.length}\0`).update(data);
  part('recipe', JSON.stringify(debianRecipe));
  for (const name of recipeFiles) part(name, await readFile(path.join(here, name)));
  part('candidates', JSON.stringify(candidates));
  return { candidates, hash: hash.digest('hex').slice(0, 16) };
}
