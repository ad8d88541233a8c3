// Test (Vitest, Node): the simulator's Exchange objects parse with the same zod schemas, and carry the same properties, as real Get-TransportRule / Get-InboundConnector dumps.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildTenant } from './scenario';
import { ExchangeState } from './exchange/state';
import { INBOUND_CONNECTOR_KEYS, TRANSPORT_RULE_KEYS, inboundConnectorObject, transportRuleObject } from './exchange/objects';
import { inboundConnectorSchema, transportRuleSchema } from './exchange/schemas';
import { CORPUS, corpus, prerequisite } from '../support/prerequisites';
import { describeNeeds } from '../support/vitest-prerequisites';

// shared/ sits beside the checkout (../shared from the project root).
const corpusDir = path.join(CORPUS, 'exo_graph_objects/scubagear/');
const needsCorpus = prerequisite([corpus('exo_graph_objects/scubagear/')]);

/** ScubaGear's dumps are PowerShell output: UTF-8 with or without BOM, some UTF-16LE with BOM. */
function readDump(name: string): unknown {
  const bytes = readFileSync(`${corpusDir}${name}`);
  const text = bytes[0] === 0xff && bytes[1] === 0xfe ? bytes.subarray(2).toString('utf16le') : bytes.toString('utf8').replace(/^\uFEFF/, '');
  return JSON.parse(text) as unknown;
}

function objects(value: unknown): Record<string, unknown>[] {
  const list = Array.isArray(value) ? value : [value];
  return list.filter((x): x is Record<string, unknown> => typeof x === 'object' && x !== null);
}

const state = new ExchangeState(buildTenant({ scenario: 'contoso', seed: 1 }));
const simRules = state.transportRules.map((r) => transportRuleObject(r, state.org));
const simConnectors = state.inboundConnectors.map((c) => inboundConnectorObject(c, state.org));

describeNeeds(
  needsCorpus,
  'real Exchange dumps and simulator objects share one schema',
  () => {
    it('parses real Get-TransportRule output and every simulated rule', () => {
      const real = [...objects(readDump('transport_rule.json')), ...objects(readDump('transport_rule.createreportstub.json'))];
      expect(real.length).toBeGreaterThan(0);
      for (const rule of real) expect(transportRuleSchema.safeParse(rule).error).toBeUndefined();
      for (const rule of simRules) expect(transportRuleSchema.safeParse(rule).error).toBeUndefined();
    });

    it('gives simulated rules exactly the real property set, in order', () => {
      const real = objects(readDump('transport_rule.json'))[0] ?? {};
      expect(Object.keys(real)).toEqual([...TRANSPORT_RULE_KEYS]);
      for (const rule of simRules) expect(Object.keys(rule)).toEqual(Object.keys(real));
    });

    it('parses real Get-InboundConnector output and every simulated connector, with the same properties', () => {
      const real = objects(readDump('inbound_connectors.json'));
      expect(real.length).toBeGreaterThan(0);
      for (const c of real) {
        expect(inboundConnectorSchema.safeParse(c).error).toBeUndefined();
        expect(Object.keys(c)).toEqual([...INBOUND_CONNECTOR_KEYS]);
      }
      for (const c of simConnectors) {
        expect(inboundConnectorSchema.safeParse(c).error).toBeUndefined();
        expect(Object.keys(c)).toEqual([...INBOUND_CONNECTOR_KEYS]);
      }
    });

    it('reads the same objects inside ScubaGear\'s provider export', () => {
      const exportDump = readDump('ProviderSettingsExport.sample.json') as Record<string, unknown>;
      for (const rule of objects(exportDump.transport_rule)) expect(transportRuleSchema.safeParse(rule).error).toBeUndefined();
      for (const c of objects(exportDump.inbound_connectors)) expect(inboundConnectorSchema.safeParse(c).error).toBeUndefined();
    });
  },
);

describe('simulated Exchange objects', () => {
  it('parse with the shared schemas even without the corpus', () => {
    expect(simRules.length).toBeGreaterThan(0);
    for (const rule of simRules) expect(transportRuleSchema.safeParse(rule).error).toBeUndefined();
    for (const c of simConnectors) expect(inboundConnectorSchema.safeParse(c).error).toBeUndefined();
  });
});
