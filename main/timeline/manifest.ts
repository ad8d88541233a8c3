// Main process (and CLI): the signed export's manifest and custody file shapes, shared by export and verify.
import { z } from 'zod';

export const EXPORT_FORMAT = 'peregrine-export/1';
export const CUSTODY_FILE_FORMAT = 'peregrine-custody/1';
export const MANIFEST_FILE = 'manifest.json';

/** The exported data files, as named in the manifest. */
export const EXPORT_FILES = {
  timelineJsonl: 'timeline.jsonl',
  timelineCsv: 'timeline.csv',
  findings: 'findings.json',
  custody: 'custody.json',
  verify: 'VERIFY.txt',
} as const;

const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lower-case hex digits');

export const ManifestFile = z.strictObject({
  name: z.string().min(1),
  sha256: hex64,
  bytes: z.number().int().nonnegative(),
});

export const Manifest = z.strictObject({
  format: z.literal(EXPORT_FORMAT),
  caseId: z.string(),
  caseName: z.string(),
  createdAt: z.string(),
  toolVersion: z.string(),
  /** Head of the custody chain when the export was made, i.e. before its own 'export.created' entry. */
  custodyHead: hex64,
  signer: z.strictObject({
    fingerprint: z.string().startsWith('SHA256:'),
    identity: z.string(),
    algorithm: z.literal('Ed25519'),
  }),
  /** Sorted by name. */
  files: z.array(ManifestFile),
  /**
   * Present only when the export holds part of the case's timeline: the filters it was cut by (the timeline's, as
   * `peregrine timeline` takes them, times in UTC) and how many of the case's events that kept. Findings, custody and
   * the report are whole either way.
   */
  scope: z
    .strictObject({
      filter: z.record(z.string(), z.union([z.string(), z.boolean(), z.array(z.string())])),
      events: z.number().int().nonnegative(),
      caseEvents: z.number().int().nonnegative(),
    })
    .optional(),
});
export type Manifest = z.infer<typeof Manifest>;

export const CustodyFileEntry = z.strictObject({
  seq: z.number().int().positive(),
  at: z.string(),
  action: z.string(),
  actor: z.string(),
  details: z.record(z.string(), z.json()),
  prevHash: hex64,
  hash: hex64,
});

/** custody.json: the case's custody log up to the export, re-checkable without Peregrine's database. */
export const CustodyFile = z.strictObject({
  format: z.literal(CUSTODY_FILE_FORMAT),
  caseId: z.string(),
  head: hex64,
  entries: z.array(CustodyFileEntry),
});
export type CustodyFile = z.infer<typeof CustodyFile>;
