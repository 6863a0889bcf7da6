/**
 * User-Agents of SIP scanners and toll-fraud tools. A government network should never see them; when
 * it does, they get 403 without a challenge, so they learn nothing about which users exist.
 */
const scannerAgents = [
  /friendly-scanner/i,
  /sipvicious/i,
  /sipcli/i,
  /sip-scan/i,
  /sundayddr/i,
  /iWar/i,
  /sipsak/i,
  /VaxSIPUserAgent/i,
  /pplsip/i,
  /SIPPing/i,
  /^sipv$/i,
];

export function isScanner(userAgent: string | undefined): boolean {
  return !!userAgent && scannerAgents.some((re) => re.test(userAgent));
}
