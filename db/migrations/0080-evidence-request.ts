// Any process opening a case file: migration 80, the request body behind a POST read (a Graph $batch, an Exchange cmdlet), kept with its evidence.
// Shipped migrations are never edited (DESIGN.md): add a new numbered module instead.

// Without it a $batch response or a cmdlet's page says what came back but not what was asked. Never a token or a
// secret: request bodies of reads carry cmdlet names, parameters and relative URLs only.
export default /* sql */ `
ALTER TABLE evidence ADD COLUMN request_body TEXT;
`;
