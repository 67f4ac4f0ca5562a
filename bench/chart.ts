// The chart in README (docs/bench-chart.svg): per-run cost and retained memory against the number
// of runs, for the sandboxed runner, the unsandboxed runner, a fresh `vm` context per run
// evaluating the same modules, and a module URL per run (capped: its modules are never freed).
//
//   npm run bench:chart                  (builds, then the line below)
//   node --import ./dist/register.js bench/chart.ts [--quick] [--json] [--out=docs/bench-chart.svg]
//   deno run -A bench/chart.ts [--quick] [--out=...]
//
// Each series runs in a child process of its own (bench/_chart_child.ts, same runtime and flags,
// plus --expose-gc): it makes runs of the bench workflow (bench/workflow: four modules, zod passed
// through, the workflow of bench/core_bench.ts) up to each checkpoint and reports the mean time per
// run since the previous checkpoint and the heap used after GC above the heap after its warm-up.
// The SVG is written by hand below: two panels, logarithmic runs axis, no chart library.
import { writeFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg } from "node:os";
import process from "node:process";
import { fileURLToPath } from "node:url";
import type { ChartPoint, ChartSeries } from "./_chart_child.ts";
import { runChild } from "./_spawn.ts";
import { bytes, us } from "./_stats.ts";
import { runtimeName } from "../loader/runtime.ts";

const quick = process.argv.includes("--quick");
const json = process.argv.includes("--json");
const outArg = process.argv.find((arg) => arg.startsWith("--out="));
const out = outArg ? outArg.slice("--out=".length) : fileURLToPath(new URL("../docs/bench-chart.svg", import.meta.url));

const CHILD = new URL("./_chart_child.ts", import.meta.url);
const LADDER = [10, 30, 100, 300, 1000, 3000, 10_000, 30_000, 100_000];
const upTo = (limit: number) => LADDER.filter((runs) => runs <= (quick ? Math.min(limit, 300) : limit));

/** The series, in legend order. `cap`: the last checkpoint. */
const SERIES = [
  { key: "sandboxed", label: "sandboxed runner (functors)", color: "#1f6feb", checkpoints: upTo(100_000) },
  { key: "unsandboxed", label: "unsandboxed runner (no isolation)", color: "#6e7781", checkpoints: upTo(100_000) },
  { key: "vm", label: "fresh vm context per run", color: "#cf222e", checkpoints: upTo(10_000) },
  { key: "url", label: "module URL per run (capped at 3k runs)", color: "#bf8700", checkpoints: upTo(3000) },
] as const;

const runtime = runtimeName;
const cores = typeof availableParallelism === "function" ? availableParallelism() : cpus().length;
const cpuModel = cpus()[0]?.model?.trim() ?? "unknown CPU";
const loadAtStart = loadavg()[0];
const started = performance.now();

const measured: Array<(typeof SERIES)[number] & { points: ChartPoint[] }> = [];
let reference: string | undefined;
for (const series of SERIES) {
  if (!json) process.stderr.write(`chart: ${series.label}, up to ${series.checkpoints.at(-1)} runs\n`);
  const result = await runChild<ChartSeries>(CHILD, [series.key, series.checkpoints.join(",")], { heapFlags: true });
  // Every series must have done the same work.
  reference ??= result.result;
  if (result.result !== reference) throw new Error(`The ${series.key} series returned another result than the sandboxed runner: ${result.result}`);
  measured.push({ ...series, points: result.points });
}
const seconds = (performance.now() - started) / 1000;
const machine = `${process.platform}-${process.arch}, ${cores} cores (${cpuModel})`;
const date = new Date().toISOString().slice(0, 10);
const load = `load average ${loadAtStart.toFixed(2)} at start, ${loadavg()[0].toFixed(2)} at end`;

if (json) {
  console.log(JSON.stringify({ runtime, machine, date, load, seconds, series: measured.map(({ key, points }) => ({ key, points })) }, null, 2));
} else {
  const lines = [
    `workflow-sandbox chart bench: ${runtime} on ${machine}; ${load}`,
    `per checkpoint: mean time per run since the previous checkpoint / heap retained after GC (above the warm-up)`,
    "",
    ["runs".padStart(8), ...measured.map((series) => series.key.padStart(24))].join(""),
    ...LADDER.filter((runs) => measured.some((series) => series.points.some((point) => point.runs === runs))).map((runs) =>
      [
        String(runs).padStart(8),
        ...measured.map((series) => {
          const point = series.points.find((p) => p.runs === runs);
          return (point ? `${us(point.perRunUs)} / ${bytes(point.retainedBytes)}` : "").padStart(24);
        }),
      ].join("")
    ),
    "",
    `chart took ${seconds.toFixed(0)} s`,
  ];
  console.log(lines.join("\n"));
}

if (!quick || outArg) {
  writeFileSync(out, renderSvg());
  if (!json) console.log(`wrote ${out}`);
}

// ---------------------------------------------------------------------------------------------
// The SVG.

function renderSvg(): string {
  const width = 960;
  const height = 500;
  const top = 122;
  const panelHeight = 290;
  const panels = [
    { x: 80, width: 370, title: "Time per run", yLabel: "wall time per run (log scale)", log: true },
    { x: 560, width: 370, title: "Retained heap", yLabel: "heap used after GC above warm-up (MB)", log: false },
  ];
  const allPoints = measured.flatMap((series) => series.points);
  const xMin = Math.min(...allPoints.map((p) => p.runs));
  const xMax = Math.max(...allPoints.map((p) => p.runs));
  const xDecades = [Math.floor(Math.log10(xMin)), Math.ceil(Math.log10(xMax))];
  const usValues = allPoints.map((p) => Math.max(p.perRunUs, 0.1));
  const yDecades = [Math.floor(Math.log10(Math.min(...usValues))), Math.ceil(Math.log10(Math.max(...usValues)))];
  const mb = allPoints.map((p) => p.retainedBytes / 2 ** 20);
  // GC noise can leave a series a few KB below its warm-up: start the axis at 0 unless that is real.
  const memMax = Math.max(1, ...mb);
  const memMin = Math.min(0, ...mb);
  const memTicks = niceTicks(memMin < -0.02 * memMax ? memMin : 0, memMax);

  const parts: string[] = [];
  const text = (x: number, y: number, content: string, attrs = "") =>
    parts.push(`<text x="${r(x)}" y="${r(y)}"${attrs ? ` ${attrs}` : ""}>${escapeXml(content)}</text>`);
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
      `font-family="-apple-system, 'Segoe UI', Helvetica, Arial, sans-serif" font-size="12" fill="#24292f">`,
  );
  parts.push(`<title>workflow-sandbox: per-run cost and retained memory against the number of runs</title>`);
  parts.push(`<desc>${escapeXml(JSON.stringify({ runtime, machine, date, load, series: measured.map(({ key, points }) => ({ key, points })) }))}</desc>`);
  parts.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  text(20, 28, "Runs of one workflow (4 modules, zod passed through): cost per run and memory kept", `font-size="15" font-weight="600"`);
  text(20, 48, `${runtime} on ${machine}, ${date}; every series in its own process (npm run bench:chart)`, `fill="#57606a"`);

  // Legend.
  for (const [i, series] of measured.entries()) {
    const x = 20 + (i % 2) * 330;
    const y = 70 + Math.floor(i / 2) * 18;
    parts.push(`<line x1="${x}" y1="${y}" x2="${x + 22}" y2="${y}" stroke="${series.color}" stroke-width="2.5"/>`);
    parts.push(`<circle cx="${x + 11}" cy="${y}" r="3" fill="${series.color}"/>`);
    text(x + 28, y + 4, series.label);
  }

  for (const [index, panel] of panels.entries()) {
    const bottom = top + panelHeight;
    const xScale = (runs: number) =>
      panel.x + ((Math.log10(runs) - xDecades[0]) / (xDecades[1] - xDecades[0])) * panel.width;
    const yScale = panel.log
      ? (value: number) => bottom - ((Math.log10(Math.max(value, 0.1)) - yDecades[0]) / (yDecades[1] - yDecades[0])) * panelHeight
      : (value: number) => bottom - ((Math.max(value, memTicks[0]) - memTicks[0]) / (memTicks.at(-1)! - memTicks[0])) * panelHeight;
    text(panel.x, top - 10, panel.title, `font-size="13" font-weight="600"`);
    // Grid and y ticks.
    const yTicks = panel.log
      ? range(yDecades[0], yDecades[1]).map((d) => ({ value: 10 ** d, label: formatUs(10 ** d) }))
      : memTicks.map((value) => ({ value, label: String(value) }));
    for (const tick of yTicks) {
      const y = yScale(tick.value);
      parts.push(`<line x1="${panel.x}" y1="${r(y)}" x2="${panel.x + panel.width}" y2="${r(y)}" stroke="#d8dee4" stroke-width="1"/>`);
      text(panel.x - 6, y + 4, tick.label, `text-anchor="end" fill="#57606a"`);
    }
    for (const d of range(xDecades[0], xDecades[1])) {
      const x = xScale(10 ** d);
      parts.push(`<line x1="${r(x)}" y1="${top}" x2="${r(x)}" y2="${bottom}" stroke="#d8dee4" stroke-width="1"/>`);
      text(x, bottom + 16, formatRuns(10 ** d), `text-anchor="middle" fill="#57606a"`);
    }
    parts.push(`<rect x="${panel.x}" y="${top}" width="${panel.width}" height="${panelHeight}" fill="none" stroke="#8c959f"/>`);
    text(panel.x + panel.width / 2, bottom + 36, "runs so far (log scale)", `text-anchor="middle"`);
    const yMid = top + panelHeight / 2;
    text(panel.x - 56, yMid, panel.yLabel, `text-anchor="middle" transform="rotate(-90 ${r(panel.x - 56)} ${r(yMid)})"`);
    // Series.
    for (const series of measured) {
      const points = series.points.map((p) => [xScale(p.runs), yScale(index === 0 ? p.perRunUs : p.retainedBytes / 2 ** 20)]);
      parts.push(
        `<polyline points="${points.map(([x, y]) => `${r(x)},${r(y)}`).join(" ")}" fill="none" stroke="${series.color}" stroke-width="2.5" stroke-linejoin="round"/>`,
      );
      for (const [x, y] of points) parts.push(`<circle cx="${r(x)}" cy="${r(y)}" r="3" fill="${series.color}"/>`);
    }
  }
  const last = (key: string) => measured.find((series) => series.key === key)?.points.at(-1);
  const url = last("url");
  const sandboxed = last("sandboxed");
  if (url && sandboxed) {
    text(
      20,
      height - 12,
      `After ${formatRuns(url.runs)} runs a module URL per run kept ${bytes(url.retainedBytes)} (${bytes(url.retainedBytes / url.runs)} per run); ` +
        `after ${formatRuns(sandboxed.runs)} sandboxed runs the heap was ${bytes(sandboxed.retainedBytes)} above its warm-up.`,
      `fill="#57606a"`,
    );
  }
  parts.push(`</svg>`);
  return parts.join("\n") + "\n";
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

function niceTicks(min: number, max: number): number[] {
  const span = max - min;
  const rough = span / 5;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((candidate) => span / candidate <= 6)!;
  const ticks = [];
  for (let value = Math.floor(min / step) * step; value < max + step; value += step) ticks.push(Number(value.toFixed(6)));
  return ticks;
}

function formatUs(value: number): string {
  return value >= 1000 ? `${value / 1000} ms` : `${value} µs`;
}

function formatRuns(value: number): string {
  return value >= 1000 ? `${value / 1000}k` : String(value);
}

function r(value: number): string {
  return value.toFixed(1);
}

function escapeXml(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}
