// Vite: the production bundle served by src/serve.ts, and `npm run dev` (hot reload on :5173, /api proxied to
// the API on :8000, WebSocket included).
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const api = process.env.PARLEY_API_URL ?? 'http://localhost:8000';

export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', sourcemap: false },
  server: {
    port: 5173,
    // The API checks Origin against its allowlist; changeOrigin would rewrite only Host, so keep the page's.
    proxy: { '/api': { target: api, ws: true } },
  },
});
