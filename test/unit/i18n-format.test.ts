// Dates, counts and durations on screen follow the interface language through Intl; the display zone stays the case's.
import { afterEach, describe, expect, it } from 'vitest';
import { detectLanguage, i18next } from '../../renderer/i18n';
import { formatBytes, formatCount, formatDuration, formatTimestamp, relativeHint } from '../../renderer/lib/format';

afterEach(async () => {
  await i18next.changeLanguage('en');
});

describe('formatting by language', () => {
  const at = '2025-03-14T02:13:05Z';

  it('keeps the sortable ISO order in English and writes the Japanese order in Japanese, in the zone asked for', () => {
    expect(formatTimestamp(at, 'UTC', true, 'en')).toBe('2025-03-14 02:13:05 UTC');
    expect(formatTimestamp(at, 'Asia/Tokyo', true, 'en')).toBe('2025-03-14 11:13:05 +09:00');
    expect(formatTimestamp(at, 'UTC', true, 'ja')).toBe('2025/03/14 02:13:05 UTC');
    expect(formatTimestamp(at, 'Asia/Tokyo', false, 'ja')).toBe('2025/03/14 11:13:05');
  });

  it('follows the current language by default', async () => {
    await i18next.changeLanguage('ja');
    expect(formatTimestamp(at, 'UTC')).toBe('2025/03/14 02:13:05 UTC');
    expect(formatDuration(125_000)).toBe('2 分 05 秒');
    expect(relativeHint(at, Date.parse(at) + 3 * 60_000)).toBe('3 分前');
    await i18next.changeLanguage('en');
    expect(formatDuration(125_000)).toBe('2 min 05 s');
    expect(relativeHint(at, Date.parse(at) + 3 * 60_000)).toBe('3 min ago');
    expect(relativeHint(at, Date.parse(at) - 14 * 60_000)).toBe('in 14 min');
    expect(relativeHint(at, Date.parse(at) + 2 * 86_400_000)).toBe('2 d ago');
  });

  it('groups digits for the locale', () => {
    expect(formatCount(37087, 'en')).toBe('37,087');
    expect(formatCount(37087, 'ja')).toBe('37,087');
    expect(formatBytes(1536, 'ja')).toBe('1.5 KiB');
    expect(formatBytes(1234.5 * 1024 * 1024, 'en')).toBe('1234.5 MiB');
  });

  it('counts through the catalogs, with plurals in English only', async () => {
    expect(i18next.t('custody.entries', { count: 1 })).toBe('1 entry');
    expect(i18next.t('custody.entries', { count: 1234 })).toBe('1,234 entries');
    await i18next.changeLanguage('ja');
    expect(i18next.t('custody.entries', { count: 1234 })).toBe('1,234 件');
  });

  it('takes Japanese from a ja* OS or browser language and English otherwise', () => {
    expect(detectLanguage(['ja-JP', 'en-US'])).toBe('ja');
    expect(detectLanguage(['ja'])).toBe('ja');
    expect(detectLanguage(['en-GB', 'ja-JP'])).toBe('en');
    expect(detectLanguage(['fr-FR'])).toBe('en');
    expect(detectLanguage([])).toBe('en');
  });
});
