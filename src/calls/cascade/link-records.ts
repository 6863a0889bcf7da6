import type { DataSource } from 'typeorm';

/** A link between a meeting's conference on a secondary node (channel A) and on its primary (B). */
export interface LinkRecord {
  meetingId: string;
  secondary: string;
  primary: string;
  /** [A on the secondary, B on the primary]. */
  channels: [string, string];
}

/** Where the cascade writes its open links down, for the process that comes after it. */
export interface LinkRecords {
  opened(link: LinkRecord): Promise<void>;
  /** The link whose A channel is `channelA` closed (a newer link of the same node keeps its record). */
  closed(meetingId: string, secondary: string, channelA: string): Promise<void>;
  all(): Promise<LinkRecord[]>;
}

/** The open links in PostgreSQL (`cascade_link`): a row from the link's opening to its closing. */
export class CascadeLinkRecords implements LinkRecords {
  constructor(private readonly ds: DataSource) {}

  async opened(link: LinkRecord): Promise<void> {
    await this.ds.query(
      `INSERT INTO cascade_link (meeting_id, secondary_node, primary_node, channel_a, channel_b) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (meeting_id, secondary_node) DO UPDATE SET primary_node = EXCLUDED.primary_node,
         channel_a = EXCLUDED.channel_a, channel_b = EXCLUDED.channel_b, opened_at = now()`,
      [link.meetingId, link.secondary, link.primary, link.channels[0], link.channels[1]],
    );
  }

  async closed(meetingId: string, secondary: string, channelA: string): Promise<void> {
    await this.ds.query(`DELETE FROM cascade_link WHERE meeting_id = $1 AND secondary_node = $2 AND channel_a = $3`, [meetingId, secondary, channelA]);
  }

  async all(): Promise<LinkRecord[]> {
    const rows = (await this.ds.query(`SELECT meeting_id, secondary_node, primary_node, channel_a, channel_b FROM cascade_link ORDER BY opened_at`)) as {
      meeting_id: string;
      secondary_node: string;
      primary_node: string;
      channel_a: string;
      channel_b: string;
    }[];
    return rows.map((r) => ({ meetingId: r.meeting_id, secondary: r.secondary_node, primary: r.primary_node, channels: [r.channel_a, r.channel_b] }));
  }
}
