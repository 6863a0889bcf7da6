import type { AdoptedDialog } from '../call';
import type { SrfApp } from './srf-types';

/** The caller's answers that say it has no such dialog: RFC 3261 §12.2.2 (481) and no answer at all (408). */
const GONE = new Set([408, 481]);

/**
 * A caller's dialog that drachtio-server still holds but this process has no Dialog object for: one
 * a previous process answered, taken over after a restart. drachtio-server builds each request from
 * its own dialog state (route set, CSeq, tags) when it names the dialog's id; drachtio-srf's own
 * Dialog sends `sip:placeholder` as the URI, which drachtio-server replaces.
 */
export function dialogById(srf: Pick<SrfApp, 'request'>, id: string): AdoptedDialog {
  const send = (method: string, headers: Record<string, string>) =>
    new Promise<number>((resolve, reject) => {
      srf.request('sip:placeholder', { method, stackDialogId: id, headers }, (err, req) => {
        if (err) reject(err);
        else req.on('response', (res) => resolve(res.status));
      });
    });
  return {
    id,
    end: async (headers = {}) => {
      await send('BYE', headers);
    },
    // drachtio-server forgets a dialog whose caller sent a BYE while no process owned it (it answers
    // the BYE itself); it also has none after a restart of its own, when no request can reach the
    // caller any more either.
    alive: () =>
      send('OPTIONS', {}).then(
        (status) => !GONE.has(status),
        (err: Error & { code?: string }) => {
          if (err.code === 'ENODIALOG') return false;
          throw err;
        },
      ),
  };
}
