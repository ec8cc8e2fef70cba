/**
 * Builds the risk console (src/dashboard) into dist/dashboard as static files the service serves
 * at /dashboard/ (relative asset paths, no CDN: it works offline). Run from the package root by
 * `npm run build`; tests pass their own root and outDir.
 */
import { defineConfig } from 'vite';

export default defineConfig({
  root: 'src/dashboard',
  base: './',
  logLevel: 'warn',
  build: {
    outDir: '../../dist/dashboard',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 200,
  },
});
