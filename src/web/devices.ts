/**
 * The local microphone and camera: the self-view before the call and the tracks the call sends.
 * One stream is opened here; the call gets clones, so hanging up (which stops the call's tracks)
 * leaves the preview running for "join again".
 */

export type MediaProblem = 'denied' | 'no-device' | 'busy' | 'insecure' | 'failed';

export interface DeviceLists {
  mics: MediaDeviceInfo[];
  cams: MediaDeviceInfo[];
}

/** A device id, or `null` for the browser's default; `'none'` leaves that kind out. */
export type DeviceChoice = string | null;

const AUDIO: MediaTrackConstraints = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };
// 720p at most: the bridge's mixer composes at that size, and commune links are often thin.
const VIDEO: MediaTrackConstraints = { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 25, max: 30 } };

export class LocalMedia {
  #stream: MediaStream | null = null;

  get stream(): MediaStream | null {
    return this.#stream;
  }

  get hasAudio(): boolean {
    return !!this.#stream?.getAudioTracks().length;
  }

  get hasVideo(): boolean {
    return !!this.#stream?.getVideoTracks().length;
  }

  /**
   * Opens the chosen devices, falling back to whichever kind exists (a desktop without a camera
   * still joins with its microphone). Returns the problem to show, or null.
   */
  async open(mic: DeviceChoice, cam: DeviceChoice): Promise<MediaProblem | null> {
    this.stop();
    if (!navigator.mediaDevices?.getUserMedia) return 'insecure';
    const audio = mic === 'none' ? false : { ...AUDIO, ...(mic ? { deviceId: { exact: mic } } : {}) };
    const video = cam === 'none' ? false : { ...VIDEO, ...(cam ? { deviceId: { exact: cam } } : {}) };
    if (!audio && !video) return null; // the user chose neither: nothing to open, nothing wrong
    const attempts: MediaStreamConstraints[] = [{ audio, video }];
    if (audio && video) attempts.push({ audio, video: false }, { audio: false, video });
    let problem: MediaProblem | null = 'no-device';
    for (const constraints of attempts) {
      try {
        this.#stream = await navigator.mediaDevices.getUserMedia(constraints);
        return null;
      } catch (err) {
        problem = classify(err);
        // Only a missing device is worth another try with less; a refusal or a busy device is final.
        if (problem !== 'no-device') return problem;
      }
    }
    return problem;
  }

  /** Device lists; labels are only filled in once the user has granted access. */
  async devices(): Promise<DeviceLists> {
    if (!navigator.mediaDevices?.enumerateDevices) return { mics: [], cams: [] };
    const all = await navigator.mediaDevices.enumerateDevices();
    return { mics: all.filter((d) => d.kind === 'audioinput' && d.deviceId), cams: all.filter((d) => d.kind === 'videoinput' && d.deviceId) };
  }

  /** The device id in use for a kind, to select it in the picker. */
  currentDevice(kind: 'audio' | 'video'): string | null {
    const track = kind === 'audio' ? this.#stream?.getAudioTracks()[0] : this.#stream?.getVideoTracks()[0];
    return track?.getSettings().deviceId ?? null;
  }

  /** Clones of the tracks the call asked for; the call stops them when it ends. */
  cloneFor(constraints: MediaStreamConstraints): MediaStream {
    const out = new MediaStream();
    for (const track of this.#stream?.getTracks() ?? []) {
      if ((track.kind === 'audio' && constraints.audio) || (track.kind === 'video' && constraints.video)) out.addTrack(track.clone());
    }
    return out;
  }

  /** Shows the camera as off in the self-view too, so what the user sees is what others see. */
  setVideoEnabled(enabled: boolean): void {
    for (const t of this.#stream?.getVideoTracks() ?? []) t.enabled = enabled;
  }

  stop(): void {
    for (const t of this.#stream?.getTracks() ?? []) t.stop();
    this.#stream = null;
  }
}

function classify(err: unknown): MediaProblem {
  const name = typeof err === 'object' && err !== null && 'name' in err ? String(err.name) : '';
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'denied';
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'no-device';
    case 'NotReadableError':
    case 'AbortError':
      return 'busy';
    default:
      return 'failed';
  }
}
