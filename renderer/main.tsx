// Renderer entry: mounts the workbench, or a full-page error when the bridge to the host process is missing.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
// The shared styles first: each screen's own styles, imported by the screen, come after them and may refine them.
import './styles/fonts.css';
import './styles/theme.css';
import './styles/app.css';
import { currentLanguage, ensureGlyphs } from './i18n';
import { bridgeAvailable } from './lib/api';
import { App } from './App';
import { BridgeMissing } from './BridgeMissing';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');

const container = root;
function mount() {
  createRoot(container).render(<StrictMode>{bridgeAvailable() ? <App /> : <BridgeMissing />}</StrictMode>);
}

// Both transports define the bridge before this module runs; an async bridge script gets until `load`.
function start() {
  void ensureGlyphs(currentLanguage()).then(mount);
}
if (bridgeAvailable() || document.readyState === 'complete') start();
else window.addEventListener('load', start, { once: true });
