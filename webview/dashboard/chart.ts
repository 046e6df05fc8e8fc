/**
 * The live lag chart: the last 10 minutes of replication lag (bytes, filled line, left scale; seconds, thin line,
 * right scale) and the threshold, on a canvas coloured from the theme's --vscode-* variables (redrawn when the
 * theme changes). Keeps its own copy of the samples: the host sends the history once (init) and a sample per tick.
 */
import { formatBytes, formatDuration } from '../../src/core/catalog/format';
import type { LagSample } from '../../src/core/protocol/dashboard';

const WINDOW_MS = 10 * 60_000;
const HEIGHT = 160;
const PAD = { left: 64, right: 56, top: 10, bottom: 20 };

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
}

export class LagChart {
  readonly canvas: HTMLCanvasElement;
  private samples: LagSample[] = [];
  private threshold = 0;
  private frame = 0;

  constructor() {
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'lag-chart';
    this.canvas.setAttribute('role', 'img');
    this.canvas.setAttribute('aria-label', 'Replication lag over the last 10 minutes');
    new ResizeObserver(() => this.schedule()).observe(this.canvas);
    // VS Code switches themes by changing the body class (vscode-light / vscode-dark / vscode-high-contrast).
    new MutationObserver(() => this.schedule()).observe(document.body, { attributes: true, attributeFilter: ['class', 'style'] });
  }

  setHistory(history: LagSample[]): void {
    this.samples = history.slice();
    this.schedule();
  }

  push(sample: LagSample, threshold: number): void {
    this.threshold = threshold;
    const last = this.samples[this.samples.length - 1];
    if (!last || sample.t > last.t) this.samples.push(sample);
    const from = sample.t - WINDOW_MS;
    let drop = 0;
    while (drop < this.samples.length && this.samples[drop].t < from) drop++;
    if (drop) this.samples.splice(0, drop);
    this.schedule();
  }

  get length(): number {
    return this.samples.length;
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  /** Draws now (also used by tests through the render path). */
  draw(): void {
    const dpr = window.devicePixelRatio || 1;
    const width = Math.max(200, this.canvas.clientWidth || 600);
    if (this.canvas.width !== Math.round(width * dpr) || this.canvas.height !== Math.round(HEIGHT * dpr)) {
      this.canvas.width = Math.round(width * dpr);
      this.canvas.height = Math.round(HEIGHT * dpr);
    }
    const ctx = this.canvas.getContext('2d');
    if (!ctx) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, HEIGHT);
    const fg = cssVar('--vscode-foreground', '#cccccc');
    const grid = cssVar('--vscode-editorWidget-border', cssVar('--vscode-panel-border', '#80808059'));
    const bytesColor = cssVar('--vscode-charts-blue', '#3794ff');
    const secondsColor = cssVar('--vscode-charts-orange', '#d18616');
    const thresholdColor = cssVar('--vscode-charts-red', '#f14c4c');
    const font = cssVar('--vscode-font-family', 'sans-serif');
    ctx.font = `11px ${font}`;
    ctx.fillStyle = fg;
    ctx.strokeStyle = grid;
    ctx.lineWidth = 1;

    const plotW = width - PAD.left - PAD.right;
    const plotH = HEIGHT - PAD.top - PAD.bottom;
    const now = this.samples.length ? this.samples[this.samples.length - 1].t : Date.now();
    const x = (t: number) => PAD.left + ((t - (now - WINDOW_MS)) / WINDOW_MS) * plotW;
    const maxBytes = Math.max(this.threshold * 1.25, ...this.samples.map((s) => s.bytes ?? 0), 1024);
    const maxSeconds = Math.max(1, ...this.samples.map((s) => s.seconds ?? 0));
    const yBytes = (b: number) => PAD.top + plotH - (b / maxBytes) * plotH;
    const ySeconds = (s: number) => PAD.top + plotH - (s / maxSeconds) * plotH;

    // frame, scales, time axis
    ctx.strokeRect(PAD.left, PAD.top, plotW, plotH);
    ctx.textAlign = 'right';
    ctx.fillText(formatBytes(maxBytes), PAD.left - 6, PAD.top + 9);
    ctx.fillText('0 B', PAD.left - 6, PAD.top + plotH);
    ctx.textAlign = 'left';
    ctx.fillText(formatDuration(maxSeconds), PAD.left + plotW + 6, PAD.top + 9);
    ctx.textAlign = 'center';
    for (let m = 10; m >= 0; m -= 2) ctx.fillText(m ? `−${m} min` : 'now', x(now - m * 60_000), HEIGHT - 5);

    if (this.threshold > 0 && this.threshold < maxBytes) {
      ctx.save();
      ctx.setLineDash([4, 4]);
      ctx.strokeStyle = thresholdColor;
      ctx.beginPath();
      ctx.moveTo(PAD.left, yBytes(this.threshold));
      ctx.lineTo(PAD.left + plotW, yBytes(this.threshold));
      ctx.stroke();
      ctx.restore();
    }
    this.series(ctx, (s) => s.bytes, x, yBytes, bytesColor, PAD.top + plotH, true);
    this.series(ctx, (s) => s.seconds, x, ySeconds, secondsColor, PAD.top + plotH, false);
  }

  private series(ctx: CanvasRenderingContext2D, value: (s: LagSample) => number | null, x: (t: number) => number,
    y: (v: number) => number, color: string, base: number, fill: boolean): void {
    const pts = this.samples.filter((s) => value(s) !== null).map((s) => [x(s.t), y(value(s)!)] as const);
    if (!pts.length) return;
    ctx.save();
    ctx.strokeStyle = color;
    ctx.lineWidth = fill ? 2 : 1.25;
    ctx.beginPath();
    pts.forEach(([px, py], i) => (i ? ctx.lineTo(px, py) : ctx.moveTo(px, py)));
    ctx.stroke();
    if (fill) {
      ctx.lineTo(pts[pts.length - 1][0], base);
      ctx.lineTo(pts[0][0], base);
      ctx.closePath();
      ctx.globalAlpha = 0.18;
      ctx.fillStyle = color;
      ctx.fill();
    }
    ctx.restore();
  }
}
