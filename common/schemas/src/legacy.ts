import type { FieldInfo, HostInfoMessage, PluginInfoMessage } from './messages.js';
import type { LegacyFieldInfo, LegacyHostInfo, LegacyPluginInfo } from './storage-api.js';

/** Version-1 host info → the original `MyInfo` shape kept in Redis `HOSTS`. */
export function toLegacyHostInfo(message: HostInfoMessage): LegacyHostInfo {
  return {
    Plugin: 'MyInfo',
    ID: message.hostId,
    Name: message.name,
    Description: message.description,
    AgentVersion: message.agentVersion,
    ...(message.group !== undefined && { Group: message.group }),
  };
}

/** Version-1 plugin info → the original info shape kept in Redis `INFOS@<host>`. */
export function toLegacyPluginInfo(message: PluginInfoMessage): LegacyPluginInfo {
  const infos: Record<string, LegacyFieldInfo> = {};
  for (const [ds, field] of Object.entries(message.fields)) infos[ds] = toLegacyField(ds, field);
  const legacy: LegacyPluginInfo = {
    Plugin: message.plugin,
    Title: message.title,
    Describ: message.info,
    Vlabel: message.vlabel,
    Base: String(message.base),
    Order: message.order.join(' '),
    Category: message.category,
    Infos: infos,
  };
  if (message.graph && Object.keys(message.graph).length) legacy.Graph = { ...message.graph };
  return legacy;
}

function toLegacyField(ds: string, field: FieldInfo): LegacyFieldInfo {
  const out: LegacyFieldInfo = { ...(field.extra ?? {}), id: ds, label: field.label, type: field.type };
  const optional = ['draw', 'colour', 'min', 'max', 'cdef', 'negative', 'warning', 'critical', 'info'] as const;
  for (const key of optional) {
    const value = field[key];
    if (value !== undefined) out[key] = String(value);
  }
  if (field.graph !== undefined) out.graph = field.graph ? 'yes' : 'no';
  return out;
}
