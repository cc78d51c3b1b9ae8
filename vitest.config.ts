import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: 'web',
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
