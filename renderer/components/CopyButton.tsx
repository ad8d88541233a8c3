// Renderer: a copy-to-clipboard button for ids, hashes, codes and commands, with a spoken confirmation.
import { useEffect, useRef, useState, type MouseEvent } from 'react';
import { useTranslation } from 'react-i18next';

/** Puts text on the clipboard; false when both the Clipboard API and the fallback were refused. */
export async function writeClipboard(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Clipboard API refused (no focus, no permission): fall back to a selected textarea.
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.className = 'clipboard-scratch';
    document.body.appendChild(area);
    area.select();
    try {
      return document.execCommand('copy');
    } catch {
      return false;
    } finally {
      area.remove();
    }
  }
}

interface Props {
  value: string;
  /** What is copied, for the accessible name: "Copy {label}". */
  label: string;
  /** Visible text; defaults to "Copy". */
  text?: string;
  testId?: string;
  compact?: boolean;
}

export function CopyButton({ value, label, text, testId, compact = false }: Props) {
  const { t } = useTranslation();
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);

  const onClick = async (e: MouseEvent) => {
    // Copy buttons live inside clickable rows: copying must not open the row.
    e.stopPropagation();
    const ok = await writeClipboard(value);
    setState(ok ? 'copied' : 'failed');
    clearTimeout(timer.current);
    timer.current = setTimeout(() => setState('idle'), 1600);
  };

  const shown = state === 'copied' ? t('common.copied') : state === 'failed' ? t('common.copyFailed') : (text ?? t('common.copy'));
  return (
    <button
      type="button"
      className={`copy-button${compact ? ' compact' : ''}${state === 'copied' ? ' is-copied' : ''}`}
      aria-label={t('common.copyLabel', { label })}
      title={t('common.copyLabel', { label })}
      data-testid={testId}
      data-copy-value={value}
      onClick={onClick}
    >
      {state === 'copied' ? (
        <span aria-hidden="true" className="copy-glyph">✓</span>
      ) : (
        <svg aria-hidden="true" className="copy-icon" viewBox="0 0 16 16" width="13" height="13">
          <rect x="5.5" y="5.5" width="8" height="8" rx="1.5" fill="none" stroke="currentColor" strokeWidth="1.4" />
          <path d="M10.5 3.5v-.5A1.5 1.5 0 0 0 9 1.5H4A1.5 1.5 0 0 0 2.5 3v5A1.5 1.5 0 0 0 4 9.5h.5" fill="none" stroke="currentColor" strokeWidth="1.4" />
        </svg>
      )}
      {!compact || state !== 'idle' ? <span className="copy-text">{shown}</span> : null}
      <span className="visually-hidden" aria-live="polite">
        {state === 'copied' ? t('common.copiedLabel', { label }) : state === 'failed' ? t('common.copyRefused', { label }) : ''}
      </span>
    </button>
  );
}
