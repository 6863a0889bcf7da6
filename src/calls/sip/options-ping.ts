import type { ReadinessResult } from '../../meetings/readiness-checks';
import type { SrfApp } from './srf-types';

/**
 * SIP OPTIONS to a room system: any final response means the codec is up and reachable (many
 * answer 200, some 403/405 to OPTIONS; all of them prove the network path).
 */
export function pingSite(srf: SrfApp, uri: string, timeoutMs: number): Promise<ReadinessResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: ReadinessResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(r);
    };
    const timer = setTimeout(() => finish({ reachable: false, latencyMs: null, status: null, detail: `no answer within ${timeoutMs} ms` }), timeoutMs);
    srf.request(uri, { method: 'OPTIONS', headers: { 'User-Agent': 'diemcau' } }, (err, req) => {
      if (err) return finish({ reachable: false, latencyMs: null, status: null, detail: err.message });
      req.on('response', (res) => {
        if (res.status < 200) return;
        const latencyMs = Math.round(performance.now() - started);
        finish({ reachable: res.status !== 408 && res.status !== 503, latencyMs, status: res.status, detail: null });
      });
    });
  });
}
