/**
 * The resolution of a range query. Prometheus refuses more than 11,000 points a series, and so does
 * Grafana's Prometheus datasource; the report range (window + every baseline window, 8+ days) must
 * come back in one request, so the step grows with the range.
 */

/** Prometheus' hard limit on points per series in one range query. */
export const maxPointsPerSeries = 11_000;

/**
 * Steps we choose from, in seconds: the same round values Grafana's interval rounding produces, so
 * that a Grafana-backed source asks for a step Grafana keeps. The smallest is one minute: finer
 * than that buys nothing for daily verdicts and costs payload.
 */
export const niceStepsSeconds = [
  60, 120, 300, 600, 900, 1200, 1800, 3600, 7200, 10800, 21600, 43200, 86400,
] as const;

export interface RangeSteps {
  stepMs: number;
  /** First evaluation time: the first multiple of the step at or after `start`. */
  firstMs: number;
  /** Last evaluation time: the last multiple of the step before `end` (end is exclusive). */
  lastMs: number;
}

/** Number of evaluation times in [firstMs, lastMs] at `stepMs`. */
export function pointCount({ stepMs, firstMs, lastMs }: RangeSteps): number {
  return lastMs < firstMs ? 0 : Math.floor((lastMs - firstMs) / stepMs) + 1;
}

/**
 * The smallest round step that keeps [start, end) under `maxPoints` points a series, with the
 * evaluation times aligned to multiples of the step (so points fall on round wall-clock times and
 * windows that start on the hour cut cleanly).
 */
export function chooseSteps(startMs: number, endMs: number, maxPoints = maxPointsPerSeries): RangeSteps {
  const fits = (stepMs: number): RangeSteps | undefined => {
    const steps = alignedSteps(startMs, endMs, stepMs);
    return pointCount(steps) <= maxPoints ? steps : undefined;
  };
  for (const seconds of niceStepsSeconds) {
    const steps = fits(seconds * 1000);
    if (steps) return steps;
  }
  // Longer than 30 years at one point a day: whole days until it fits.
  for (let days = 2; ; days++) {
    const steps = fits(days * 86_400_000);
    if (steps) return steps;
  }
}

export function alignedSteps(startMs: number, endMs: number, stepMs: number): RangeSteps {
  return {
    stepMs,
    firstMs: Math.ceil(startMs / stepMs) * stepMs,
    lastMs: Math.ceil(endMs / stepMs) * stepMs - stepMs,
  };
}
