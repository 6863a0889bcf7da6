/* Imports nothing: the operator console bundles this list to document the columns. */

/** The columns of a site CSV file, in the order `GET /sites` exports them. */
export const siteCsvColumns = [
  'code',
  'name',
  'protocol',
  'sipUri',
  'h323Address',
  'h323Alias',
  'sipUsername',
  'sipPassword',
  'allowedNetworks',
  'deviceModel',
  'bandwidthKbps',
  'h264PacketizationMode',
  'region',
  'contactName',
  'contactPhone',
  'enabled',
] as const;
