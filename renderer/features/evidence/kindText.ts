// Renderer: how an evidence kind, its columns, its history events and its values read in the interface language.
import { i18next } from '../../i18n';
import { formatCount, formatTimestamp } from '../../lib/format';
import type { EvidenceColumnType, ObjectHistoryEvent, ObjectKindId } from '../../lib/api';

export function kindTitle(kind: ObjectKindId): string {
  return i18next.t(`evidence.kind.${kind}`);
}

/** One sentence under the title: what the kind is and why it matters. */
export function kindLede(kind: ObjectKindId): string {
  return kind === 'application' || kind === 'userRegistrationDetails' ? '' : i18next.t(`evidence.lede.${kind}`);
}

export function columnHeader(id: string): string {
  return i18next.exists(`evidence.col.${id}`) ? i18next.t(`evidence.col.${id as 'name'}`) : id;
}

export function eventWord(event: ObjectHistoryEvent): string {
  return i18next.t(`evidence.event.${event}`);
}

/** A cell as plain text: what the table copies and the tooltip shows. Times in the display zone, booleans as words. */
export function cellText(type: EvidenceColumnType, value: string | number | null, zone: string): string {
  if (value === null || value === '') return '';
  switch (type) {
    case 'bool':
      return value === 1 || value === 'true' ? i18next.t('evidence.yes') : value === 0 || value === 'false' ? i18next.t('evidence.no') : String(value);
    case 'time':
      return formatTimestamp(String(value), zone, false);
    case 'number':
      return typeof value === 'number' ? formatCount(value) : String(value);
    default:
      return String(value);
  }
}
