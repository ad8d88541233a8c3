// The module groups `npm run mutate` runs (smallest first), each with the tests that exercise it. Shared by
// stryker.config.mjs, vitest.mutate.config.mjs and scripts/mutate.js.
export const MUTATION_MODULES = [
  { name: 'main/http/read-only.ts', mutate: ['main/http/read-only.ts'], tests: ['test/unit/read-only.test.ts'] },
  { name: 'main/remediate/guard.ts', mutate: ['main/remediate/guard.ts'], tests: ['test/unit/remediate-guard.test.ts'] },
  {
    name: 'main/host/static-files.ts',
    mutate: ['main/host/static-files.ts'],
    tests: ['test/unit/static-files.test.ts', 'test/integration/browser-host.test.ts'],
  },
  { name: 'main/sign/pin.ts', mutate: ['main/sign/pin.ts'], tests: ['test/unit/sign-pin.test.ts', 'test/unit/known-answer.test.ts'] },
  {
    name: 'main/sign/formats.ts',
    mutate: ['main/sign/formats.ts', 'main/sign/wire.ts'],
    tests: ['test/unit/sign-formats.test.ts', 'test/unit/sign-verifiers.test.ts', 'test/unit/sign-pin.test.ts', 'test/unit/known-answer.test.ts'],
  },
  { name: 'main/sign/keys.ts', mutate: ['main/sign/keys.ts', 'main/sign/pkcs8.ts'], tests: ['test/unit/sign-keys.test.ts'] },
  {
    name: 'main/host/browser.ts',
    mutate: ['main/host/browser.ts'],
    tests: ['test/integration/browser-host.test.ts', 'test/integration/host-fuzz.test.ts'],
  },
  {
    name: 'main/case/verify.ts',
    mutate: ['main/case/verify.ts'],
    tests: [
      'test/unit/case-verify.test.ts', 'test/unit/case-verify-deep.test.ts', 'test/unit/case-checkpoints.test.ts', 'test/unit/known-answer.test.ts',
      'test/integration/export-roundtrip.test.ts', 'test/integration/verify-tampering.test.ts',
    ],
  },
  {
    name: 'main/case/checkpoints.ts',
    mutate: ['main/case/checkpoints.ts'],
    tests: ['test/unit/case-checkpoints.test.ts', 'test/unit/known-answer.test.ts', 'test/integration/export-roundtrip.test.ts'],
  },
  {
    name: 'main/case/trust.ts',
    mutate: ['main/case/trust.ts'],
    tests: ['test/unit/case-verify.test.ts', 'test/unit/case-verify-deep.test.ts', 'test/unit/known-answer.test.ts', 'test/integration/verify-tampering.test.ts'],
  },
  {
    name: 'main/case/rederive.ts',
    mutate: ['main/case/rederive.ts'],
    tests: ['test/unit/case-verify-deep.test.ts', 'test/integration/verify-tampering.test.ts'],
  },
  {
    name: 'main/collect',
    mutate: ['main/collect/sources.ts', 'main/collect/writes.ts', 'main/collect/engine.ts'],
    tests: ['test/unit/collect-*.test.ts', 'test/unit/case-verify.test.ts', 'test/integration/collect-faults.test.ts', 'test/integration/collect-resume.test.ts'],
  },
  {
    name: 'main/detect/rules',
    mutate: ['main/detect/rules/*.ts'],
    tests: ['test/unit/detect-rules.test.ts', 'test/integration/detect-scenarios.test.ts', 'test/integration/detect-corpus.test.ts'],
  },
];
