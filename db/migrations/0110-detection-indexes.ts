// Any process opening a case file: migration 110, indexes that keep the detection rules to index reads on a million-event case.
// Shipped migrations are never edited (DESIGN.md): add a new numbered module instead.

// The spray rule groups one run's sign-in events by address and counts failing accounts: this index covers that
// query, so it reads the narrow index instead of every event row. The MFA rule reads one run's sign-ins of a few
// administrators by user id.
export default /* sql */ `
CREATE INDEX event_byRunIdOperationActorIp ON event (run_id, operation, actor_ip, result, actor_user);
CREATE INDEX sign_in_byRunIdUserId ON sign_in (run_id, user_id);
`;
