import { defineConfig } from 'vitest/config';
import { useFixtureFonts } from './scripts/fixture-fonts.js';

// Set here, before any worker starts, so every worker draws fixture text in the npm fonts.
useFixtureFonts();

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests start real servers and ffmpeg; two cores means few at once.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
