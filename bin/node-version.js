// CLI entry guard: better-sqlite3 13 loads only in Node 22 or newer (on Node 20 it crashes with a segmentation fault),
// so the CLI says which Node it needs before anything native is loaded.
export const MINIMUM_NODE_MAJOR = 22;

/** The refusal to print for this Node version, or null when it can run Peregrine. */
export function nodeVersionProblem(version) {
  const major = Number(/^v?(\d+)\./.exec(version)?.[1]);
  if (Number.isInteger(major) && major >= MINIMUM_NODE_MAJOR) return null;
  return (
    `peregrine: Node.js ${MINIMUM_NODE_MAJOR} or newer is needed (24 is the version the desktop app embeds); this is Node ${version}.\n` +
    'Run it through npm, which uses the project\'s own Node 24: `npx peregrine …` or `npm run cli -- …` in the project folder.'
  );
}
