/**
 * Preloaded into the CLI process the fleet bench starts (`node -r probe.js dist/cli/main.js …`): on exit
 * it writes the process's peak resident set size to the file named by SCRUMOPS_BENCH_PROBE.
 */
const { writeFileSync } = require('node:fs');

process.on('exit', () => {
  const file = process.env.SCRUMOPS_BENCH_PROBE;
  // resourceUsage().maxRSS is in kilobytes.
  if (file) writeFileSync(file, JSON.stringify({ maxRssKb: process.resourceUsage().maxRSS }));
});
