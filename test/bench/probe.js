/**
 * Preloaded into the CLI process the fleet bench starts (`node -r probe.js dist/cli/main.js …`): on exit
 * it writes the process's peak resident set size and CPU time to the file named by SCRUMOPS_BENCH_PROBE.
 */
const { writeFileSync } = require('node:fs');

process.on('exit', () => {
  const file = process.env.SCRUMOPS_BENCH_PROBE;
  // resourceUsage().maxRSS is in kilobytes, CPU times in microseconds. CPU time says what the run cost
  // when other processes share the cores and stretch its wall time.
  const usage = process.resourceUsage();
  if (file)
    writeFileSync(
      file,
      JSON.stringify({ maxRssKb: usage.maxRSS, cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000 }),
    );
});
