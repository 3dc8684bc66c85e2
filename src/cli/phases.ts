/**
 * Phases of a run and their deadlines. Every phase that waits on the outside world has a deadline, so a
 * run that cannot finish says so instead of hanging a scheduled job; the current phase is also what
 * the drain guard and the signal handlers in main.ts name when a run stops early.
 */
export type Phase = 'config' | 'output check' | 'fetch' | 'write files' | 'deliver';

/** Generous: sources and channels have their own per-request timeouts well inside these. */
export const defaultDeadlinesMs: Record<Phase, number> = {
  config: 60_000,
  'output check': 60_000,
  fetch: 20 * 60_000,
  'write files': 5 * 60_000,
  deliver: 20 * 60_000,
};

export class PhaseTimeout extends Error {
  constructor(
    readonly phase: Phase,
    readonly ms: number,
  ) {
    super(`the ${phase} phase did not finish within ${formatMs(ms)}`);
    this.name = 'PhaseTimeout';
  }
}

function formatMs(ms: number): string {
  return ms >= 60_000 ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / 100) / 10} s`;
}

export interface PhaseHost {
  /** Told when a phase starts, so an early stop can name it. */
  phase?: (phase: Phase) => void;
  deadlinesMs?: Partial<Record<Phase, number>>;
}

/**
 * Run one phase under its deadline: past it, the signal aborts (sources and channels stop their
 * requests) and the phase rejects with PhaseTimeout even if the work never settles.
 */
export async function inPhase<T>(
  host: PhaseHost,
  phase: Phase,
  work: (signal: AbortSignal) => Promise<T> | T,
): Promise<T> {
  host.phase?.(phase);
  const ms = host.deadlinesMs?.[phase] ?? defaultDeadlinesMs[phase];
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new PhaseTimeout(phase, ms);
      controller.abort(error);
      reject(error);
    }, ms);
  });
  try {
    return await Promise.race([Promise.resolve().then(() => work(controller.signal)), deadline]);
  } finally {
    clearTimeout(timer);
  }
}
