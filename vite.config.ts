import { defineConfig } from 'vite';

// The app lives in web/ and builds into web/dist, which the Go binary embeds
// (web/embed.go). `npm run dev` proxies the API and the websocket to a local
// `eddy serve` on :8890.
const backend = process.env.EDDY_DEV_BACKEND ?? 'http://127.0.0.1:8890';

export default defineConfig({
  root: 'web',
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 1500,
    rollupOptions: {
      output: {
        manualChunks: (id: string) => {
          if (id.includes('node_modules/echarts') || id.includes('node_modules/zrender')) return 'echarts';
          if (id.includes('node_modules/@codemirror') || id.includes('node_modules/@lezer')) return 'codemirror';
          return undefined;
        },
      },
    },
  },
  server: {
    proxy: {
      '/api': backend,
      '/healthz': backend,
      '/ws': { target: backend.replace(/^http/, 'ws'), ws: true },
    },
  },
});
