// Renderer: an id or hash in monospace with its copy button; optionally shortened on screen.
import { CopyButton } from './CopyButton';
import { shortHash } from '../lib/format';

interface Props {
  value: string;
  label: string;
  /** Show only the first characters; the full value is in the title and the copy button. */
  short?: boolean;
  testId?: string;
}

export function Identifier({ value, label, short = false, testId }: Props) {
  return (
    <span className="identifier">
      <span className="mono" title={short ? value : undefined} data-testid={testId}>
        {short ? shortHash(value) : value}
      </span>
      <CopyButton value={value} label={label} compact testId={testId ? `${testId}-copy` : undefined} />
    </span>
  );
}
