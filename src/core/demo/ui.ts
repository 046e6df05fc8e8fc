/** The demo's RunnerUi: confirms every step by itself and prints what happens on the timeline. */
import type { ConfirmRequest, RunnerUi } from '../runbook/types';

export const DEMO_OPERATOR = 'demo (auto-confirmed)';

export class DemoUi implements RunnerUi {
  private lastProgress = '';
  private lastProgressAt = Date.now();

  constructor(private readonly print: (tag: string, text: string, level?: 'info' | 'warn' | 'error') => void, private readonly progressEveryMs = 3000) {}

  /** A step started: its own line says so; progress is shown only if the step keeps running. */
  stepStarted(): void {
    this.lastProgressAt = Date.now();
  }

  async confirm(_req: ConfirmRequest): Promise<{ confirmed: boolean; by?: string }> {
    return { confirmed: true, by: DEMO_OPERATOR };
  }

  progress(message: string, fraction?: number): void {
    const now = Date.now();
    if (message === this.lastProgress || now - this.lastProgressAt < this.progressEveryMs) return;
    this.lastProgress = message;
    this.lastProgressAt = now;
    this.print('', `… ${message}${fraction === undefined ? '' : ` (${Math.round(fraction * 100)}%)`}`);
  }

  log(level: 'debug' | 'info' | 'warn' | 'error', message: string): void {
    if (level === 'debug') return;
    this.print('', message, level === 'info' ? 'info' : level);
  }
}
