// E2E page objects, one per screen, for specs against the browser host.
export { Shell, type Screen, type IntegrityView } from './Shell';
export { StartPage, type NewCase, type NewCaseField } from './StartPage';
export { CollectPage, type AppOnlyInput, type CollectedCounts, type CollectOptionsInput, type DeviceCodePrompt, type PreflightRowView, type RunSourceView, type RunView, type SourceCount } from './CollectPage';
export { ApplicationsPage, type AppDetails, type AppRowView, type FlagView } from './ApplicationsPage';
export { FindingsPage, type EvidenceView, type FindingDetails, type FindingGroupView, type FindingRowView, type StageView } from './FindingsPage';
export { ExportPage, type ExportView } from './ExportPage';
export { CustodyPage, type CustodyEntryRow } from './CustodyPage';
export { ChecklistPage, type StepCardView } from './ChecklistPage';
export { TimelinePage, type TimelineRowDom } from './TimelinePage';
