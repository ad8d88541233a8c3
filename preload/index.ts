// Electron preload (sandboxed, context-isolated): exposes exactly the contract's channels as window.peregrine — no generic invoke.
import { contextBridge, ipcRenderer } from 'electron';
import { channelNames, IPC_PREFIX } from './contract';

const api: Record<string, Record<string, (input?: unknown) => Promise<unknown>>> = {};
for (const name of channelNames) {
  const [ns, method] = name.split('.') as [string, string];
  (api[ns] ??= {})[method] = (input?: unknown) => ipcRenderer.invoke(IPC_PREFIX + name, input ?? {});
}
for (const group of Object.values(api)) Object.freeze(group);
contextBridge.exposeInMainWorld('peregrine', Object.freeze(api));
