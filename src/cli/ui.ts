/**
 * The terminal face of RunnerUi: shows each step's statements and asks y/N (reversible, disruptive) or for the
 * cluster's name (destructive, production) on a TTY; --yes confirms everything; without a TTY and without --yes
 * every confirmation is refused (the run pauses, nothing is changed by that step).
 */
import { createInterface } from 'node:readline';
import { typedAnswerMatches } from '../core/runbook/confirm';
import { renderConfirmRequest } from '../core/runbook/render';
import type { ConfirmRequest, RunnerUi } from '../core/runbook/types';

export interface TerminalUiOptions {
  /** --yes: confirm every step without asking. */
  yes: boolean;
  /** Prompts are possible (stdin and stderr are terminals). */
  interactive: boolean;
  /** --json: stdout holds only the result, so everything else goes to stderr. */
  json: boolean;
  operator: string;
  /** Called when the operator presses Ctrl-C at a prompt. */
  onInterrupt?: () => void;
  input?: NodeJS.ReadableStream;
  out?: NodeJS.WritableStream;
  err?: NodeJS.WritableStream;
}

export class TerminalUi implements RunnerUi {
  private readonly out: NodeJS.WritableStream;
  private readonly err: NodeJS.WritableStream;
  private lastProgress = '';

  constructor(private readonly o: TerminalUiOptions) {
    this.err = o.err ?? process.stderr;
    this.out = o.json ? this.err : (o.out ?? process.stdout);
  }

  async confirm(req: ConfirmRequest): Promise<{ confirmed: boolean; by?: string }> {
    const text = renderConfirmRequest(req);
    if (this.o.yes) {
      this.err.write(`\n${indent(text)}\n  → confirmed by --yes\n`);
      return { confirmed: true, by: `${this.o.operator} (--yes)` };
    }
    if (!this.o.interactive) {
      this.err.write(`\n${indent(text)}\n  → NOT confirmed: this step needs a confirmation and there is no terminal to ask on; run in a terminal or pass --yes\n`);
      return { confirmed: false, by: this.o.operator };
    }
    const banner = req.level === 'modal' || req.risk === 'disruptive' ? '\n*** DISRUPTIVE STEP ***' : req.level === 'typed' ? '\n*** CONFIRMATION BY NAME REQUIRED ***' : '';
    this.err.write(`${banner}\n${indent(text)}\n`);
    if (req.typedConfirmation) {
      const answer = await this.ask(`Type the cluster name "${req.typedConfirmation}" to run this step (anything else declines): `);
      return { confirmed: typedAnswerMatches(req.typedConfirmation, answer), by: this.o.operator };
    }
    const answer = await this.ask('Run this step? [y/N] ');
    return { confirmed: answer !== undefined && /^\s*y(es)?\s*$/i.test(answer), by: this.o.operator };
  }

  progress(message: string, fraction?: number): void {
    const pct = fraction === undefined ? '' : ` ${Math.round(fraction * 100)}%`;
    const line = `…${pct} ${message}`;
    if (line === this.lastProgress) return;
    this.lastProgress = line;
    this.err.write(`${line}\n`);
  }

  log(level: 'debug' | 'info' | 'warn' | 'error', message: string): void {
    if (level === 'debug' && !process.env.PGPILOT_DEBUG) return;
    if (level === 'info') this.out.write(`${message}\n`);
    else this.err.write(`${level}: ${message}\n`);
  }

  /** One question on the terminal; undefined when the input ended or Ctrl-C was pressed. */
  private ask(question: string): Promise<string | undefined> {
    return new Promise((resolve) => {
      const rl = createInterface({ input: this.o.input ?? process.stdin, output: this.err, terminal: true });
      let done = false;
      const finish = (v: string | undefined) => {
        if (done) return;
        done = true;
        rl.close();
        resolve(v);
      };
      rl.on('SIGINT', () => {
        this.err.write('\n');
        finish(undefined);
        this.o.onInterrupt?.();
      });
      rl.on('close', () => finish(undefined));
      rl.question(question, (a) => finish(a));
    });
  }
}

function indent(text: string): string {
  return text.split('\n').map((l) => `  ${l}`).join('\n');
}
