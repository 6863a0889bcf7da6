/** How an external dependency (database, drachtio-server, a FreeSWITCH, an rtpengine) is doing, for /readyz and metrics. */
export type DependencyState = 'up' | 'down' | 'connecting' | 'not configured';
