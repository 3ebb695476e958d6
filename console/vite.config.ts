import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';

// The console is served under /console/ both locally (the Go runner) and
// from CloudFront, so every asset URL carries that base.
export default defineConfig({
  base: '/console/',
  plugins: [react()],
  resolve: { alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) } },
  // amazon-cognito-identity-js reads the Node global `global`.
  define: { global: 'globalThis' },
  build: { outDir: 'dist', sourcemap: false, chunkSizeWarningLimit: 300 },
  test: {
    environment: 'happy-dom',
    setupFiles: ['./test/setup.ts'],
    include: ['src/**/*.test.{ts,tsx}'],
    // Bounds on waiting, not speed targets: the test machine is shared and often busy.
    testTimeout: 30_000,
  },
});
