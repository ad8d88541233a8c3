// Tests: bridge calls as either transport makes them (channel, zod-checked input, a Result), unwrapped.
import { dispatch } from '../../main/host/dispatch';
import type { Handlers, Result } from '../../preload/contract';

/** `call(channel, input)` answers the value, or throws naming the channel and the refusal. */
export function bridgeCaller(handlers: () => Handlers) {
  return async function call<T>(channel: string, input: unknown = {}): Promise<T> {
    const result = (await dispatch(handlers(), channel, input)) as Result<T>;
    if (!result.ok) throw new Error(`${channel}: ${result.error.code}: ${result.error.message}`);
    return result.value;
  };
}
