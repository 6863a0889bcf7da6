import { freePort } from '../../test/support/stack';
import { benchScenario, sleep } from './harness';
import { DUMPCAP, sipIntervals, startCapture } from './pcap';
import { CpuMeter } from './proc';
import { runLoadSplit } from './sipp-load';
import { fmt, percentile } from './stats';

/** REGISTER-with-digest at rising rates against one registrar. */

export interface RegisterStep {
  rate: number;
  calls: number;
  ok: number;
  failed: number;
  achieved: number;
  /** whole exchange (REGISTER, 401, REGISTER, 200), ms */
  p50: number;
  p99: number;
  /** the authenticated REGISTER alone, ms */
  authP99: number;
  /** 'pcap' (µs) or 'sipp' (sipp's rtd, ~4 ms steps) */
  source: 'pcap' | 'sipp';
  /** sipp processes used, and their CPU (% of one core, summed) */
  sipps: number;
  sippCpu: number;
  cpu: Record<string, number>;
  errors: string;
}

export interface RegisterTarget {
  name: string;
  target: string;
  domain: string;
  csvRows: string[][];
  pids: Record<string, number | 'self'>;
}

/** Up to this rate the latency comes from a packet capture; above it dumpcap would steal CPU. */
const PCAP_MAX_RATE = 2000;
/** REGISTER exchanges per second one sipp process is given; above it the load is split. */
const PER_SIPP = Number(process.env['BENCH_RATE_PER_SIPP'] ?? 4000);
/** The SIP retransmission timer T1: a registrar slower than this draws retransmissions. */
export const T1_MS = 500;

/** The warm-up's rate: every registrar carries it. */
const WARM_UP_RATE = 250;

export async function rampRegisters(
  t: RegisterTarget,
  opts: { rates: number[]; stepSeconds: number; warmUp?: boolean },
  log: (s: string) => void,
): Promise<RegisterStep[]> {
  const step = await startRamp(t, opts, log);
  const steps: RegisterStep[] = [];
  for (const rate of opts.rates) {
    const s = await step(rate);
    steps.push(s);
    if (notCarried(s)) break;
    await sleep(1000);
  }
  return steps;
}

/**
 * One registrar's ramp a step at a time, so that two registrars' steps can alternate at each rate
 * (sideBySide). Warms up first when asked; logs why a step is not carried.
 */
export async function startRamp(
  t: RegisterTarget,
  opts: { stepSeconds: number; warmUp?: boolean },
  log: (s: string) => void,
): Promise<(rate: number) => Promise<RegisterStep>> {
  // One source port for the whole ramp: the Contact names it, so each user keeps one binding, which
  // every step renews (a room system's refresh). Steps split over several sipps use ports of their own.
  const localPort = await freePort({ udp: true });
  if (opts.warmUp) {
    // Every user registered once, not measured: the ramp then times what a registrar does all day,
    // room systems renewing bindings it has (a first registration happens once per boot).
    const calls = Math.max(50, Math.ceil(t.csvRows.length / 50) * 50);
    const r = await runLoadSplit(
      {
        scenario: benchScenario('register'),
        target: t.target,
        localPort,
        rate: WARM_UP_RATE,
        calls,
        limit: 5000,
        csvRows: t.csvRows,
        keys: { domain: t.domain, expires: '300', user_agent: 'diemcau-bench' },
        rttFreq: 100,
        timeoutMs: (calls / WARM_UP_RATE) * 4000 + 20_000,
      },
      1,
    );
    log(`  ${t.name}: warm-up, ${r.successful}/${calls} users registered at ${WARM_UP_RATE}/s (not measured)`);
    await sleep(1000);
  }
  return async (rate) => {
    const calls = Math.max(100, Math.round((rate * opts.stepSeconds) / 50) * 50);
    const capture = DUMPCAP && rate <= PCAP_MAX_RATE ? await startCapture(localPort) : undefined;
    const meter = new CpuMeter(t.pids);
    meter.begin();
    const procs = capture ? 1 : Math.ceil(rate / PER_SIPP);
    const r = await runLoadSplit(
      {
        scenario: benchScenario('register'),
        target: t.target,
        localPort,
        rate,
        calls,
        limit: 5000,
        csvRows: t.csvRows,
        keys: { domain: t.domain, expires: '300', user_agent: 'diemcau-bench' },
        // 2 values per call and calls a multiple of 50: every value is written (leftovers would be lost)
        rttFreq: 100,
        timeoutMs: opts.stepSeconds * 1000 * 4 + 20_000,
      },
      procs,
    );
    const cpu = meter.end();
    const packets = capture ? await capture.stop() : undefined;
    const whole = packets ? sipIntervals(packets, localPort, '1 REGISTER', '2 REGISTER') : (r.rtd.get(1) ?? []);
    const auth = packets ? sipIntervals(packets, localPort, '2 REGISTER', '2 REGISTER') : (r.rtd.get(2) ?? []);
    const step: RegisterStep = {
      rate,
      calls,
      ok: r.successful,
      failed: calls - r.successful,
      // sipp's own call rate (its start-up excluded) times the share that succeeded: with -l 5000
      // open calls at most, a registrar that falls behind holds sipp back
      achieved: Number.isFinite(r.callRate) && r.created ? r.callRate * (r.successful / r.created) : r.successful / Math.max(calls / rate, r.wallS),
      p50: percentile(whole, 50),
      p99: percentile(whole, 99),
      authP99: percentile(auth, 99),
      source: packets ? 'pcap' : 'sipp',
      sipps: procs,
      sippCpu: r.sippCpu,
      cpu,
      errors: r.errors,
    };
    const cpuText = Object.entries(cpu)
      .map(([k, v]) => `${k} ${Math.round(v)}%`)
      .join(', ');
    log(
      `  ${t.name} ${rate}/s: ${step.ok}/${calls} ok, ${fmt(step.achieved)}/s achieved, p50 ${fmt(step.p50, 1)} ms p99 ${fmt(step.p99, 1)} ms (${step.source}); CPU ${cpuText}, ${procs} sipp ${fmt(step.sippCpu)}%`,
    );
    const why = notCarried(step);
    if (why) log(`  ${t.name}: ${why} at ${rate}/s; stopping${r.errors ? `\n    ${r.errors.split('\n').slice(0, 3).join('\n    ')}` : ''}`);
    return step;
  };
}

/**
 * Why a step does not count as carried: a failed registration, less than 95% of the offered rate
 * done, or p99 beyond T1 (clients would retransmit). Undefined when it was carried.
 */
export function notCarried(s: RegisterStep): string | undefined {
  if (s.failed > 0) return `${s.failed} failed`;
  if (s.achieved < s.rate * 0.95) return `only ${fmt(s.achieved)}/s done`;
  if (!(s.p99 <= T1_MS)) return `p99 ${fmt(s.p99)} ms > T1 (${T1_MS} ms)`;
  return undefined;
}

/** Highest offered rate carried (see notCarried). */
export function bestRegisterStep(steps: readonly RegisterStep[]): RegisterStep | undefined {
  return [...steps].reverse().find((s) => !notCarried(s));
}
