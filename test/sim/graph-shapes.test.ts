// Test (Vitest, Node): the simulator's Graph objects parse with the same zod schemas as Microsoft's documented example responses.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { applicationSchema, collectionSchema, organizationSchema, servicePrincipalSchema, userSchema } from './graph-schemas';
import { SCENARIO_NAMES, buildTenant } from './scenario';
import { USER_DEFAULT_PROPERTIES } from './graph-types';
import { CORPUS, corpus, prerequisite } from '../support/prerequisites';
import { describeNeeds } from '../support/vitest-prerequisites';

// shared/ sits beside the checkout (../shared from the project root), in CI as on a developer's machine.
const examplesDir = path.join(CORPUS, 'exo_graph_objects/graph_docs_examples/');
const needsCorpus = prerequisite([corpus('exo_graph_objects/graph_docs_examples/')]);

function example(name: string): unknown {
  return JSON.parse(readFileSync(`${examplesDir}${name}`, 'utf8')) as unknown;
}

const tenant = buildTenant({ scenario: 'contoso', seed: 1 });

describeNeeds(
  needsCorpus,
  'Graph documentation examples and simulator objects share one schema',
  () => {
    it('parses a documented application and a simulated one', () => {
      expect(applicationSchema.safeParse(example('v1.0_application-get_resp1.json')).error).toBeUndefined();
      expect(applicationSchema.safeParse(tenant.applications[0]).error).toBeUndefined();
    });

    it('parses a documented service principal and a simulated one', () => {
      expect(servicePrincipalSchema.safeParse(example('v1.0_serviceprincipal-get_resp1.json')).error).toBeUndefined();
      expect(servicePrincipalSchema.safeParse(tenant.servicePrincipals[0]).error).toBeUndefined();
    });

    it('parses a documented user and a simulated one in the default projection', () => {
      expect(userSchema.strict().safeParse(example('v1.0_user-get_resp1.json')).error).toBeUndefined();
      const user = tenant.users[0];
      const projected = Object.fromEntries(USER_DEFAULT_PROPERTIES.map((k) => [k, user?.[k]]));
      expect(userSchema.strict().safeParse(projected).error).toBeUndefined();
    });

    it('parses documented collection pages and a simulated one with the same page schema', () => {
      const page = collectionSchema(applicationSchema.partial());
      for (const name of ['v1.0_application-list_resp1.json', 'v1.0_application-list_resp2.json', 'v1.0_application-list_resp3.json']) {
        expect(page.safeParse(example(name)).error).toBeUndefined();
      }
      const simulated = { '@odata.context': 'https://127.0.0.1:1/v1.0/$metadata#applications', value: tenant.applications.slice(0, 3) };
      expect(page.safeParse(simulated).error).toBeUndefined();
    });

    it('keeps the documented keyCredential and passwordCredential property names', () => {
      const documented = example('v1.0_application-addpassword_resp1.json') as Record<string, unknown>;
      const ours = tenant.applications.flatMap((a) => a.passwordCredentials)[0] ?? {};
      expect(Object.keys(ours).sort()).toEqual(Object.keys(documented).sort());
    });
  },
);

describe('every simulated object matches the Graph schemas', () => {
  it.each(SCENARIO_NAMES)('%s', (scenario) => {
    const t = buildTenant({ scenario, seed: 3 });
    for (const app of t.applications) expect(applicationSchema.safeParse(app).error).toBeUndefined();
    for (const sp of t.servicePrincipals) expect(servicePrincipalSchema.safeParse(sp).error).toBeUndefined();
    for (const user of t.users) expect(userSchema.safeParse(user).error).toBeUndefined();
    expect(organizationSchema.safeParse(t.organization).error).toBeUndefined();
  });
});
