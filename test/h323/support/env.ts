/**
 * Optional references for the H.323 tests. Each is named by an environment variable so the
 * project never depends on ../shared: unset → the test is skipped with one line
 * (test/support/skip.ts; a failure under DIEMCAU_NO_SKIP=1).
 *   H323_ASN1_DIR  directory holding the ITU-T .asn modules (CI: ../shared/asn1)
 *   H323_PCAP      nDPI's tests/cfgs/default/pcap/h323.pcap
 */
import { spawnSync } from 'node:child_process';

export function envPath(name: 'H323_ASN1_DIR' | 'H323_PCAP'): string | undefined {
  const v = process.env[name];
  return v?.trim() ? v : undefined;
}

/** Whether `cmd` can be started at all (its exit status is not judged). */
export function hasCommand(cmd: string, args: readonly string[] = ['-version']): boolean {
  const r = spawnSync(cmd, [...args], { stdio: 'ignore', timeout: 20000 });
  return r.error === undefined;
}
