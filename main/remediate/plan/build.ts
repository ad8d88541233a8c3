// Main process / CLI: the pieces every step generator builds with — the evidence a step rests on, an item whose
// PowerShell is written from its own requests, and the values a step is planned on.
import type { Finding } from '../../../preload/contract';
import type { TenantObjectRecord } from '../../../db/queries/objects';
import type { PlannedStep, RemediationRequest, StepItem } from '../model';
import type { PlanContext } from './context';
import { psRequest } from '../ps';

/** The evidence page a step was planned from: the object's, else the collection's. */
export function sourceOf(runId: string, object: Pick<TenantObjectRecord, 'evidenceId' | 'evidenceSha256'> | null): PlannedStep['source'] {
  return { runId, evidenceId: object?.evidenceId ?? null, evidenceSha256: object?.evidenceSha256 ?? null };
}

/** An item whose PowerShell is its writes, one line each, so what the script runs is what the engine sends. */
export function item(spec: Omit<StepItem, 'powershell' | 'undo'> & { undo: { text: string; requests: RemediationRequest[] } | { text: string; powershell: string[] } | null; preamble?: string[] }): StepItem {
  const { preamble, undo, ...rest } = spec;
  return {
    ...rest,
    powershell: [...(preamble ?? []), ...spec.writes.map(psRequest)],
    undo: undo === null ? null : 'requests' in undo ? { text: undo.text, powershell: undo.requests.map(psRequest) } : undo,
  };
}

/** The fields of a collected object the step rests on: a live read must still show them before anything is written. */
export function pick(raw: Record<string, unknown>, fields: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(fields.map((f) => [f, raw[f] ?? null]));
}

/** Finding keys, each once, in the order given. */
export function keysOf(findings: readonly Finding[]): string[] {
  return [...new Set(findings.map((f) => f.key))];
}

export const lower = (s: string | null | undefined): string => (s ?? '').toLowerCase();

/** A severity that names an attack artifact rather than a posture gap or a lead to check. */
export const isStrong = (f: Finding): boolean => f.severity === 'high' || f.severity === 'critical';

/** The collected objects a finding names, of one kind, each once. */
export function objectsOf(ctx: PlanContext, findings: readonly Finding[], kind: string): { object: TenantObjectRecord; findings: Finding[] }[] {
  const collected = new Map(ctx.collection.objects(kind).map((o) => [lower(o.objectId), o]));
  const out = new Map<string, { object: TenantObjectRecord; findings: Finding[] }>();
  for (const f of findings) {
    for (const ref of f.objects.filter((o) => o.kind === kind)) {
      const object = collected.get(lower(ref.id));
      if (!object) continue;
      const entry = out.get(lower(object.objectId)) ?? { object, findings: [] };
      if (!entry.findings.includes(f)) entry.findings.push(f);
      out.set(lower(object.objectId), entry);
    }
  }
  return [...out.values()];
}
