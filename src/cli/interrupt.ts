/**
 * Ctrl-C and termination for the CLI, one rule everywhere: SIGINT exits 130 and SIGTERM 143 (128 + the signal's
 * number, as shells report a process killed by it), whatever the run had reached. While a runbook runs, the first
 * signal asks the current step to stop (the run ends aborted, its table and journal printed); a second one exits at
 * once. Outside a run a signal exits at once.
 */
export const EXIT_CODES = {
  succeeded: 0,
  failed: 1,
  usage: 2,
  paused: 3,
  interrupted: 130, // SIGINT, Ctrl-C
  terminated: 143, // SIGTERM
} as const;

export type StopSignal = 'SIGINT' | 'SIGTERM';

const EXIT_FOR: Record<StopSignal, number> = { SIGINT: EXIT_CODES.interrupted, SIGTERM: EXIT_CODES.terminated };

export const EXIT_STATUS_HELP = `Exit status: 0 succeeded (or the dry run rendered), 1 failed (a step, a check or a connection), 2 bad usage
(nothing ran), 3 paused (a step was declined or --until reached), 130 interrupted by Ctrl-C (SIGINT) and 143 by
SIGTERM — at any point; during a run the current step is asked to stop first (a second signal exits at once), and the
printed table and the journal say how far it got (resume with --resume).`;

/** Watches SIGINT/SIGTERM for one command: `onFirst` (abort the run) or exit at once when there is nothing to stop. */
export class Interruption {
  private received: StopSignal | undefined;
  private count = 0;
  private readonly listeners: Array<[StopSignal, () => void]>;
  private onFirst: ((sig: StopSignal) => void) | undefined;

  constructor(private readonly write: (text: string) => void = (t) => process.stderr.write(t)) {
    this.listeners = (['SIGINT', 'SIGTERM'] as const).map((sig) => [sig, () => this.signal(sig)]);
    for (const [sig, fn] of this.listeners) process.on(sig, fn);
  }

  /** From now on the first signal calls `fn` (asks the run to stop) instead of exiting. */
  whileRunning(fn: (sig: StopSignal) => void): void {
    this.onFirst = fn;
  }

  /** A signal arrived (also called for Ctrl-C at a prompt, which the terminal turns into a readline event). */
  signal(sig: StopSignal): void {
    this.count += 1;
    this.received ??= sig;
    if (this.count > 1 || !this.onFirst) {
      this.write(`\npg-upgrade-pilot: ${sig === 'SIGINT' ? 'interrupted' : 'terminated'}; exiting now.\n`);
      process.exit(EXIT_FOR[this.received]);
    }
    this.write(`\n${sig === 'SIGINT' ? 'Ctrl-C' : 'SIGTERM'}: aborting — the current step is asked to stop, no further step runs `
      + '(Ctrl-C again to exit at once).\n');
    this.onFirst(sig);
  }

  /** The exit status a signal imposes (130/143), or undefined when none arrived. */
  exitCode(): number | undefined {
    return this.received && EXIT_FOR[this.received];
  }

  dispose(): void {
    for (const [sig, fn] of this.listeners) process.off(sig, fn);
  }
}
