// Vitest (plain Node): every table the migrations create is classified in db/tables.ts, and the registry names no table the schema lacks.
import { describe, expect, it } from 'vitest';
import { latestSchemaVersion } from '../../db/migrate';
import { TABLES } from '../../db/tables';
import { referenceSchema } from '../../main/case/trust';

describe('the table registry', () => {
  const schema = referenceSchema(latestSchemaVersion());

  it('classifies every table of the schema (a new table must say whether it is evidence, derived, an annotation…)', () => {
    const unclassified = [...schema.tables].filter((t) => !(t in TABLES));
    expect(unclassified).toEqual([]);
  });

  it('lists only tables the migrations create', () => {
    expect(Object.keys(TABLES).filter((t) => !schema.tables.has(t))).toEqual([]);
  });

  it('finds guard triggers for every guarded table in the schema, not in a list kept by hand', () => {
    const guarded = Object.entries(TABLES).filter(([, spec]) => spec.guarded).map(([name]) => name).sort();
    const withTriggers = [...new Set([...schema.triggers.values()].map((t) => t.table))].sort();
    expect(withTriggers).toEqual(guarded);
  });
});
