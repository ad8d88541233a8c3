// Test support (Node): the fifty seeds whose attacks vary in shape, shared by the detection tests and the simulator's shape tests.
import type { ScenarioName } from '../sim/scenario';

/**
 * Fifty seeds spread over the seed space, none of them canonical: each draws the attack's shape (one or two taken admins,
 * ordinary users too, MFA registered but not enforced, stuffing or spray, the app's name, one to twelve rules, the connector's
 * name, a second app, zero to three cycles). The scenario alternates; tenants are small so the fifty stay within minutes.
 */
export const VARIED_SEEDS: readonly { scenario: ScenarioName; seed: number; users: number }[] = Array.from({ length: 50 }, (_, i) => ({
  scenario: i % 2 === 0 ? 'contoso' : 'fabrikam',
  seed: 1009 + i * 7919,
  users: 40 + ((i * 37) % 60),
}));
