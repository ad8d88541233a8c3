// Electron main process: lifecycle, the hardened window, the custom protocol and IPC registration — the only code that imports electron.
import path from 'node:path';
import fs from 'node:fs';
import { app, BrowserWindow, dialog, ipcMain, Menu, protocol, safeStorage, session, shell, type IpcMainInvokeEvent, type WebContents } from 'electron';
import { cacheFile, encryptedCachePlugin, type CacheCipher } from '../auth/token-cache';
import { channelNames, IPC_PREFIX } from '../../preload/contract';
import { dispatch } from '../host/dispatch';
import { appSchemePath, lookupStatic, RENDERER_CSP, STATIC_TYPES } from '../host/static-files';
import { createWorkbench, type Workbench } from '../host/workbench';
import { loadEnvironmentFile, cloudEnvironment, CLOUD_NAMES, type CloudName, type TenantEnvironment } from '../auth/environment';
import type { TenantChoice } from '../auth/tenant-choice';
import { TOOL_VERSION } from '../version';
import { isDeviceCodePage } from './device-code-page';

const APP_ORIGIN = 'peregrine://app';

// Must run before ready: the renderer is served from our own scheme, never file://.
protocol.registerSchemesAsPrivileged([{ scheme: 'peregrine', privileges: { standard: true, secure: true } }]);

// A second start-up hands over to the window already open: it must not create windows, sessions or handlers of its own.
const primaryInstance = app.requestSingleInstanceLock();
if (!primaryInstance) app.quit();

let mainWindow: BrowserWindow | null = null;
let workbench: Workbench | null = null;
/** The tenant environment given on the command line (or none): its simulator names its own device-code page. */
let environment: TenantEnvironment | null = null;

function argValue(flag: string): string | undefined {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function environmentFromArgs(): TenantEnvironment | null {
  const envFile = argValue('--env') ?? process.env.PEREGRINE_ENV;
  return envFile ? loadEnvironmentFile(envFile) : null;
}

/** `--tenant <domain|id> [--cloud <cloud>] [--client-id <id>]`: the tenant to start with (the Collect screen can name another). */
function tenantFromArgs(): TenantChoice | null {
  const tenant = argValue('--tenant');
  if (!tenant) return null;
  const cloud = argValue('--cloud') ?? 'commercial';
  if (!(CLOUD_NAMES as string[]).includes(cloud)) throw new Error(`--cloud must be one of ${CLOUD_NAMES.join(', ')}, not "${cloud}".`);
  // Checked now, as the Collect screen checks it: a tenant that is neither a GUID nor a domain stops the start.
  cloudEnvironment(cloud as CloudName, tenant);
  return { tenant, cloud: cloud as CloudName, clientId: argValue('--client-id') ?? null };
}

function rendererDir(): string {
  return path.join(__dirname, '..', 'renderer');
}

function serveRenderer(request: Request): Response {
  const rawPath = appSchemePath(request.url);
  if (rawPath === null) return new Response('Not found', { status: 404 });
  const found = lookupStatic(rendererDir(), rawPath);
  if (found.status !== 200) return new Response(found.status === 400 ? 'Bad request' : 'Not found', { status: found.status });
  return new Response(fs.readFileSync(found.file), {
    headers: { 'content-type': STATIC_TYPES[path.extname(found.file)] ?? 'application/octet-stream', 'content-security-policy': RENDERER_CSP, 'x-content-type-options': 'nosniff' },
  });
}

/**
 * Tokens and the examiner's signing key persist only under the OS keychain. On Linux without a keyring Electron
 * falls back to `basic_text` (a hard-coded key): that is not encryption, so tokens then stay in memory for the
 * session and the signing key is kept under a passphrase the export confirmation asks for.
 * (https://www.electronjs.org/docs/latest/api/safe-storage, safeStorage.getSelectedStorageBackend)
 */
function keychainCipher(): CacheCipher | null {
  if (!safeStorage.isEncryptionAvailable()) return null;
  if (process.platform === 'linux' && safeStorage.getSelectedStorageBackend() === 'basic_text') return null;
  return { encrypt: (plain) => safeStorage.encryptString(plain), decrypt: (data) => safeStorage.decryptString(data) };
}

/** Only our own top frame, showing our own page, may call main. */
function trustedSender(event: IpcMainInvokeEvent): boolean {
  const frame = event.senderFrame;
  return !!mainWindow && !!frame && frame === mainWindow.webContents.mainFrame && new URL(frame.url).origin === APP_ORIGIN;
}

function harden(contents: WebContents) {
  contents.on('will-navigate', (e) => e.preventDefault());
  // Subframes too (will-navigate covers the main frame only): no frame of ours ever leaves our page.
  contents.on('will-frame-navigate', (e) => e.preventDefault());
  contents.on('will-redirect', (e) => e.preventDefault());
  contents.on('will-attach-webview', (e) => e.preventDefault());
  // No window of ours: the device-code address, shown as a link, opens in the system browser; any other link nowhere.
  contents.setWindowOpenHandler(({ url }) => {
    if (isDeviceCodePage(url, environment?.simulator?.deviceLoginUrl ?? null)) void shell.openExternal(url);
    return { action: 'deny' };
  });
}

async function createWindow() {
  mainWindow = new BrowserWindow({
    width: 1360,
    height: 880,
    minWidth: 960,
    minHeight: 600,
    title: 'Peregrine',
    show: false,
    webPreferences: {
      preload: path.join(__dirname, 'preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      spellcheck: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      // A middle click on a link would otherwise ask for a new window (denied below, but never asked at all).
      disableBlinkFeatures: 'Auxclick',
    },
  });
  mainWindow.once('ready-to-show', () => mainWindow?.show());
  await mainWindow.loadURL(`${APP_ORIGIN}/index.html`);
}

app.on('web-contents-created', (_e, contents) => harden(contents));

app.on('second-instance', () => {
  if (!mainWindow) return;
  if (mainWindow.isMinimized()) mainWindow.restore();
  mainWindow.focus();
});

app.whenReady().then(async () => {
  if (!primaryInstance) return;
  Menu.setApplicationMenu(null);
  const ses = session.defaultSession;
  // One permission, for our own page only: writing text to the clipboard when the examiner clicks Copy (IOCs, hashes, ids).
  const allowed = (permission: string, url: string | undefined) => permission === 'clipboard-sanitized-write' && !!url && url.startsWith(`${APP_ORIGIN}/`);
  ses.setPermissionRequestHandler((wc, permission, callback) => callback(allowed(permission, wc.getURL())));
  ses.setPermissionCheckHandler((_wc, permission, requestingOrigin) => allowed(permission, `${requestingOrigin}/`));
  // No remote content, ever: the tenant is reached from main, not from the page.
  ses.webRequest.onBeforeRequest({ urls: ['http://*/*', 'https://*/*', 'ws://*/*', 'wss://*/*'] }, (_details, callback) => callback({ cancel: true }));
  protocol.handle('peregrine', (request) => serveRenderer(request));

  const home = app.getPath('userData');
  const cipher = keychainCipher();
  environment = environmentFromArgs();
  workbench = createWorkbench({
    tokenCache: cipher ? encryptedCachePlugin(cacheFile(path.join(home, 'token-cache.bin')), cipher) : undefined,
    host: 'electron',
    toolVersion: TOOL_VERSION,
    casesDir: path.join(app.getPath('documents'), 'Peregrine'),
    homeDir: home,
    keyDir: path.join(home, 'keys'),
    keyAccess: { keychain: cipher, ...(process.env.PEREGRINE_SIGNING_PASSPHRASE ? { passphrase: () => process.env.PEREGRINE_SIGNING_PASSPHRASE! } : {}) },
    chooseKeyFile: async (mode, suggested) => {
      const options = { title: mode === 'save' ? 'Export the signing key (encrypted)' : 'Import a signing key', defaultPath: path.join(app.getPath('documents'), suggested), filters: [{ name: 'PEM private key', extensions: ['pem', 'key'] }] };
      if (mode === 'save') {
        const result = await dialog.showSaveDialog(mainWindow!, options);
        return result.canceled || !result.filePath ? null : result.filePath;
      }
      const result = await dialog.showOpenDialog(mainWindow!, { ...options, properties: ['openFile'] });
      return result.canceled ? null : (result.filePaths[0] ?? null);
    },
    chooseImportFiles: async () => {
      const result = await dialog.showOpenDialog(mainWindow!, { title: 'Import files the client exported', properties: ['openFile', 'multiSelections'], filters: [{ name: 'Log exports', extensions: ['csv', 'json', 'jsonl', 'ndjson', 'log', 'txt', 'zip'] }, { name: 'All files', extensions: ['*'] }] });
      return result.canceled ? null : result.filePaths;
    },
    environment,
    tenantChoice: tenantFromArgs(),
    // Bundled beside main.cjs by scripts/bundle.js (the import worker too: the import area finds it here).
    collectionWorker: { file: path.join(__dirname, 'collect-worker.cjs'), execArgv: [], writer: { file: path.join(__dirname, 'case-writer.cjs'), execArgv: [] } },
    // Browser sign-in: the tenant's sign-in page opens in the system browser, never inside the app's window.
    openBrowser: async (url) => {
      if (new URL(url).protocol !== 'https:') throw new Error(`Refusing to open ${new URL(url).protocol} sign-in page.`);
      await shell.openExternal(url);
    },
    chooseCaseFile: async () => {
      const result = await dialog.showOpenDialog(mainWindow!, {
        title: 'Open a case file',
        defaultPath: path.join(app.getPath('documents'), 'Peregrine'),
        filters: [{ name: 'Peregrine case', extensions: ['peregrine'] }, { name: 'All files', extensions: ['*'] }],
        properties: ['openFile'],
      });
      return result.canceled ? null : (result.filePaths[0] ?? null);
    },
    chooseNewCaseFile: async (suggested) => {
      const result = await dialog.showSaveDialog(mainWindow!, {
        title: 'New case file',
        defaultPath: path.join(app.getPath('documents'), 'Peregrine', suggested),
        filters: [{ name: 'Peregrine case', extensions: ['peregrine'] }],
      });
      return result.canceled || !result.filePath ? null : result.filePath;
    },
  });
  const handlers = workbench.handlers;
  for (const name of channelNames) {
    ipcMain.handle(IPC_PREFIX + name, (event, input: unknown) => {
      if (!trustedSender(event)) return { ok: false, error: { code: 'untrusted_sender', message: 'Refused: the request did not come from Peregrine’s own window.' } };
      return dispatch(handlers, name, input);
    });
  }
  await createWindow();
});

app.on('window-all-closed', () => {
  void workbench?.close().finally(() => app.quit());
});
