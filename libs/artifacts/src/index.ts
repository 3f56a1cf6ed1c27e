export { checkArtifactPath } from './check-artifact-path.ts';
export { manifestSha256, type FileDigest } from './manifest-sha256.ts';
export { maxArtifactPatterns, requirePatterns } from './require-patterns.ts';
export { listingRoots, selectArtifacts, type ArtifactSelection } from './select-artifacts.ts';
export { planCollection, type CollectionPlan, type ListedEntry, type PlannedFile } from './plan-collection.ts';
