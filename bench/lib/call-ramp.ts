import { freePort, waitFor } from '../../test/support/stack';
import { benchScenario, sleep } from './harness';
import { CpuMeter } from './proc';
import { DUMPCAP, sipIntervals, startCapture } from './pcap';
import { runLoad } from './sipp-load';
import { fmt, percentile } from './stats';

/** One call rate held for a while against one target. */
export interface StepResult {
  rate: number;
  calls: number;
  ok: number;
  failed: number;
  /** successful calls per second of offered load */
  achieved: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** % of one core, per process, during the step */
  cpu: Record<string, number>;
  /**
   * FreeSWITCH channels open during the step, read every 250 ms. At one rate and hold time their
   * mean is how long each call kept FreeSWITCH busy: a leg hung up late is mixed and read longer.
   */
  channels: { mean: number; max: number };
  errors: string;
}

export interface RampTarget {
  name: string;
  /** host:port sipp calls */
  target: string;
  /** request-URI user */
  service: string;
  /** processes to meter: name -> pid ('self' = this bench process) */
  pids: Record<string, number | 'self'>;
  /** open FreeSWITCH channels; the ramp waits for 0 between steps */
  channels(): Promise<number>;
}

export interface RampOptions {
  rates: number[];
  stepSeconds: number;
  /** how long each call stays up after the ACK */
  holdMs: number;
}

/**
 * Calls at each rate in turn for stepSeconds, stopping after the first step with a failed call.
 * Setup latency is sipp's rtd 1: INVITE sent to 200 OK received, per call.
 */
export async function rampCalls(t: RampTarget, opts: RampOptions, log: (s: string) => void): Promise<StepResult[]> {
  const steps: StepResult[] = [];
  for (const rate of opts.rates) {
    const step = await callStep(t, opts, rate, log);
    steps.push(step);
    if (step.failed > 0) break;
  }
  return steps;
}

/**
 * One step of a target's ramp: `rate` calls a second for the step's length, timed, then FreeSWITCH
 * drained. Alone, so that two targets' steps can alternate at each rate.
 */
export async function callStep(t: RampTarget, opts: Omit<RampOptions, 'rates'>, rate: number, log: (s: string) => void): Promise<StepResult> {
  const calls = Math.max(15, Math.round(rate * opts.stepSeconds));
  const localPort = await freePort({ udp: true });
  const capture = DUMPCAP ? await startCapture(localPort) : undefined;
  const meter = new CpuMeter(t.pids);
  meter.begin();
  const open = sampleChannels(t);
  const r = await runLoad({
    localPort,
    scenario: benchScenario('uac-call'),
    target: t.target,
    service: t.service,
    rate,
    calls,
    pauseMs: opts.holdMs,
    timeoutMs: (calls / rate) * 1000 + opts.holdMs + 30_000,
    keys: { display: `bench ${t.name}` },
  });
  const cpu = meter.end();
  const channels = await open.stop();
  // the capture's microsecond timestamps; sipp's own rtd (4 ms steps) only without dumpcap
  const lat = capture ? sipIntervals(await capture.stop(), localPort, '1 INVITE', '1 INVITE') : (r.rtd.get(1) ?? []);
  const step: StepResult = {
    rate,
    calls,
    ok: r.successful,
    failed: calls - r.successful,
    achieved: r.successful / Math.max(calls / rate, r.wallS - opts.holdMs / 1000),
    p50: percentile(lat, 50),
    p90: percentile(lat, 90),
    p99: percentile(lat, 99),
    max: percentile(lat, 100),
    cpu,
    channels,
    errors: r.errors,
  };
  const cpuText = Object.entries(cpu)
    .map(([k, v]) => `${k} ${Math.round(v)}%`)
    .join(', ');
  log(
    `  ${t.name} ${rate}/s: ${step.ok}/${calls} ok, setup p50 ${fmt(step.p50, 1)} ms p99 ${fmt(step.p99, 1)} ms max ${fmt(step.max, 1)} ms; channels mean ${fmt(channels.mean, 1)} max ${channels.max}; CPU ${cpuText}`,
  );
  if (step.failed > 0) {
    log(`  ${t.name}: ${step.failed} failed at ${rate}/s; stopping the ramp${r.errors ? `\n    ${r.errors.split('\n').slice(0, 3).join('\n    ')}` : ''}`);
  }
  // Let the last calls end and FreeSWITCH release them before the next rate.
  await waitFor(`${t.name}: FreeSWITCH channels to drain`, async () => ((await t.channels()) === 0 ? true : undefined), 60_000, 250).catch((err: Error) =>
    log(`  ${t.name}: ${err.message}`),
  );
  await sleep(1000);
  return step;
}

function sampleChannels(t: RampTarget): { stop(): Promise<{ mean: number; max: number }> } {
  const seen: number[] = [];
  let going = true;
  const loop = (async () => {
    while (going) {
      const n = await t.channels().catch(() => NaN);
      if (Number.isFinite(n)) seen.push(n);
      await sleep(250);
    }
  })();
  return {
    async stop() {
      going = false;
      await loop;
      return { mean: seen.reduce((a, b) => a + b, 0) / Math.max(1, seen.length), max: Math.max(0, ...seen) };
    },
  };
}

/** Setups slower than the SIP timer T1 count against a rate: callers start retransmitting and giving up. */
export const T1_MS = 500;

/** The highest rate with no failed call and p99 setup ≤ T1 (undefined when even the first missed). */
export function sustained(steps: readonly StepResult[]): StepResult | undefined {
  return [...steps].reverse().find((s) => s.failed === 0 && s.p99 <= T1_MS);
}
