// Any process opening a case file: migration 150, what a service said about a source's completeness besides its records.
// Shipped migrations are never edited (DESIGN.md): add a new numbered module instead.

// A JSON list of {kind, text}: Exchange's `@adminapi.warnings` / `@adminapi.errors` in a 200 (a warning can mean
// partial results), and a source the tenant's cloud does not serve (an empty log that says nothing).
export default /* sql */ `
ALTER TABLE collection_source ADD COLUMN notices TEXT CHECK (notices IS NULL OR json_valid(notices));
`;
