// Any process opening a case file: migration 90, what a source was asked to cover beyond a time window (e.g. the mailboxes whose inbox rules to read).
// Shipped migrations are never edited (DESIGN.md): add a new numbered module instead.

// Kept with the plan so a resumed run reads exactly what the original run was asked for.
export default /* sql */ `
ALTER TABLE collection_source ADD COLUMN scope TEXT CHECK (scope IS NULL OR json_valid(scope));
`;
