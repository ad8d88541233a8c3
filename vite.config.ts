// Build config for the renderer (React UI): relative asset URLs so it loads from file:// in Electron and from the browser host.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  root: fileURLToPath(new URL('./renderer', import.meta.url)),
  base: './',
  plugins: [react()],
  // Nothing is fetched from the network: no public dir, no CDN, no inlined data: assets.
  publicDir: false,
  build: {
    outDir: fileURLToPath(new URL('./dist/renderer', import.meta.url)),
    emptyOutDir: true,
    target: 'es2023',
    assetsInlineLimit: 0,
    // The polyfill would be an extra script; Chromium supports modulepreload natively.
    modulePreload: { polyfill: false },
    sourcemap: false,
    // One chunk read from disk (React, i18next and both catalogs): splitting it would only add requests.
    chunkSizeWarningLimit: 800,
  },
  server: { host: '127.0.0.1', strictPort: true },
});
