import { defineConfig } from 'vite';

/**
 * Built to static files the app serves at /ui/ (apps/seed-agent/src/http/console/console-static.ts):
 * `vite build apps/console` (this folder is the root).
 */
export default defineConfig({
  base: '/ui/',
  // Vite 8's own transform (oxc) compiles the JSX: no React plugin needed.
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Inlined assets would become data: URLs and inline styles the CSP refuses.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
});
