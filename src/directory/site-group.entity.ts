import { EntitySchema } from 'typeorm';

/** A named set of sites a booking can invite at once ("all communes", a cluster of communes). */
export interface SiteGroup {
  id: string;
  code: string;
  name: string;
  description: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** Its members live in site_group_member, read and written with SQL by SiteGroups. */
export const SiteGroupEntity = new EntitySchema<SiteGroup>({
  name: 'SiteGroup',
  tableName: 'site_group',
  columns: {
    id: { type: 'uuid', primary: true, default: () => 'gen_random_uuid()' },
    code: { type: 'text' },
    name: { type: 'text' },
    description: { type: 'text', nullable: true },
    createdAt: { type: 'timestamptz', name: 'created_at', createDate: true },
    updatedAt: { type: 'timestamptz', name: 'updated_at', updateDate: true },
  },
});
