import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sites, meetings and who may use the API. The two booking rules live in Postgres as exclusion
 * constraints so that concurrent requests cannot both win:
 *   - a room number is booked once for any instant (meeting_room_no_overlap);
 *   - a site is invited to one meeting at any instant (meeting_site_no_overlap).
 * meeting_site copies its meeting's time range and liveness (kept in step by triggers) because an
 * exclusion constraint can only look at the row it guards.
 */
export class DirectoryAndBookings1764230400000 implements MigrationInterface {
  name = 'DirectoryAndBookings1764230400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE EXTENSION IF NOT EXISTS btree_gist`);
    await q.query(`
      CREATE TABLE site (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        code text NOT NULL CONSTRAINT site_code_key UNIQUE
          CONSTRAINT site_code_format CHECK (code ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(code) <= 40),
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        search_text text NOT NULL,
        protocol text NOT NULL CHECK (protocol IN ('sip', 'h323')),
        sip_uri text,
        h323_address text,
        sip_username text CONSTRAINT site_sip_username_key UNIQUE,
        sip_ha1 text,
        sip_realm text,
        allowed_networks text[] NOT NULL DEFAULT '{}',
        device_model text,
        bandwidth_kbps integer CHECK (bandwidth_kbps BETWEEN 64 AND 20000),
        h264_packetization_mode smallint CHECK (h264_packetization_mode IN (0, 1)),
        contact_name text,
        contact_phone text,
        enabled boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT site_credentials_complete CHECK ((sip_username IS NULL) = (sip_ha1 IS NULL) AND (sip_ha1 IS NULL) = (sip_realm IS NULL))
      )`);
    await q.query(`CREATE INDEX site_search_idx ON site (search_text)`);

    await q.query(`
      CREATE TABLE meeting (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
        room_number integer NOT NULL CHECK (room_number BETWEEN 100 AND 999999999),
        pin text CHECK (pin ~ '^[0-9]{4,10}$'),
        starts_at timestamptz NOT NULL,
        ends_at timestamptz NOT NULL,
        chair_site_id uuid REFERENCES site (id) ON DELETE SET NULL,
        dial_out boolean NOT NULL DEFAULT false,
        allow_guests boolean NOT NULL DEFAULT false,
        mode text NOT NULL DEFAULT 'discussion' CHECK (mode IN ('discussion', 'lecture')),
        language text NOT NULL DEFAULT 'vi' CHECK (language IN ('vi', 'en')),
        status text NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'live', 'ended', 'cancelled')),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT meeting_time_order CHECK (ends_at > starts_at),
        CONSTRAINT meeting_room_no_overlap EXCLUDE USING gist
          (room_number WITH =, tstzrange(starts_at, ends_at) WITH &&)
          WHERE (status IN ('scheduled', 'live'))
      )`);
    await q.query(`CREATE INDEX meeting_starts_at_idx ON meeting (starts_at)`);
    await q.query(`CREATE INDEX meeting_room_idx ON meeting (room_number, starts_at)`);

    await q.query(`
      CREATE TABLE meeting_site (
        meeting_id uuid NOT NULL REFERENCES meeting (id) ON DELETE CASCADE,
        site_id uuid NOT NULL REFERENCES site (id) ON DELETE RESTRICT,
        during tstzrange NOT NULL,
        active boolean NOT NULL,
        PRIMARY KEY (meeting_id, site_id),
        CONSTRAINT meeting_site_no_overlap EXCLUDE USING gist (site_id WITH =, during WITH &&) WHERE (active)
      )`);
    await q.query(`CREATE INDEX meeting_site_site_idx ON meeting_site (site_id)`);
    await q.query(`
      CREATE FUNCTION meeting_site_fill() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        SELECT tstzrange(m.starts_at, m.ends_at), m.status IN ('scheduled', 'live')
          INTO NEW.during, NEW.active FROM meeting m WHERE m.id = NEW.meeting_id;
        RETURN NEW;
      END $$`);
    await q.query(`
      CREATE TRIGGER meeting_site_fill BEFORE INSERT OR UPDATE ON meeting_site
        FOR EACH ROW EXECUTE FUNCTION meeting_site_fill()`);
    await q.query(`
      CREATE FUNCTION meeting_site_follow() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE meeting_site SET during = tstzrange(NEW.starts_at, NEW.ends_at) WHERE meeting_id = NEW.id;
        RETURN NEW;
      END $$`);
    await q.query(`
      CREATE TRIGGER meeting_site_follow AFTER UPDATE OF starts_at, ends_at, status ON meeting
        FOR EACH ROW EXECUTE FUNCTION meeting_site_follow()`);

    await q.query(`
      CREATE TABLE api_key (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
        role text NOT NULL CHECK (role IN ('admin', 'operator', 'viewer')),
        prefix text NOT NULL CONSTRAINT api_key_prefix_key UNIQUE,
        secret_hash text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        revoked_at timestamptz
      )`);

    await q.query(`
      CREATE TABLE audit_event (
        id bigserial PRIMARY KEY,
        at timestamptz NOT NULL DEFAULT now(),
        actor text NOT NULL,
        api_key_id uuid REFERENCES api_key (id) ON DELETE SET NULL,
        action text NOT NULL,
        resource_type text NOT NULL,
        resource_id text,
        detail jsonb NOT NULL DEFAULT '{}'
      )`);
    await q.query(`CREATE INDEX audit_event_resource_idx ON audit_event (resource_type, resource_id)`);
    await q.query(`CREATE INDEX audit_event_at_idx ON audit_event (at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE audit_event`);
    await q.query(`DROP TABLE api_key`);
    await q.query(`DROP TABLE meeting_site`);
    await q.query(`DROP FUNCTION meeting_site_follow CASCADE`);
    await q.query(`DROP FUNCTION meeting_site_fill`);
    await q.query(`DROP TABLE meeting`);
    await q.query(`DROP TABLE site`);
  }
}
