/**
 * When a bad or good metric's change began. The classification engine gives it with its judgment (the
 * first episode's start, else an estimated change point); this is the one place the story reads it.
 */
import type { MetricReport, Onset } from '../types';

export function onsetOf(metric: MetricReport): Onset | undefined {
  if (metric.verdict !== 'bad' && metric.verdict !== 'good') return undefined;
  return metric.onset;
}
